"""Models of the cases app: categories and routing (``categories``), cases (``case``),
possible duplicates (``duplicates``)."""

from __future__ import annotations

from .case import (
    OPEN_STATUSES,
    RESIDENT_SOURCES,
    RETURNS_BEFORE_BINDING,
    Attachment,
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseSource,
    CaseStatus,
    EscalationLevel,
)
from .categories import (
    CODE_RE,
    LIMIT_STEPS,
    SUBCATEGORY_FIELDS,
    SUBCATEGORY_REQUIRED,
    Category,
    CategoryFamily,
    CategoryQuerySet,
    LimitUnit,
    Priority,
    RoutingRule,
    category_code_validator,
)
from .duplicates import DuplicateCandidate
from .joint import CaseGroupObjectPermission, CasePart, PartStatus, Summons
from .resident import (
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    CaseContact,
    CaseSupporter,
    ReopenRequest,
    new_tracking_code,
    normalize_tracking_code,
)

__all__ = [
    "CODE_RE",
    "LIMIT_STEPS",
    "OPEN_STATUSES",
    "RESIDENT_SOURCES",
    "RETURNS_BEFORE_BINDING",
    "SUBCATEGORY_FIELDS",
    "SUBCATEGORY_REQUIRED",
    "TRACKING_ALPHABET",
    "TRACKING_LENGTH",
    "Attachment",
    "Case",
    "CaseContact",
    "CaseEvent",
    "CaseGroupObjectPermission",
    "CaseNumberCounter",
    "CasePart",
    "CaseSource",
    "CaseStatus",
    "CaseSupporter",
    "Category",
    "CategoryFamily",
    "CategoryQuerySet",
    "DuplicateCandidate",
    "EscalationLevel",
    "LimitUnit",
    "PartStatus",
    "Priority",
    "ReopenRequest",
    "RoutingRule",
    "Summons",
    "category_code_validator",
    "new_tracking_code",
    "normalize_tracking_code",
]
