"""Households and residents kept by the people who serve them (issue 15): mobile pages for grid
and functional workers (and street staff) to register and update the households and residents
of the cells they serve, move a household, mark a resident moved out or deceased, and bring a
community's roster in and out of Excel (``roster``).

Who: anyone who serves a cell (``selectors.serves_anyone``); others get 403. Scope: a
household or resident outside the cells one serves is a 404. The pages never carry a whole
ID number or phone (the forms start empty and show the masked value); each list is logged
(``PIIListLog``), each export per resident (``PIIAccessLog``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids.access import assignment_required

from . import roster
from .forms import ResidentForm
from .models import Household, LeftReason, Resident
from .selectors import (
    cells_open_to,
    households_served_by,
    residents_served_by,
    serves_anyone,
    show_tags,
)
from .services import (
    ResidentAlreadyLeft,
    keep_resident,
    mark_resident_left,
    move_household,
    record_list_view,
    register_household,
    update_household,
)
from .views import refusal

PAGE_SIZE = 30


def serving_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for those who serve a cell (grid and functional workers, street staff): 403
    for anyone else with an assignment (volunteers see no personal data, DESIGN §1)."""

    @assignment_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not serves_anyone(request.user):
            return refusal(
                request,
                message=_("Only those who serve a grid cell keep its households."),
                status=403,
            )
        try:
            return view(request, *args, **kwargs)
        except (Household.DoesNotExist, Resident.DoesNotExist):
            raise Http404("not in the cells you serve") from None

    return wrapper


class HouseholdForm(forms.Form):
    cell = forms.ModelChoiceField(queryset=None, label=gettext_lazy("grid cell"))
    address = forms.CharField(label=gettext_lazy("address"), max_length=200)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cell"].queryset = cells_open_to(user).order_by("full_code")


class AddressForm(forms.Form):
    address = forms.CharField(label=gettext_lazy("address"), max_length=200)


class MoveForm(forms.Form):
    cell = forms.ModelChoiceField(queryset=None, label=gettext_lazy("move to grid cell"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cell"].queryset = cells_open_to(user).order_by("full_code")


class LeftForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("left because"), choices=LeftReason.choices)
    on = forms.DateField(label=gettext_lazy("on"), widget=forms.DateInput(attrs={"type": "date"}))


class ResidentPageForm(ResidentForm):
    """``ResidentForm`` without the household (the page's) and the move-out (its own form)."""

    class Meta(ResidentForm.Meta):
        fields = ["name", "gender", "birth_date", "id_number", "phone", "tags"]


def _bad(form: forms.Form | None = None, exc: ValidationError | None = None):
    if exc is not None and form is not None:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    return 400


# --- households ----------------------------------------------------------------------------


@serving_required
def household_list(request: HttpRequest) -> HttpResponse:
    """The households of the cells one serves, by cell and address; ``?q=`` narrows by
    address. Each shows its living residents and their tags (derived ones included)."""
    query = request.GET.get("q", "").strip()
    households = households_served_by(request.user).order_by("cell__full_code", "address", "pk")
    if query:
        households = households.filter(address__icontains=query)
    living = Resident.objects.living().prefetch_related("tags").order_by("pk")
    households = households.prefetch_related(
        Prefetch("residents", queryset=living, to_attr="living_residents")
    )
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    show_tags(r for household in page for r in household.living_residents)
    record_list_view(
        by=request.user,
        where="households",
        rows=sum(len(h.living_residents) for h in page),
        filters={"page": str(page.number)},
        search=query,
    )
    return render(request, "residents/households.html", {"page": page, "q": query})


@serving_required
def household_new(request: HttpRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            household = register_household(
                by=request.user,
                cell_id=form.cleaned_data["cell"].pk,
                address=form.cleaned_data["address"],
            )
        except ValidationError as exc:
            status = _bad(form, exc)
        else:
            return redirect("household", pk=household.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "residents/household_form.html",
        {"form": form, "title": _("New household")},
        status=status,
    )


@serving_required
def household_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A household: address, cell, its residents (masked numbers, tags, who left) and the
    forms to change them."""
    household = households_served_by(request.user).get(pk=pk)
    residents = list(household.residents.prefetch_related("tags").order_by("moved_out_at", "pk"))
    show_tags(residents)
    record_list_view(
        by=request.user, where="household", rows=len(residents), filters={"household": str(pk)}
    )
    return render(
        request,
        "residents/household.html",
        {
            "household": household,
            "residents": residents,
            "left_form": LeftForm(initial={"on": timezone.localdate()}),
            "move_form": MoveForm(user=request.user, initial={"cell": household.cell_id}),
        },
    )


@serving_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = households_served_by(request.user).get(pk=pk)
    form = AddressForm(request.POST or None, initial={"address": household.address})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            update_household(by=request.user, household_id=pk, address=form.cleaned_data["address"])
        except ValidationError as exc:
            status = _bad(form, exc)
        else:
            return redirect("household", pk=pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "residents/household_form.html",
        {"form": form, "title": _("Change the address"), "household": household},
        status=status,
    )


@serving_required
@require_POST
def household_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to another cell one serves too (``services.move_household``: both cells)."""
    households_served_by(request.user).get(pk=pk)
    form = MoveForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("cell", [])))
        return redirect("household", pk=pk)
    try:
        move_household(by=request.user, household_id=pk, cell_id=form.cleaned_data["cell"].pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("household", pk=pk)
    messages.success(request, _("Moved to %(cell)s.") % {"cell": form.cleaned_data["cell"]})
    return redirect("household", pk=pk)


# --- residents -----------------------------------------------------------------------------


def _resident_form(request: HttpRequest, resident: Resident, *, title: str) -> HttpResponse:
    form = ResidentPageForm(request.POST or None, instance=resident)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            keep_resident(
                by=request.user, resident=form.save(commit=False), tags=form.cleaned_data["tags"]
            )
        except ValidationError as exc:
            status = _bad(form, exc)
        else:
            return redirect("household", pk=resident.household_id)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "residents/resident_form.html",
        {"form": form, "title": title, "household": resident.household},
        status=status,
    )


