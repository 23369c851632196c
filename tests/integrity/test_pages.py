"""The review page ``/integrity/``: evidence on screen, htmx dismiss/confirm in place, scope,
and a query count that does not grow with the number of flags."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Attachment
from cases.photos import prepare_photos
from integrity.models import FlagStatus, IntegrityFlag, Rule

from .conftest import encoded, photo_file, picture, plain_case

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def photo_on(case, seed: int) -> Attachment:
    (prepared,) = prepare_photos([photo_file(encoded(picture(seed)))])
    attachment = Attachment.build(case=case, stage=Attachment.Stage.REPORT, photo=prepared)
    attachment.save()
    return attachment


def make_flags(cast, n: int) -> list[IntegrityFlag]:
    """``n`` flags on cases of cell A, every third a reused photo with both pictures."""
    flags = []
    for i in range(n):
        case = plain_case(cast.territory.cell_a, reporter=cast.reporter, title=f"井盖丢失{i}")
        evidence: dict = {"matches": []}
        rule = Rule.NEAR_DUPLICATE
        if i % 3 == 0:
            earlier = plain_case(cast.territory.cell_a, reporter=cast.reporter)
            a, b = photo_on(case, i), photo_on(earlier, i)
            rule = Rule.REUSED_PHOTO
            evidence = {
                "photos": [
                    {
                        "attachment_id": a.pk,
                        "matched_attachment_id": b.pk,
                        "matched_case_id": earlier.pk,
                        "matched_number": earlier.number,
                        "distance": 2,
                        "same_file": False,
                    }
                ]
            }
        flags.append(
            IntegrityFlag.objects.create(
                rule=rule, case=case, subject=cast.reporter, evidence=evidence
            )
        )
    return flags


def test_the_page_shows_open_flags_with_evidence_and_links(client, cast):
    flags = make_flags(cast, 4)
    client.force_login(cast.staff)
    response = client.get("/integrity/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="flag"') == 4
    assert f'href="/cases/{flags[1].case_id}/"' in html
    photo = flags[0].evidence["photos"][0]
    for attachment_id in (photo["attachment_id"], photo["matched_attachment_id"]):
        url = f"/integrity/{flags[0].pk}/photos/{attachment_id}/"
        assert f'href="{url}"' in html and f'src="{url}thumbnail/"' in html


def test_query_count_does_not_grow_with_the_flags(client, cast):
    client.force_login(cast.staff)
    make_flags(cast, 10)
    with CaptureQueriesContext(connection) as ten:
        assert client.get("/integrity/").status_code == 200
    make_flags(cast, 90)
    with CaptureQueriesContext(connection) as hundred:
        response = client.get("/integrity/?page=2")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="flag"') == 50
    assert len(hundred) == len(ten)


def test_a_grid_worker_may_not_open_the_review_page(client, cast):
    make_flags(cast, 1)
    client.force_login(cast.reporter)
    assert client.get("/integrity/").status_code == 403


def test_dismiss_through_htmx_replaces_the_card(client, cast):
    flag = make_flags(cast, 2)[1]
    client.force_login(cast.staff)
    response = client.post(
        f"/integrity/{flag.pk}/dismiss/", {"note": "同一问题复发，已现场确认"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="flag-{flag.pk}"' in html
    assert 'data-testid="review"' in html
    assert "同一问题复发，已现场确认" in html
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED


def test_confirm_without_a_note_is_refused_in_place(client, cast):
    flag = make_flags(cast, 2)[1]
    client.force_login(cast.staff)
    response = client.post(f"/integrity/{flag.pk}/confirm/", {"note": ""}, **HTMX)
    assert response.status_code == 400
    assert 'data-testid="errors"' in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_without_htmx_a_review_redirects_to_the_list(client, cast):
    flag = make_flags(cast, 2)[1]
    client.force_login(cast.staff)
    response = client.post(f"/integrity/{flag.pk}/confirm/", {"note": "虚报"})
    assert (response.status_code, response["Location"]) == (302, "/integrity/")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CONFIRMED


def test_another_streets_staff_get_404(client, cast, staff2):
    flag = make_flags(cast, 1)[0]
    client.force_login(staff2)
    assert client.post(f"/integrity/{flag.pk}/dismiss/", {"note": "x"}, **HTMX).status_code == 404
    photo = flag.evidence["photos"][0]["attachment_id"]
    assert client.get(f"/integrity/{flag.pk}/photos/{photo}/").status_code == 404
    assert 'data-testid="flag"' not in client.get("/integrity/").content.decode()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_a_reviewer_sees_only_the_photos_a_flag_names(client, cast):
    flag = make_flags(cast, 1)[0]
    client.force_login(cast.staff)
    photo = flag.evidence["photos"][0]["matched_attachment_id"]
    for url in (
        f"/integrity/{flag.pk}/photos/{photo}/",
        f"/integrity/{flag.pk}/photos/{photo}/thumbnail/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
    unrelated = photo_on(plain_case(cast.territory.cell_a), 99)
    assert client.get(f"/integrity/{flag.pk}/photos/{unrelated.pk}/").status_code == 404
    assert client.get(f"/integrity/{flag.pk}/photos/{unrelated.pk}/thumbnail/").status_code == 404


def test_a_near_duplicates_title_from_another_street_shows_only_to_those_who_see_it(
    client, cast, district_admin
):
    later = plain_case(cast.territory.cell_a, reporter=cast.reporter, title="井盖丢失")
    mine = plain_case(cast.territory.cell_a, reporter=cast.reporter, title="本街道的井盖")
    theirs = plain_case(cast.territory.cell_x, title="二街道某小区门口井盖")
    matches = [
        {"case_id": c.pk, "number": c.number, "title": c.title, "similarity": 0.9}
        for c in (mine, theirs)
    ]
    IntegrityFlag.objects.create(
        rule=Rule.NEAR_DUPLICATE, case=later, subject=cast.reporter, evidence={"matches": matches}
    )
    for viewer, sees_theirs in ((cast.staff, False), (district_admin, True)):
        client.force_login(viewer)
        html = client.get("/integrity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert mine.title in html and theirs.number in html
        assert (theirs.title in html) is sees_theirs, viewer
        assert ("a case outside your area" in html) is not sees_theirs, viewer
