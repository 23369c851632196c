"""The review queue: ``/integrity/`` lists flags grouped by rule or by worker, their evidence
collapsed until opened; dismiss or confirm one, or the selected ones with one note
(``/integrity/bulk/``), through htmx: each reviewed card is replaced in place and the open
counts are updated.

Answers as the case pages do: 400 with the errors by field in the fragment (no note, a
dismissal reason not among the choices, already reviewed), 403 for a user who reviews
nothing, 404 for a flag outside the reviewer's scope.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Attachment
from cases.views.common import serve_photo
from grids.access import assignment_required

from .forms import ReviewForm
from .models import FlagStatus, IntegrityFlag, Rule
from .precision import RECENT_DAYS
from .selectors import (
    evidence_shown,
    flags_visible_to,
    get_flag_for,
    is_reviewer,
    open_flag_counts,
    rule_precision,
    seen_case_ids,
)
from .services import check_review, review_flag

PAGE_SIZE = 50
REVIEWS = {"dismiss": FlagStatus.DISMISSED, "confirm": FlagStatus.CONFIRMED}
# How the page groups the flags: by rule, or by the worker they are about.
GROUPS = {"rule": ("rule", "-created_at", "-id"), "worker": ("subject_id", "-created_at", "-id")}
BULK_MAX = 100


def photo_ids(flag: IntegrityFlag) -> list[int]:
    """The attachments a flag's evidence names (the reused photos and their matches)."""
    ids = []
    for item in (flag.evidence or {}).get("photos", []):
        ids += [item.get("attachment_id"), item.get("matched_attachment_id")]
    return [i for i in ids if isinstance(i, int)]


