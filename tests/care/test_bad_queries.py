"""Bad query parameters on the care pages are a 400 naming the field, never a 500 and never
silently another month or an empty page; a well-formed id out of the reader's scope stays a
404 (tests/care/test_ledgers.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BAD_MONTHS = ("9999-12", "2026-13", "2026-00", "0000-01", "26-1", "abc", "2026-11-05")


@pytest.mark.parametrize("month", BAD_MONTHS)
@pytest.mark.parametrize("who", ["street_staff", "volunteer"])
def test_a_bad_month_is_a_400_naming_the_field(request, who, month, client):
    client.force_login(request.getfixturevalue(who))
    urls = ["/care/hours/"] + (["/care/ledgers/"] if who == "street_staff" else [])
    for url in urls:
        response = client.get(url, {"month": month})
        assert response.status_code == 400, url
        assert "Month: Enter a month as YYYY-MM" in response.content.decode(), url


def test_a_good_or_missing_month_is_shown(street_staff, client):
    client.force_login(street_staff)
    for url in ("/care/hours/", "/care/ledgers/"):
        assert client.get(url, {"month": "2026-02"}).status_code == 200
        assert client.get(url, {"month": ""}).status_code == 200
        assert client.get(url).status_code == 200
