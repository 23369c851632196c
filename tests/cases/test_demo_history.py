"""The district's bulk history records late steps as the SLA scanner would have: a step that
took longer than its limit has its overdue notice (what 按期结案率 reads), so the history's
on-time rate is what its step times say, not 100 %."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from cases.demo_history import create_case_history
from cases.models import Case, CaseEvent
from workflows.models import NotificationKind, SlaNotice

# transaction: the history ends with VACUUM, which PostgreSQL runs outside a transaction only
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
K = NotificationKind


@pytest.fixture
def history(territory, worker_a, worker_b, street_staff, handler):
    create_case_history(
        [territory.cell_a, territory.cell_b], total=600, rng=random.Random(7), progress=False
    )


def test_a_late_step_has_its_overdue_notice_and_an_on_time_one_none(history):
    notices = list(SlaNotice.objects.filter(kind=K.OVERDUE, department=None))
    assert notices
    ending = {(e.case_id, e.seq): e.at for e in CaseEvent.objects.all()}
    now = timezone.now()
    for notice in notices:
        assert notice.at == notice.due_at
        # the step running at that version ended (with the next event) after its deadline,
        # or is still running past it
        ended = ending.get((notice.case_id, notice.version + 1), now)
        assert ended > notice.due_at, notice.case_id
    closed = Case.objects.filter(status="closed")
    late = closed.filter(sla_notices__kind=K.OVERDUE).distinct().count()
    assert 0.05 < late / closed.count() < 0.25  # a step is late one time in thirty


def test_every_open_overdue_case_has_its_notices(history):
    for case in Case.objects.filter(overdue=True).exclude(status__in=("closed", "rejected")):
        kinds = set(
            case.sla_notices.filter(version=case.version, department=None).values_list(
                "kind", flat=True
            )
        )
        assert K.OVERDUE in kinds, case.pk
        assert (K.ESCALATION in kinds) == (case.escalation_level == 2), case.pk


def test_reports_naming_one_spot_of_a_cell_gather_about_one_place(history):
    """A real district's "东门" is one gate: the quick-fill reports naming it lie about it, so
    the same phrase at one spot is common and the integrity rules are measured on that."""
    from cases.demo import SPOTS
    from cases.demo_history import SPOT_SPREAD_M
    from grids.geometry import haversine_m

    places: dict[tuple, list[tuple[float, float]]] = {}
    rows = Case.objects.values_list(
        "cell_id", "title", "lon", "lat", "cell__community__name", "category__name"
    )
    for cell_id, title, lon, lat, community, category in rows:
        # community + spot + category ("…南门公交站亭" names 南门, not 公交站)
        spot = title.removeprefix(community).removesuffix(category)
        if spot in SPOTS:
            places.setdefault((cell_id, spot), []).append((lon, lat))
    assert len(places) == 2 * len(SPOTS)
    for key, points in places.items():
        assert len(points) >= 10, key
        farthest = max(haversine_m(*a, *b) for a in points for b in points)
        assert farthest <= 2 * SPOT_SPREAD_M + 1, key


def test_a_verification_that_needs_a_photo_carries_one_taken_on_site_after_the_result(history):
    """The services refuse a verification without a photo where the category asks for one,
    so the history's verifications carry one, with what the phone sent at capture: the
    quick-verification rule is measured on the photos a real archive has."""
    from cases.demo_history import NO_FACTS_SHARE, NO_FIX_SHARE
    from cases.models import Attachment
    from grids.geometry import haversine_m
    from integrity.models import PhotoHash

    closed = Case.objects.filter(status="closed").select_related("category")
    photos = {
        a.case_id: a
        for a in Attachment.objects.filter(stage=Attachment.Stage.VERIFICATION).select_related(
            "event"
        )
    }
    needing = [c for c in closed if c.category.requires_verification_photo]
    assert len(needing) > 100
    assert {c.pk for c in needing} == set(photos)
    located = 0
    for case in needing:
        photo = photos[case.pk]
        verify = photo.event
        assert verify.action == "verify_pass"
        report = case.events.filter(action="report", seq__lt=verify.seq).order_by("-seq").first()
        if photo.capture_at is not None:
            assert report.at < photo.capture_at <= verify.at, case.pk
        if photo.capture_lon is not None:
            located += 1
            distance = haversine_m(photo.capture_lon, photo.capture_lat, case.lon, case.lat)
            assert abs(distance - photo.capture_distance_m) <= 1
            assert not photo.is_far, case.pk
    assert located / len(needing) == pytest.approx(1 - NO_FIX_SHARE - NO_FACTS_SHARE, abs=0.05)
    with photos[needing[0].pk].file.open("rb") as handle:
        assert handle.read(2) == b"\xff\xd8"  # the stand-in is a JPEG in storage
    # fingerprinted as the nightly scan would (flat: never compared), so it hashes nothing
    prints = PhotoHash.objects.filter(attachment_id__in=[a.pk for a in photos.values()])
    assert prints.count() == len(photos)
    assert not prints.filter(informative=True).exists()
