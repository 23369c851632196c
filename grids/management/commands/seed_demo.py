"""python manage.py seed_demo --scale small|district [--reset | --if-empty]

Creates a demo district: territory whose cells tile their communities, one department of each
kind, users for every role (password ``gridgov-demo``) and residents. Bulk inserts with a
progress bar. Re-running is safe: it refuses when demo data exists, unless ``--reset``
(delete the demo district and everything under it, then create it anew) or ``--if-empty``
(do nothing when the database already holds a district; ``make run`` uses this).
"""

from __future__ import annotations

import dataclasses
import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from care.demo import create_care_demo, delete_care
from cases.demo import create_nearby_report, create_routing_rules, delete_cases
from cases.demo_desk import create_desk_queue
from cases.demo_history import create_case_history
from cases.models import Case
from cases.photos import prepare_photos
from demo.functional import create_functional_work
from demo.history import play_history, wrap_up
from demo.joint import create_joint_demo
from demo.photos import PhotoStudio
from grids import demo
from grids.models import Assignment, Community, Department, District, GridCell, Street
from grids.spatial import invalidate_cell_index
from integrity.models import IntegrityFlag, Rule
from integrity.services import run_rules
from open311.demo import DEMO_KEY, create_demo_attributes, create_demo_client, demo_key_in_use
from residents.demo import (
    create_residents,
    create_visits,
    delete_access_logs_by,
    delete_residents,
)
from residents.models import Visit

RESIDENT_CASES = 40


class Command(BaseCommand):
    help = "Create demo data: a district with territory, departments, users and residents."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="small")
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--reset",
            action="store_true",
            help="delete the existing demo district and everything in it first",
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (exit 0) when the database already has a district",
        )
        parser.add_argument(
            "--history",
            type=int,
            help="bulk history cases instead of the scale's (the district: 2,000,000); for "
            "the benches' scale curve",
        )
        parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(
        self,
        *args,
        scale: str,
        reset: bool,
        if_empty: bool,
        seed: int,
        no_progress: bool,
        history: int | None = None,
        **options,
    ) -> None:
        started = time.monotonic()
        if history is not None and history < 0:
            raise CommandError("--history is a number of cases: 0 or more.")
        if if_empty and District.objects.exists():
            self.stdout.write("The database already has a district; not seeding demo data.")
            print_logins(self.stdout)
            return
        existing = District.objects.filter(code=demo.DISTRICT_CODE).first()
        if existing and not reset:
            raise CommandError(
                f"Demo district {existing} already exists. Run with --reset to delete it and "
                "create it anew (this deletes its residents, users and assignments)."
            )
        if existing:
            self.stdout.write(f"Deleting demo district {existing} …")
            delete_district(existing)

        plan = demo.SCALES[scale]
        if history is not None:
            plan = dataclasses.replace(plan, history=history)
        rng = random.Random(seed)
        with transaction.atomic():
            territory = demo.create_territory(plan, rng)
            departments = demo.create_departments(territory.district)
            demo.create_people(territory, departments, rng)
            create_demo_client()
            create_demo_attributes()
        self.stdout.write(
            f"Territory: {len(territory.streets)} streets, {len(territory.communities)} "
            f"communities, {len(territory.cells)} cells, {len(departments)} departments."
        )
        households, residents = create_residents(
            territory.cells, total=plan.residents, rng=rng, progress=not no_progress
        )
        self.stdout.write(f"Residents: {residents:,} in {households:,} households.")
        rules = create_routing_rules(territory.district)
        made = play_history(
            territory.cells,
            count=plan.cases,
            resident_count=0 if plan.history else RESIDENT_CASES,
            rng=rng,
            seed=seed,
            progress=not no_progress,
        )
        self.stdout.write(
            f"Cases: {made['cases']:,} over 90 days ({made['steps']:,} steps, "
            f"{made['scans']:,} deadline scans, {made['photos']:,} photos); {rules} routing rules."
        )
        if plan.history:  # the district: bulk history, copied in
            cases = create_case_history(
                territory.cells, total=plan.history, rng=rng, progress=not no_progress
            )
            self.stdout.write(f"History: {cases:,} more cases across every state.")
        else:  # the small demo: what the nightly jobs would have made of the 90 days
            joint = create_joint_demo(territory.cells, rng=rng)
            self.stdout.write(
                f"Joint handling (吹哨报到): {joint['summonses']} summonses; a joint case: "
                f"/cases/{joint['joint_case']}/; a transfer request: "
                f"/cases/{joint['transfer_case']}/."
            )
            done = wrap_up()
            self.stdout.write(
                f"Assessment: {done['days']} days rolled up; integrity: {done['flags']} flags."
            )
            self.stdout.write(
                f"Residents' reports: {made['resident_cases']} (portal, Open311 and hotline), "
                f"{made['ratings']} ratings, {made['answers']} survey answers."
            )
            self.stdout.write(f"Visits: {create_field_demo(territory, seed)} by demo_worker.")
            care = create_care_demo(territory)
            self.stdout.write(
                f"Care: {care['plans']} plans ({care['done']} tasks done, one missed), "
                f"{care['volunteer_hours']} volunteer hours, {care['cases']} service case "
                f"from a check-in; demo_volunteer belongs to a social organisation."
            )
            nearby = self._nearby_report()
            if nearby:
                self.stdout.write(
                    f"Already reported nearby: as demo_worker on /report/, tap the middle of "
                    f"{nearby.cell.name} and choose {nearby.category.code} {nearby.category.name}."
                )
            if made["try_code"]:
                self.stdout.write(
                    f"A resident's tracking code to try: /public/track/{made['try_code']}/"
                )
            # A desk's load: more fresh reports in each street queue than a screen holds.
            waiting = create_desk_queue(territory.cells, rng=rng)
            self.stdout.write(f"Street queues: {waiting} fresh reports waiting.")
            service = create_functional_work(territory.cells[0], rng)
            self.stdout.write(f"Service cases: {service} for demo_functional (养老).")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ({scale}) ready in {time.monotonic() - started:.0f} s.")
        )
        print_logins(self.stdout)

    def _nearby_report(self):
        """An open report in demo_worker's cell by the demo volunteer (see create_nearby_report)."""
        worker = Assignment.objects.filter(user__username="demo_worker", cell__isnull=False).first()
        volunteer = get_user_model().objects.filter(username="demo_volunteer").first()
        if worker is None or volunteer is None:
            return None
        return create_nearby_report(worker.cell, by=volunteer)