@serving_required
def resident_new(request: HttpRequest, pk: int) -> HttpResponse:
    household = households_served_by(request.user).get(pk=pk)
    resident = Resident(household=household, cell=household.cell)
    return _resident_form(request, resident, title=_("New resident"))


@serving_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = residents_served_by(request.user).select_related("household").get(pk=pk)
    return _resident_form(request, resident, title=_("Change a resident"))


@serving_required
@require_POST
def resident_left(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark moved out or deceased (kept, not deleted); 400 with the errors, 409 for a
    resident already marked."""
    resident = residents_served_by(request.user).get(pk=pk)
    form = LeftForm(request.POST)
    if form.is_valid():
        try:
            mark_resident_left(
                by=request.user,
                resident_id=pk,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
            )
        except ResidentAlreadyLeft as exc:
            return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
        except ValidationError as exc:
            _bad(form, exc)
        else:
            return redirect("household", pk=resident.household_id)
    errors = "; ".join(" ".join(e) for e in form.errors.values())
    return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")


# --- the roster ----------------------------------------------------------------------------


class RosterForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Roster (.xlsx)"))


@serving_required
def roster_page(request: HttpRequest) -> HttpResponse:
    """Import a roster (the row-by-row report on the same page) and export one community."""
    form = RosterForm(request.POST or None, request.FILES or None)
    report, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            report = roster.import_roster(by=request.user, data=form.cleaned_data["file"].read())
            if report.error:  # the file itself is unusable: the file field's error
                form.add_error("file", report.error)
                report = None
        status = 200 if form.is_valid() and not report.count(roster.Outcome.REFUSED) else 400
    communities = (
        cells_open_to(request.user)
        .order_by("community__full_code")
        .values_list("community_id", "community__name", "community__full_code")
        .distinct()
    )
    return render(
        request,
        "residents/roster.html",
        {"form": form, "report": report, "communities": communities, "columns": roster.COLUMNS},
        status=status,
    )


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=roster.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@serving_required
def roster_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(roster.template(), "roster-template.xlsx")


class ExportForm(forms.Form):
    # Bounded to the id column's range: a larger number overflows the database's integer.
    community = forms.IntegerField(min_value=1, max_value=2**63 - 1)


@serving_required
def roster_export(request: HttpRequest) -> HttpResponse:
    """One community's roster; 400 for a ``community`` that is no id, 404 for one not
    served."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            form.errors.as_text(), status=400, content_type="text/plain; charset=utf-8"
        )
    community_id = form.cleaned_data["community"]
    try:
        data = roster.export_roster(by=request.user, community_id=community_id)
    except ValidationError:
        raise Http404("not a community you serve") from None
    return _xlsx(data, f"roster-{community_id}-{roster.today_stamp()}.xlsx")
