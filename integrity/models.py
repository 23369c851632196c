"""Integrity flags (诚信核查标记) and the photo fingerprints the photo rule compares.

A flag is a question for a person — street staff or a district administrator — with the
evidence needed to answer it. It is never read by assessment or any other automatic
consequence (DESIGN §5: flags are for review, not punishment).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Attachment, Case


class Rule(models.TextChoices):
    NEAR_DUPLICATE = "near_duplicate", _("疑似重复上报 near-duplicate reports")
    REUSED_PHOTO = "reused_photo", _("照片重复使用 photo reused on another case")
    VERIFICATION_NO_EVIDENCE = (
        "verification_no_evidence",
        _("核查无现场证据 verification without on-site evidence"),
    )
    VERIFICATION_TOO_FAST = (
        "verification_too_fast",
        _("核查过快 verification implausibly soon after the result"),
    )
    REPORT_BURST = "report_burst", _("期末突击上报 burst of reports before a period closes")
    SELF_RESOLVE_UNCHECKED = (
        "self_resolve_unchecked",
        _("就地解决未复核 self-resolved, never re-checked by someone else"),
    )
    VISIT_OUTSIDE_CELL = (
        "visit_outside_cell",
        _("走访定位不在网格内 visit logged away from the household's cell"),
    )
    VISIT_RUN = "visit_run", _("走访间隔过短 many visits minutes apart")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待复核 open")
    DISMISSED = "dismissed", _("已排除 dismissed")
    CONFIRMED = "confirmed", _("已确认 confirmed")


class DismissReason(models.TextChoices):
    """Why a dismissed flag was wrong (排除原因): the hard cases a rule must learn to tell
    apart from cheating, so that the labels say what to tune."""

    RECURRING = "recurring", _("确属反复出现的问题 genuinely recurring problem")
    SAME_EVENT = "same_event", _("同一事件多人上报 same event, different reporters")
    REAL_SURGE = "real_surge", _("确有大量工作 a real surge of work")
    REAL_VERIFICATION = "real_verification", _("核查属实 the verification was real")
    OTHER = "other", _("其他 other")


class IntegrityFlag(models.Model):
    """诚信核查标记: one rule's finding about one case (or, for the visit rules, one visit),
    waiting for a person's judgement.

    ``case`` is the case the finding is about (the later copy of a duplicate or a reused
    photo; the first report of a burst); ``related_case_ids`` are the other cases the
    evidence names (``related_visit_ids``: the other visits of a run). ``subject`` is the
    worker whose conduct is in question, where there is one. ``evidence`` holds what a
    reviewer needs (distances, times, hashes, counts) as plain JSON. One flag per (rule,
    case) or (rule, visit), and per stretch of a worker's activity (``FlagDraft.overlaps``):
    running the rules again adds nothing.
    Status changes only through ``integrity.services`` (dismiss/confirm, with a note).

    A reviewed flag is a labelled example (复核样本) for tuning the rules: ``evidence``,
    ``rule_config`` (every threshold in force) and ``rule_version`` are written when the rule
    raises the flag and never changed after; the review adds the decision, the reviewer,
    the note, a ``dismiss_reason`` and ``reviewed_snapshot`` (the case or visit as the
    reviewer judged it, so later edits of the case do not rewrite the example).
    """

    Rule = Rule
    Status = FlagStatus
    DismissReason = DismissReason

    rule = models.CharField(_("rule"), max_length=32, choices=Rule.choices)
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="integrity_flags",
        verbose_name=_("case (案件)"),
    )
    # The visit rules' findings are about a visit (走访), not a case: exactly one of the two.
    visit = models.ForeignKey(
        "residents.Visit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="integrity_flags",
        verbose_name=_("visit (走访)"),
    )
    related_case_ids = models.JSONField(_("related cases"), default=list, blank=True)
    related_visit_ids = models.JSONField(_("related visits"), default=list, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integrity_flags",
        verbose_name=_("worker concerned"),
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integrity_reviews",
        verbose_name=_("reviewer"),
    )
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    dismiss_reason = models.CharField(
        _("dismissal reason"), max_length=20, choices=DismissReason.choices, blank=True
    )
    rule_config = models.JSONField(
        _("thresholds in force"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    rule_version = models.CharField(_("rule version"), max_length=16, blank=True)
    reviewed_snapshot = models.JSONField(
        _("as reviewed"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("integrity flag (诚信核查标记)")
        verbose_name_plural = _("integrity flags (诚信核查标记)")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "case"], name="integrity_flag_rule_case"),
            models.UniqueConstraint(
                fields=["rule", "visit"],
                name="integrity_flag_rule_visit",
                condition=models.Q(visit__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, visit__isnull=True)
                | models.Q(case__isnull=True, visit__isnull=False),
                name="integrity_flag_case_or_visit",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="integrity_flag_queue"),
        ]

    def __str__(self) -> str:
        about = self.case_id if self.case_id else f"visit {self.visit_id}"
        return f"{self.get_rule_display()} · {about} · {self.get_status_display()}"


class PhotoHash(models.Model):
    """A photo's fingerprints (照片指纹): a 64-bit perceptual hash (pHash) that survives
    re-encoding, resizing and small crops, the pHashes of its flipped and rotated copies,
    its local features (keypoints that survive crops, screenshots and re-shooting), and
    the SHA-256 of the file's bytes. ``version`` below ``photo_features.VERSION``: computed
    by older code, computed again by the next scan.

    ``informative`` is false for images too small or too flat to fingerprint (a 1×1
    placeholder, a black frame): every such image hashes alike, so they are left out of
    comparisons. No database foreign key: bulk deletes of demo cases (``cases.demo``)
    remove attachments below the ORM, and a fingerprint must never block them.
    """

    attachment = models.OneToOneField(
        Attachment,
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="photo_hash",
        verbose_name=_("attachment (附件)"),
    )
    phash = models.BigIntegerField(_("perceptual hash"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    informative = models.BooleanField(_("informative"), default=False)
    # The pHashes of the photo mirrored and turned by 90° steps (8 × 8 bytes), so a flipped
    # or rotated copy is a cheap candidate too.
    variants = models.BinaryField(_("hashes of flipped and rotated copies"), default=b"")
    # Local features (integrity.photo_features.pack): ORB keypoints of the photo and its
    # mirror image and a small copy (grey and CIELAB colour), about 55 KB.
    features = models.BinaryField(_("local features"), default=b"")
    version = models.PositiveSmallIntegerField(_("fingerprint version"), default=0)
    # The geometric check against earlier photos, done once: every candidate that shared
    # enough points or hash bits, with the raw figures (thresholds apply when flags are made).
    matches = models.JSONField(_("matches with earlier photos"), default=list, blank=True)
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("photo fingerprint (照片指纹)")
        verbose_name_plural = _("photo fingerprints (照片指纹)")

    def __str__(self) -> str:
        return f"{self.attachment_id}: {self.hex}"

    @property
    def hex(self) -> str:
        return "" if self.phash is None else f"{self.phash & (2**64 - 1):016x}"
