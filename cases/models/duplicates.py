"""Possible duplicates found at intake (疑似重复): see ``cases.duplicates``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Case


class DuplicateCandidate(models.Model):
    """``candidate`` is an earlier case of the same category near ``case`` (a flag for street
    staff to review and perhaps merge; nothing is merged automatically)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="duplicate_candidates", verbose_name=_("case")
    )
    candidate = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="duplicate_candidate_of",
        verbose_name=_("possible duplicate of"),
    )
    distance_m = models.FloatField(_("distance (m)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("possible duplicate (疑似重复)")
        verbose_name_plural = _("possible duplicates (疑似重复)")
        ordering = ["case", "distance_m"]
        constraints = [
            models.UniqueConstraint(fields=["case", "candidate"], name="duplicate_candidate_pair")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.candidate_id} ({self.distance_m:.0f} m)"
