"""The care pages: plans and missed tasks (``/care/``), setting a plan, doing a task, the
volunteers' tasks and hours, and the ledgers (print page and Excel)."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.forms import add_service_errors
from grids.access import assignment_required, current_roles
from grids.models import Role
from grids.selectors import TERRITORIAL_ROLES, cell_scope_q
from residents.selectors import residents_served_by

from . import ledgers as ledger_module
from .forms import DoneForm, LedgerQuery, MonthQuery, PlanForm
from .models import CareTask, TaskStatus
from .selectors import (
    hours_by_organisation,
    hours_by_volunteer,
    hours_done,
    is_volunteer_task,
    missed_for_community,
    plans_visible_to,
    residents_needing_a_plan,
    tasks_visible_to,
    volunteer_tasks,
    volunteer_view,
)
from .services import CareConflict, Problem, complete_task, create_plan, take_task

LIST_SIZE = 50


@assignment_required
def index(request: HttpRequest) -> HttpResponse:
    """关爱服务: residents with a service tag and no plan yet (in the cells the user serves),
    the plans in scope, and tasks the community missed past the grace period."""
    if current_roles(request) == {Role.VOLUNTEER}:
        return redirect("care:volunteer")
    user = request.user
    unplanned = residents_needing_a_plan(user, limit=LIST_SIZE)
    plans = list(plans_visible_to(user).order_by("-created_at")[:LIST_SIZE])
    missed = list(missed_for_community(user)[:LIST_SIZE])
    return render(
        request, "care/index.html", {"unplanned": unplanned, "plans": plans, "missed": missed}
    )


@assignment_required
def plan_new(request: HttpRequest, resident: int) -> HttpResponse:
    """Set a care plan for a resident one serves (404 otherwise)."""
    target = (
        residents_served_by(request.user)
        .select_related("household", "cell__community")
        .filter(pk=resident)
        .first()
    )
    if target is None:
        raise Http404("no such resident")
    form = PlanForm(request.POST or None, resident=target, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = create_plan(by=request.user, resident_id=target.pk, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Plan set: %(n)d tasks written for the next month.")
                    % {"n": plan.tasks.count()},
                )
                return redirect("care:index")
        status = 400
    return render(request, "care/plan_form.html", {"form": form, "resident": target}, status=status)


def _task_for(request: HttpRequest, pk: int) -> CareTask:
    """The task if the user may see it — a volunteer task as its volunteers see it
    (``task.view``, a ``VolunteerTaskView``), else their own or one whose resident they see
    (``task.view`` None) — or 404."""
    task = (
        CareTask.objects.select_related("plan__resident__household", "plan__tag")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("no such task")
    task.view = None
    if is_volunteer_task(task):
        with contextlib.suppress(CareTask.DoesNotExist):  # not theirs: maybe staff's to see
            task.view = volunteer_view(request.user, pk)
    if (
        task.view is None
        and task.assignee_id != request.user.pk
        and not tasks_visible_to(request.user).filter(pk=pk).exists()
    ):
        raise Http404("no such task")
    return task


@assignment_required
def task_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A care task: what to do and for whom (a volunteer sees only the addressing name and
    the building), and, for its doer, the form to record it done."""
    task = _task_for(request, pk)
    volunteer = is_volunteer_task(task)
    form = DoneForm(request.POST or None, volunteer=volunteer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            problem = Problem(data["category"], data["description"]) if data.get("report") else None
            try:
                done = complete_task(
                    task_id=task.pk,
                    by=request.user,
                    note=data["note"],
                    hours=data.get("hours"),
                    problem=problem,
                )
            except CareTask.DoesNotExist:
                raise Http404("no such task") from None
            except CareConflict as exc:
                form.add_error(None, str(exc))
                status = exc.http_status
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if done.case_id:
                    messages.success(
                        request, _("Done. Reported as %(n)s.") % {"n": done.case.number}
                    )
                    return redirect("case-page", pk=done.case_id)
                messages.success(request, _("Done. Thank you."))
                return redirect("care:volunteer" if volunteer else "home")
        status = status if status != 200 else 400
    mine = task.assignee_id == request.user.pk or (
        task.view is not None and task.status == TaskStatus.OPEN
    )
    return render(
        request,
        "care/task.html",
        {
            "task": task,
            "volunteer": volunteer,
            "form": form,
            "mine": mine,
            # Whole name and address only to those who serve the resident (as in every list).
            "served": task.view is None
            and residents_served_by(request.user).filter(pk=task.plan.resident_id).exists(),
        },
        status=status,
    )


@assignment_required
def volunteer(request: HttpRequest) -> HttpResponse:
    """A volunteer's page: open volunteer tasks of their community (and those they took)."""
    return render(request, "care/volunteer.html", {"tasks": volunteer_tasks(request.user)})


@assignment_required
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        take_task(task_id=pk, by=request.user)
    except CareTask.DoesNotExist:
        raise Http404("no such task") from None
    except CareConflict as exc:
        return render(
            request,
            "care/volunteer.html",
            {"tasks": volunteer_tasks(request.user), "error": str(exc)},
            status=409,
        )
    messages.success(request, _("The task is yours: it is in your task list."))
    return redirect("care:volunteer")


def bad_query(request: HttpRequest, query) -> HttpResponse:
    """400: the page's query parameters with each bad one's error."""
    return render(request, "care/bad_query.html", {"form": query}, status=400)


@assignment_required
def hours(request: HttpRequest) -> HttpResponse:
    """志愿服务时长: a volunteer's own month as a printable certificate; for staff and
    workers, every volunteer and organisation of their territory that month."""
    query = MonthQuery(request.GET)
    if not query.is_valid():
        return bad_query(request, query)
    month = query.the_month()
    start, end = ledger_module.month_bounds(month)
    user = request.user
    if Role.VOLUNTEER in current_roles(request):
        done = (
            hours_done(CareTask.objects.filter(done_by=user), start, end)
            .select_related("plan", "organisation", "cell__community")
            .order_by("done_at")
        )
        done = list(done)
        return render(
            request,
            "care/certificate.html",
            {
                "month": month,
                "tasks": done,
                "total": sum(t.hours for t in done),
                "organisations": sorted({str(t.organisation) for t in done if t.organisation}),
                "today": timezone.localdate(),
            },
        )
    lines = hours_by_volunteer(cell_scope_q(user, "cell__", roles=TERRITORIAL_ROLES), start, end)
    return render(
        request,
        "care/hours.html",
        {"month": month, "lines": lines, "organisations": hours_by_organisation(lines)},
    )


@assignment_required
def ledgers(request: HttpRequest) -> HttpResponse:
    """台账: ``?month=YYYY-MM&community=<id>`` (or ``street=``; ``worker=<id>``), as a
    print-friendly page, or ``&format=xlsx`` as an Excel workbook."""
    query = LedgerQuery(request.GET)
    if not query.is_valid():
        return bad_query(request, query)
    month, data = query.the_month(), query.cleaned_data
    built = ledger_module.build_ledgers(
        request.user,
        month=month,
        street_id=data["street"],
        community_id=data["community"],
        worker_id=data["worker"],
    )
    if data["format"] == "xlsx":
        response = HttpResponse(
            ledger_module.workbook(built),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="ledgers-{month:%Y%m}.xlsx"; '
            f"filename*=UTF-8''{quote(built.filename)}"
        )
        return response
    return render(request, "care/ledgers.html", {"set": built, "query": request.GET.urlencode()})
