"""Models of the cases app: categories and routing (``categories``), cases (``case``),
possible duplicates (``duplicates``)."""

from __future__ import annotations

from .case import (
    OPEN_STATUSES,
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

__all__ = [
    "CODE_RE",
    "LIMIT_STEPS",
    "OPEN_STATUSES",
    "SUBCATEGORY_FIELDS",
    "SUBCATEGORY_REQUIRED",
    "Attachment",
    "Case",
    "CaseEvent",
    "CaseNumberCounter",
    "CaseSource",
    "CaseStatus",
    "Category",
    "CategoryFamily",
    "CategoryQuerySet",
    "DuplicateCandidate",
    "EscalationLevel",
    "LimitUnit",
    "Priority",
    "RoutingRule",
    "category_code_validator",
]