def attach_evidence(flags: list[IntegrityFlag], user) -> None:
    """Give each flag what its card shows of the evidence — ``shown_evidence``
    (``selectors.evidence_shown``), ``evidence_json`` for the raw evidence, and
    ``photo_pairs`` (its photo, the earlier one, the evidence item) — in two queries for the
    whole page at most."""
    seen = seen_case_ids(user, flags)
    wanted = sorted({i for flag in flags for i in photo_ids(flag)})
    found = (
        {a.pk: a for a in Attachment.objects.filter(pk__in=wanted).only("id", "case_id", "stage")}
        if wanted
        else {}
    )
    for flag in flags:
        flag.shown_evidence = evidence_shown(flag.evidence or {}, seen)
        flag.evidence_json = json.dumps(flag.shown_evidence, ensure_ascii=False, indent=1)
        flag.photo_pairs = [
            (
                found.get(item.get("attachment_id")),
                found.get(item.get("matched_attachment_id")),
                item,
            )
            for item in flag.shown_evidence.get("photos", [])
        ]


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs of a ``ValidationError``, as the fragments list them."""
    if not hasattr(exc, "error_dict"):
        return [("", message) for message in exc.messages]
    return [
        (field, message) for field, messages in exc.message_dict.items() for message in messages
    ]


def _reviewer_only(request: HttpRequest) -> None:
    if not is_reviewer(request.user):
        raise PermissionDenied(_("Only street staff and district administrators review flags."))


@assignment_required
def flag_list(request: HttpRequest) -> HttpResponse:
    """Flags in the reviewer's street or district, 50 a page, grouped (``?group=rule`` or
    ``worker``), newest first in a group; by default the open ones. ``?status=`` and
    ``?rule=`` narrow the list."""
    _reviewer_only(request)
    status = request.GET.get("status", FlagStatus.OPEN)
    rule = request.GET.get("rule", "")
    group = request.GET.get("group", "rule")
    if group not in GROUPS:
        raise Http404("no such grouping")
    flags = flags_visible_to(request.user).order_by(*GROUPS[group])
    if status in FlagStatus.values:
        flags = flags.filter(status=status)
    if rule in Rule.values:
        flags = flags.filter(rule=rule)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    attach_evidence(items, request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "integrity/flag_list.html",
        {
            "page": page,
            "flags": items,
            "status": status,
            "rule": rule,
            "group": group,
            "statuses": FlagStatus.choices,
            "rules": Rule.choices,
            "query": query.urlencode(),
            "counts": open_flag_counts(request.user),
            "precision": rule_precision(request.user),
            "recent_days": RECENT_DAYS,
        },
    )


@assignment_required
@require_POST
def bulk_review(request: HttpRequest) -> HttpResponse:
    """Dismiss or confirm the selected flags (``flag``, repeated) with one ``note`` (and, to
    dismiss, one ``reason``); each through the review service, so one already reviewed (or
    out of scope) fails alone and is listed with why. Nothing selected, an unknown decision
    or what ``check_review`` refuses: 400 with the errors by field."""
    _reviewer_only(request)
    decision = request.POST.get("decision", "")
    ids = [int(v) for v in request.POST.getlist("flag") if v.isdigit() and len(v) <= 18]
    form = ReviewForm(request.POST)
    errors: list[tuple[str, str]] = []
    if decision not in REVIEWS:
        errors.append(("decision", _("Choose to dismiss or to confirm.")))
    if not ids or len(ids) > BULK_MAX:
        errors.append(("flag", _("Select between 1 and %(n)d flags.") % {"n": BULK_MAX}))
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        check_review(**form.cleaned_data, status=REVIEWS.get(decision))
    except ValidationError as exc:
        errors += field_errors(exc)
    if errors:
        return render(request, "integrity/_bulk_result.html", {"errors": errors}, status=400)
    reviewed, failed = [], []
    for flag_id in dict.fromkeys(ids):
        try:
            flag = review_flag(
                flag_id=flag_id, by=request.user, status=REVIEWS[decision], **form.cleaned_data
            )
            reviewed.append(flag.pk)
        except ValidationError as exc:
            failed.append((flag_id, " ".join(exc.messages)))
        except Http404:
            failed.append((flag_id, _("Not a flag you review.")))
    flags = list(flags_visible_to(request.user).filter(pk__in=reviewed))
    attach_evidence(flags, request.user)
    context = {
        "flags": flags,
        "failed": failed,
        "counts": open_flag_counts(request.user),
    }
    return render(request, "integrity/_bulk_result.html", context)


@assignment_required
@require_POST
def review(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Dismiss or confirm a flag with the posted ``note`` (and, to dismiss, ``reason``)."""
    if decision not in REVIEWS:
        raise Http404("no such review")
    errors: list[tuple[str, str]] = []
    status = 200
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        review_flag(flag_id=pk, by=request.user, status=REVIEWS[decision], **form.cleaned_data)
    except ValidationError as exc:
        errors = field_errors(exc)
        status = 400
    if not request.htmx:
        if errors:
            for _field, error in errors:
                messages.error(request, error)
        else:
            messages.success(request, _("Review recorded."))
        return redirect("integrity:flags")
    flag = get_flag_for(request.user, pk)
    attach_evidence([flag], request.user)
    context = {
        "flag": flag,
        "errors": errors,
        "note": request.POST.get("note", ""),
        "reason": request.POST.get("reason", ""),
    }
    if not errors:  # the open counts change: sent along, swapped out of band
        context["counts_oob"] = open_flag_counts(request.user)
    return render(request, "integrity/_flag.html", context, status=status)


@assignment_required
def flag_photo(
    request: HttpRequest, pk: int, attachment_id: int, *, thumbnail: bool = False
) -> HttpResponse:
    """A photo named in a flag's evidence (or its thumbnail), to those who may review the
    flag — also when the earlier case lies outside their street: judging reuse needs both
    pictures."""
    flag = get_flag_for(request.user, pk)
    if attachment_id not in photo_ids(flag):
        raise Http404("not a photo of this flag")
    return serve_photo(Attachment.objects.all(), attachment_id, thumbnail=thumbnail)
