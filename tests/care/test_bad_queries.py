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


@pytest.mark.parametrize(
    "param, value, error",
    [
        ("community", "abc", "Community: Enter a whole number."),
        ("street", "1.5", "Street: Enter a whole number."),
        ("worker", "x", "Worker: Enter a whole number."),
        ("worker", "99999999999999999999", "Worker: Ensure this value is less than or equal to"),
        ("community", "0", "Community: Ensure this value is greater than or equal to 1."),
        ("format", "pdf", "Format: Select a valid choice."),
    ],
)
def test_a_bad_ledger_parameter_is_a_400_naming_it(street_staff, client, param, value, error):
    client.force_login(street_staff)
    response = client.get("/care/ledgers/", {"month": "2026-11", param: value})
    assert response.status_code == 400
    assert error in response.content.decode()


def test_a_well_formed_id_out_of_scope_stays_a_404(street_staff, staff2, territory, client):
    client.force_login(staff2)
    for param, value in (("community", territory.community1.pk), ("street", 99999)):
        assert client.get("/care/ledgers/", {param: value}).status_code == 404
