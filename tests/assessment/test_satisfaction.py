"""Satisfaction (满意度): the reporter's link after close, staff phone callbacks, and the
ratings feeding 满意率."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from assessment.models import Satisfaction
from assessment.selectors import AssessmentScope, Filters, indicator_table
from cases.models import CaseStatus
from workflows import tasks
from workflows.models import Notification, NotificationKind

from ..cases.personas import case_in

LINK = re.compile(r"/satisfaction/([A-Za-z0-9_-]+)/")


def _link_of(case) -> str:
    message = Notification.objects.get(case=case, kind=NotificationKind.SATISFACTION).message
    match = LINK.search(message)
    assert match, message
    return match.group(0)


def _satisfaction_rate(territory):
    today = timezone.localdate()
    rows = indicator_table(
        level="cell",
        scope=AssessmentScope(everything=True),
        filters=Filters(start=today, end=today),
    )
    row = next(r for r in rows if r["id"] == territory.cell_a.pk)
    return row["counts"]["rated"], row["indicators"]["satisfaction_rate"]


def test_the_reporter_rates_a_closed_case_once_by_the_link(cast):
    case = case_in(cast, CaseStatus.CLOSED)
    assert tasks.request_satisfaction.run(case.pk) == 1
    link = _link_of(case)
    browser = Client()  # the reporter need not be signed in: the token is the key

    page = browser.get(link)
    assert page.status_code == 200
    assert case.number in page.content.decode()
    assert 'name="score"' in page.content.decode()

    bad = browser.post(link, {"score": "9", "comment": "?"})
    assert bad.status_code == 400
    assert not Satisfaction.objects.get(case=case).is_rated

    good = browser.post(link, {"score": "4", "comment": "修得很快"})
    assert good.status_code == 200
    rating = Satisfaction.objects.get(case=case)
    assert (rating.score, rating.comment, rating.channel) == (4, "修得很快", "link")
    assert rating.entered_by is None and rating.rated_at is not None

    again = browser.post(link, {"score": "1"})
    assert again.status_code == 409
    assert Satisfaction.objects.get(case=case).score == 4
    assert 'name="score"' not in browser.get(link).content.decode()  # thanks, no form

    assert _satisfaction_rate(cast.territory) == (1, 1.0)


def test_an_unknown_token_is_404(db):
    assert Client().get("/satisfaction/not-a-token/").status_code == 404
    assert Client().post("/satisfaction/not-a-token/", {"score": "5"}).status_code == 404


def test_a_repeated_request_keeps_one_link(cast):
    case = case_in(cast, CaseStatus.CLOSED)
    tasks.request_satisfaction.run(case.pk)
    tasks.request_satisfaction.run(case.pk)
    assert Satisfaction.objects.filter(case=case).count() == 1


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
    assert _satisfaction_rate(cast.territory) == (1, 0.0)  # rated 1, satisfied 0


@pytest.mark.parametrize("status", [CaseStatus.HANDLING, CaseStatus.FEEDBACK])
def test_an_open_case_cannot_be_rated(cast, client_for, status):
    case = case_in(cast, status)
    response = client_for(cast.staff).post(CALLBACKS, {"case": case.pk, "score": 5})
    assert response.status_code == 400
    assert not Satisfaction.objects.filter(case=case).exists()