def create_field_demo(territory, seed: int) -> int:
    """demo_worker's visits (notes, GPS fixes, two the integrity rules flag), and the visit
    rules run so the flags are on the review page. Returns the number of visits."""
    worker = get_user_model().objects.get(username="demo_worker")
    cell1, cell2 = territory.cells[0], territory.cells[1]
    made = create_visits(worker=worker, cell=cell1, away=cell2, rng=random.Random(13))
    # The latest three visits carry a photo, as a phone sends it (through the pipeline).
    studio = PhotoStudio(seed + 1)
    for visit in Visit.objects.filter(worker=worker).order_by("-visited_at")[:3]:
        (prepared,) = prepare_photos([studio.photo()])
        visit.photo.save(f"visit-{visit.pk}.jpg", ContentFile(prepared.data), save=False)
        visit.photo_thumbnail.save(
            f"visit-{visit.pk}-thumb.jpg", ContentFile(prepared.thumbnail), save=False
        )
        visit.save(update_fields=["photo", "photo_thumbnail"])
    run_rules(
        since=timezone.now() - timedelta(days=45),
        rules=[Rule.VISIT_OUTSIDE_CELL, Rule.VISIT_RUN],
    )
    return made


def print_logins(out) -> None:
    logins = demo.demo_logins()
    if not logins:
        return
    out.write(f"\nDemo logins (password: {demo.DEMO_PASSWORD}):")
    for username, role, where in logins:
        out.write(f"  {username:<16} {role:<24} {where}")
    if demo_key_in_use():
        out.write(f"Open311 demo API key: {DEMO_KEY}  (POST /open311/v2/requests.json)")
    out.write("")


def delete_district(district: District) -> None:
    """Delete a district and everything under it (residents first, in bulk). Users who served
    only there go too, as do the fixed demo logins."""
    User = get_user_model()
    cells = GridCell.objects.filter(community__street__district=district)
    with transaction.atomic():
        delete_care(cells, district)
        delete_cases(Case.objects.filter(street__district=district))
        IntegrityFlag.objects.filter(visit__household__cell__in=cells).delete()
    delete_residents(cells)
    in_district = (
        Q(district=district)
        | Q(street__district=district)
        | Q(community__street__district=district)
        | Q(cell__community__street__district=district)
    )
    with transaction.atomic():
        user_ids = set(Assignment.objects.filter(in_district).values_list("user_id", flat=True))
        Assignment.objects.filter(in_district).delete()
        users = User.objects.filter(
            Q(pk__in=user_ids, assignments__isnull=True) | Q(username__startswith="demo_")
        )
        delete_access_logs_by(users)  # they protect the users they name
        users.delete()
        Department.objects.filter(district=district).delete()
        cells.delete()
        Community.objects.filter(street__district=district).delete()
        Street.objects.filter(district=district).delete()
        district.delete()
    invalidate_cell_index()
