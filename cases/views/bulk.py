"""``POST /queue/bulk/``: the queue's selected reports accepted and dispatched (each to the
department chosen, or else to its first suggested one) or rejected with one reason.

Each case goes through its own service call, in its own transaction: a refusal of one (a
409 because someone else took it meanwhile, a 400 because no department is suggested) is
reported beside the others and never undoes them. The answer (htmx): a summary of what was
done and what failed and why, and each done item swapped out of band for its one-line result.
Bad input (no case, no reason, unknown action): 400 with field errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.models import Case
from cases.selectors import cases_visible_to, suggested_departments
from grids.models import Role

from .actions import ACCEPT_AND_DISPATCH, Refused, done_message, run_action
from .common import role_required

BULK_MAX = 100


class CaseIds(forms.TypedMultipleChoiceField):
    """Case ids, any (scope is checked per case by its service: 404 there)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value) -> bool:
        return str(value).isdigit() and len(str(value)) <= 18


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            (ACCEPT_AND_DISPATCH, gettext_lazy("accept and dispatch")),
            ("reject", gettext_lazy("reject")),
        ]
    )
    case = CaseIds()
    department = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(required=False, max_length=500)

    def clean_case(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["case"]))
        if len(ids) > BULK_MAX:
            raise forms.ValidationError(
                _("Select at most %(n)d reports at a time.") % {"n": BULK_MAX}
            )
        return ids

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason the reporters will read."))
        return data


@dataclass
class Outcome:
    case_id: int
    case: Case | None = None  # the case after the step, when done
    done: str = ""
    refusal: str = ""
    number: str = ""


def _department_of(case_id: int, form: BulkForm, suggestions: dict) -> int | None:
    if form.cleaned_data["department"]:
        return form.cleaned_data["department"]
    suggested = suggestions.get(case_id)
    return suggested.pk if suggested else None


def _one(request: HttpRequest, form: BulkForm, case_id: int, suggestions: dict) -> Outcome:
    action = form.cleaned_data["action"]
    if action == ACCEPT_AND_DISPATCH:
        department = _department_of(case_id, form, suggestions)
        fields = {"department": department} if department else {}
    else:
        fields = {"reason": form.cleaned_data["reason"]}
    try:
        case = run_action(action, case_id, request, data=fields)
    except Refused as refused:
        message = refused.message or " ".join(
            str(error) for errors in refused.errors.values() for error in errors
        )
        if refused.status == 404:
            message = _("Not a case of yours.")
        elif "department" in refused.errors and "department" not in fields:
            message = _("No department is suggested: pick one (/).")
        return Outcome(case_id=case_id, refusal=message)
    return Outcome(case_id=case_id, case=case, done=done_message(case, action))


@role_required(Role.STREET_STAFF)
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/_queue_bulk.html", {"form": form}, status=400)
    ids = form.cleaned_data["case"]
    visible = list(cases_visible_to(request.user).filter(pk__in=ids))
    numbers = {case.pk: case.number for case in visible}
    suggestions = suggested_departments(visible) if not form.cleaned_data["department"] else {}
    outcomes = [_one(request, form, case_id, suggestions) for case_id in ids]
    for outcome in outcomes:
        outcome.number = numbers.get(outcome.case_id, f"#{outcome.case_id}")
    context = {
        "form": form,
        "done": [o for o in outcomes if o.case is not None],
        "failed": [o for o in outcomes if o.case is None],
    }
    return render(request, "cases/_queue_bulk.html", context)
