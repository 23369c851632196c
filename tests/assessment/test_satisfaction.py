"""Satisfaction (满意度): the resident's rating on their tracking page, staff phone callbacks,
and the ratings feeding 满意率 (residents only, DESIGN §5)."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from assessment.models import Satisfaction
from assessment.selectors import AssessmentScope, Filters, indicator_table
from assessment.services import rate_by_resident
from cases.models import Case, CaseStatus
from workflows import outbox
from workflows.models import Notification, NotificationKind

from ..cases.personas import case_in


def _satisfaction_rate(territory):
    today = timezone.localdate()
    rows = indicator_table(
        level="cell",
        scope=AssessmentScope(everything=True),
        filters=Filters(start=today, end=today),
    )
    row = next(r for r in rows if r["id"] == territory.cell_a.pk)
    return row["counts"]["rated"], row["indicators"]["satisfaction_rate"]


def test_the_resident_rates_their_closed_case_once_on_the_tracking_page(cast):
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    page_url = f"/public/track/{case.tracking_code}/"
    browser = Client()  # no account: the tracking code is the resident's key

    page = browser.get(page_url)
    assert page.status_code == 200
    assert 'name="rate-score"' in page.content.decode()

    bad = browser.post(page_url, {"rate-score": "9", "rate-comment": "?"})
    assert bad.status_code == 400
    assert not Satisfaction.objects.filter(case=case, score__isnull=False).exists()

    good = browser.post(page_url, {"rate-score": "4", "rate-comment": "修得很快"})
    assert good.status_code == 302
    rating = Satisfaction.objects.get(case=case)
    assert (rating.score, rating.comment, rating.channel) == (4, "修得很快", "link")
    assert rating.entered_by is None and rating.rated_at is not None

    again = browser.post(page_url, {"rate-score": "1"})
    assert again.status_code == 400 and "already been rated" in again.content.decode()
    assert Satisfaction.objects.get(case=case).score == 4
    assert 'name="rate-score"' not in browser.get(page_url).content.decode()  # thanks, no form

    assert _satisfaction_rate(cast.territory) == (1, None)  # one rating: too few to say


def test_a_worker_never_rates_the_case_they_reported(cast, client_for):
    """Before: closing a case sent its reporting worker a rating link, and 满意率 was mostly
    workers rating work in their own cells."""
    case = case_in(cast, CaseStatus.CLOSED)
    outbox.after_transition(case.pk, "verify_pass", case.version)
    assert not Notification.objects.filter(kind=NotificationKind.SATISFACTION).exists()
    assert case.tracking_code is None  # a worker's case has no resident page to rate on
    with pytest.raises(Http404):
        rate_by_resident(tracking_code="", score=5)
    # The old rating page is gone.
    assert Client().get("/satisfaction/anything/").status_code == 404


def test_a_reporter_may_not_enter_a_callback_for_their_own_case(cast, client_for, territory):
    reporter_staff = cast.staff  # street staff who filed a hotline case themselves
    case = case_in(cast, CaseStatus.CLOSED)
    Case.objects.filter(pk=case.pk).update(reporter=reporter_staff)
    response = client_for(reporter_staff).post(CALLBACKS, {"case": case.pk, "score": 5})
    assert response.status_code == 403
    assert not Satisfaction.objects.filter(case=case, score__isnull=False).exists()


CALLBACKS = "/api/v1/satisfaction/callbacks/"


def test_street_staff_enter_a_phone_callback(cast, client_for, staff2):
    case = case_in(cast, CaseStatus.CLOSED)
    body = {"case": case.pk, "score": 2, "comment": "电话回访：仍有异味"}
    # another street's staff cannot see the case; the grid worker is not street staff
    assert client_for(staff2).post(CALLBACKS, body).status_code == 404
    assert client_for(cast.reporter).post(CALLBACKS, body).status_code == 403
    assert client_for(cast.staff).post(CALLBACKS, {**body, "score": 0}).status_code == 400

    response = client_for(cast.staff).post(CALLBACKS, body)
    assert response.status_code == 201, response.content
    rating = Satisfaction.objects.get(case=case)
    assert (rating.score, rating.channel, rating.entered_by) == (2, "phone", cast.staff)
    second = client_for(cast.staff).post(CALLBACKS, body)
    assert second.status_code == 400 and "score" in second.json()
    assert _satisfaction_rate(cast.territory) == (1, None)  # rated 1: too few to say


@pytest.mark.parametrize("status", [CaseStatus.HANDLING, CaseStatus.FEEDBACK])
def test_an_open_case_cannot_be_rated(cast, client_for, status):
    case = case_in(cast, status)
    response = client_for(cast.staff).post(CALLBACKS, {"case": case.pk, "score": 5})
    assert response.status_code == 400
    assert not Satisfaction.objects.filter(case=case).exists()


def test_five_residents_make_a_rate_and_fewer_show_nothing(cast):
    """Before: one rating showed 满意率 100 %."""
    for score in (5, 4, 4, 2):
        case = case_in(cast, CaseStatus.CLOSED, resident=True)
        rate_by_resident(tracking_code=case.tracking_code, score=score)
    assert _satisfaction_rate(cast.territory) == (4, None)
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    rate_by_resident(tracking_code=case.tracking_code, score=1)
    assert _satisfaction_rate(cast.territory) == (5, 0.6)
