"""The grid-service survey (网格服务测评): one answer per person, cell and quarter, counted for
the grid worker who served the cell; its QR poster."""

from __future__ import annotations

import pytest
from django.test import Client

from assessment.models import GridSurveyAnswer

pytestmark = pytest.mark.django_db


def _url(territory) -> str:
    return f"/public/survey/{territory.cell_a.full_code}/"


def test_a_resident_answers_once_a_quarter(cast):
    url = _url(cast.territory)
    assert Client().get(url).status_code == 200
    response = Client().post(
        url, {"score": "5", "comment": "网格员常来看看", "phone": "13912345678"}
    )
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    answer = GridSurveyAnswer.objects.get()
    assert (answer.cell, answer.worker, answer.score) == (cast.territory.cell_a, cast.reporter, 5)
    assert "13912345678" not in answer.contact_hash and len(answer.contact_hash) == 64
    again = Client().post(url, {"score": "1", "phone": "139 1234 5678"})
    assert again.status_code == 400 and "already answered" in again.content.decode()
    assert GridSurveyAnswer.objects.count() == 1


def test_an_answer_needs_a_contact_and_a_score(cast):
    url = _url(cast.territory)
    assert Client().post(url, {"score": "4"}).status_code == 400
    assert Client().post(url, {"score": "9", "phone": "13912345678"}).status_code == 400
    assert not GridSurveyAnswer.objects.exists()


def test_an_unknown_cell_is_404(db):
    assert Client().get("/public/survey/110105999999999/").status_code == 404
    assert Client().get("/public/survey/110105999999999/poster/").status_code == 404


def test_the_poster_carries_a_qr_code_of_the_survey_link(cast, settings):
    settings.SITE_URL = "https://grid.example.org"
    page = Client().get(_url(cast.territory) + "poster/").content.decode()
    assert "<svg" in page and f"https://grid.example.org{_url(cast.territory)}" in page
