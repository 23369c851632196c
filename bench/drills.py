"""Fault drills: break a dependency under load and count what the loop lost or did twice.

    python bench/drills.py [DRILL ...]        (make drills: all of them)

Each drill starts its own PostgreSQL cluster (initdb, a copy of one seeded once per run) and its
own Redis (AOF on), never the shared ones, then gunicorn (2 workers), a Celery worker under
bin/respawn (as `make run` runs it) and beat. Grid workers file cases and street staff accept
them over the API while the fault happens; afterwards the drill waits for the sweeps to drain
and counts, for cases, accept events, notices, emails and follow-ups, what was expected, found,
lost and duplicated. Exits non-zero on any loss or duplicate, or on a 5xx other than 503.

Drills: baseline, worker_kill, redis_stop (30 s), redis_stop_3m, redis_hung, pg_stop, pair
(two gunicorns, two workers and two beats for 5 minutes, with 40 cases made overdue for the SLA
scanners), media_full (MEDIA_ROOT on a tmpfs filled to the brim for 30 s while half the
workers file with a photo: 507, then recovery), conflicts, and latency (follow-up latency at
40 filings/s for 60 s, bench/follow_up_latency.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(sys.executable).parent
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
PASSWORD = "gridgov-demo"
LOAD_SECONDS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def as_postgres(args: list[str], **kw) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Postgres:
    """A private cluster in ``path`` on its own port."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()

    @classmethod
    def init(cls, path: Path) -> Postgres:
        path.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")
        as_postgres([str(PG_BIN / "initdb"), "-D", str(path), "-U", "postgres", "-A", "trust"])
        return cls(path)

    def copy(self, path: Path) -> Postgres:
        shutil.copytree(self.path, path, symlinks=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(path)], check=True)
        (path / "postmaster.pid").unlink(missing_ok=True)
        return Postgres(path)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/gridgov"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.path} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.path),
                "-o",
                options,
                "-w",
                "-l",
                str(self.path / "log"),
                "start",
            ]
        )

    def stop(self) -> None:
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.path), "-m", "fast", "-w", "stop"])


class Redis:
    def __init__(self, path: Path) -> None:
        self.path, self.port, self.process = path, free_port(), None
        path.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.path),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # never the caller's pipe: it would wait for this server
        )
        wait_port(self.port)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)


_scripts = itertools.count(1)
DRAIN_STALL = 180  # seconds without progress before what is owed counts as lost


@dataclass
class Stack:
    """gunicorn, a respawned worker and beat, on a private database and Redis."""

    db: Postgres
    redis: Redis
    work: Path
    copies: int = 1  # of each process: gunicorn, worker, beat
    web_workers: int = 2  # each gunicorn's
    ports: list[int] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = self.ports or [free_port() for _ in range(self.copies)]

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.db.url,
            "CELERY_BROKER_URL": f"{self.redis.url}/0",
            "CELERY_RESULT_BACKEND": f"{self.redis.url}/1",
            "CELERY_TASK_DEFAULT_QUEUE": "celery",
            "MEDIA_ROOT": str(self.work / "media"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.work / "emails"),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        }

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def shell(self, script: str) -> str:
        """Run ``script`` in ``manage.py shell`` from a file: a count script carries every id
        the load filed, which on a quiet machine is more than one argument may hold (128 KB)."""
        path = self.work / f"script-{next(_scripts)}.py"
        path.write_text(script)
        return self.manage("shell", "-c", f"exec(open({str(path)!r}).read())")

    def start(self) -> None:
        logs = self.work / "logs"
        logs.mkdir(exist_ok=True)
        commands = {}
        for n, port in enumerate(self.ports, start=1):
            commands[f"web{n}"] = [
                str(BIN / "gunicorn"),
                "gridgov.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.web_workers),
                "--timeout",
                "30",
            ]
            commands[f"worker{n}"] = [
                str(ROOT / "bin" / "respawn"),
                str(BIN / "celery"),
                "-A",
                "gridgov",
                "worker",
                "--hostname",
                f"drill{n}@%h",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
            ]
            commands[f"beat{n}"] = [
                str(BIN / "celery"),
                "-A",
                "gridgov",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.work / f"beat-schedule{n}"),
            ]
        for name, command in commands.items():
            self.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=open(logs / f"{name}.log", "w"),  # noqa: SIM115 (the child keeps it)
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for port in self.ports:
            wait_port(port, 60)

    def respawned(self) -> int:
        """How often bin/respawn had to start a worker again."""
        logs = (self.work / "logs").glob("worker*.log")
        return sum(log.read_text().count("respawn:") for log in logs)

    def kill_worker(self) -> None:
        """kill -9 the Celery worker's processes, not bin/respawn, which starts it again."""
        respawn = self.processes["worker1"].pid  # it leads the worker's process group
        group = subprocess.run(
            ["pgrep", "-g", str(respawn)], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in {int(p) for p in group} - {respawn}:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        for process in self.processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


class Api:
    """The API of one or more gunicorns (each call goes to one of ``ports`` at random)."""

    def __init__(self, ports: list[int], token: str = "") -> None:
        self.ports, self.token = ports, token

    def call(
        self, method: str, path: str, body: dict | None = None, photo: bytes | None = None
    ) -> tuple[int, dict]:
        """``body`` as JSON, or with ``photo`` as multipart/form-data (the photo as
        ``photos``)."""
        content_type, data = "application/json", None
        if photo is not None:
            content_type, data = multipart(body or {}, photo)
        elif body is not None:
            data = json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{random.choice(self.ports)}/api/v1{path}",
            method=method,
            data=data,
            headers={
                "Content-Type": content_type,
                "Accept": "application/json",
                **({"Authorization": f"Token {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"{}")
            except ValueError:
                return exc.code, {}
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0, {}

    def sign_in(self, username: str) -> Api:
        for _ in range(30):
            status, body = self.call(
                "POST", "/auth/token/", {"username": username, "password": PASSWORD}
            )
            if status == 200:
                return Api(self.ports, body["token"])
            time.sleep(1)
        raise RuntimeError(f"{username} cannot sign in ({status})")


def multipart(fields: dict, photo: bytes) -> tuple[str, bytes]:
    boundary = f"drill{random.randrange(10**12)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def drill_photo() -> bytes:
    """A 640×480 JPEG of noise (about 100 KB): what a phone's resized photo weighs."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.frombytes("RGB", (640, 480), random.randbytes(640 * 480 * 3)).save(out, "JPEG")
    return out.getvalue()


PLAN = """
import json
from accounts.models import User
from grids.models import Assignment, Role
staff = Assignment.objects.active().get(user__username="demo_staff")
workers = list(
    Assignment.objects.active()
    .filter(role=Role.GRID_WORKER, cell__community__street=staff.street)
    .select_related("user", "cell")[:20]
)
User.objects.filter(username__in=[w.user.username for w in workers] + ["demo_staff"]).update(
    email="drill@example.org"
)
import shapely.geometry
points = {}
for w in workers:
    p = shapely.geometry.shape(w.cell.geometry).representative_point()
    points[w.user.username] = [round(p.x, 6), round(p.y, 6)]
print(json.dumps(points))
"""

BEFORE = """
from django.db.models import Max
from django.utils import timezone
from cases.models import Case
print(Case.objects.aggregate(m=Max("pk"))["m"] or 0, timezone.now().isoformat())
"""

PREPARE_SLA = """
import json
from datetime import timedelta
from django.db.models import F
from django.utils import timezone
from cases.models import Case
from grids.models import Assignment
staff = Assignment.objects.active().get(user__username="demo_staff")
ids = list(
    Case.objects.filter(street=staff.street, status__in=["accepted", "dispatched", "handling"])
    .order_by("pk").values_list("pk", flat=True)[:40]
)
# Their deadline passed a minute ago: each owes one overdue occasion (督办), told in digests.
# A new deadline is a new version of the case (as an extension makes it); the seed's history
# may already hold an overdue occasion for the old one, which the scan rightly would not repeat.
Case.objects.filter(pk__in=ids).update(
    due_at=timezone.now() - timedelta(minutes=1), remind_at=None, reminded_for=None,
    overdue=False, escalation_level=0, red_at=None, version=F("version") + 1,
)
print(json.dumps(ids))
"""

COUNT = """
import json, sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from django.core.files.storage import default_storage
from cases.models import Attachment, Case, CaseEvent
from workflows.models import Effect, Notification, SlaNotice
ids, accepted = json.loads(sys.argv[1]), json.loads(sys.argv[2])
since = datetime.fromisoformat(sys.argv[5])
overdue_ids, photo_ids = json.loads(sys.argv[6]), json.loads(sys.argv[7])
drill = Case.objects.filter(reporter__email="drill@example.org", pk__gt=int(sys.argv[4]))
found = set(drill.values_list("pk", flat=True))
later = set(
    Notification.objects.filter(case__in=accepted).exclude(dedupe_key__contains=":1:u")
    .values_list("case_id", flat=True)
)
steps = Counter(
    CaseEvent.objects.filter(case__in=accepted, action__in=["accept", "dispatch"])
    .values_list("case_id", "action")
)
accept_events = {pk for pk, action in steps if action == "accept"}
mailed = Notification.objects.filter(user__email="drill@example.org", created_at__gte=since)
# An email sent again after a lost commit carries its first Message-ID (workflows/mail.py):
# mail stores keep it once, so emails are counted by Message-ID, and resends shown apart.
message_ids = [
    line.partition(":")[2].strip()
    for p in Path(sys.argv[3]).glob("*") for line in p.read_text().splitlines()
    if line.startswith("Message-ID:")
]
emails = len(set(message_ids))
follow_ups = Counter(
    Notification.objects.filter(case__in=found, dedupe_key__contains=":1:u")
    .values_list("case_id", "user_id")
)
counts = {
    "cases": [len(ids), len(found & set(ids)), len(set(ids) - found), len(found - set(ids))],
    "events": [len(accepted), len(accept_events), len(set(accepted) - accept_events),
               sum(n - 1 for n in steps.values())],
    "notices": [len(accepted), len(later), len(set(accepted) - later), 0],
    "emails": [mailed.count(), mailed.filter(emailed_at__isnull=False).count(),
               mailed.filter(emailed_at__isnull=True).count(),
               max(0, emails - mailed.filter(emailed_at__isnull=False).count())],
    "follow-ups": [len(found), len(found) - drill.filter(intake_pending=True).count(),
                   drill.filter(intake_pending=True).count(),
                   sum(n - 1 for n in follow_ups.values())],
    "resent": len(message_ids) - emails,
    "pending": Effect.objects.count() + drill.filter(intake_pending=True).count(),
}
if overdue_ids:  # SLA: each case's overdue occasion recorded once (its people get digests)
    notices = Counter(
        SlaNotice.objects.filter(case__in=overdue_ids, kind="overdue", at__gte=since)
        .values_list("case_id", flat=True)
    )
    noticed = set(notices)
    counts["sla notices"] = [len(overdue_ids), len(noticed), len(set(overdue_ids) - noticed),
                             sum(n - 1 for n in notices.values())]
if photo_ids:  # every report answered 201 with a photo has its photo file, whole
    stored = {
        a.case_id for a in Attachment.objects.filter(case__in=photo_ids)
        if a.file and default_storage.exists(a.file.name) and a.file.size > 0
    }
    counts["photos"] = [len(photo_ids), len(stored), len(set(photo_ids) - stored), 0]
print(json.dumps(counts))
"""


@dataclass
class Load:
    api: Api
    points: dict[str, list[float]]
    filed: list[int] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)
    refusals: dict[int, dict] = field(default_factory=dict)
    photo: bytes | None = None  # half the workers file with this photo
    with_photo: list[int] = field(default_factory=list)
    photo_statuses: Counter = field(default_factory=Counter)

    def run(self, seconds: float, fault=None) -> None:
        workers = {u: self.api.sign_in(u) for u in self.points}
        staff = self.api.sign_in("demo_staff")
        threads = [
            threading.Thread(
                target=self._file, args=(api, self.points[u], self.photo if n % 2 else None)
            )
            for n, (u, api) in enumerate(workers.items())
        ]
        threads.append(threading.Thread(target=self._accept, args=(staff,)))
        for thread in threads:
            thread.start()
        if fault:
            time.sleep(3)
            fault()
        remaining = seconds - (time.monotonic() - self._started)
        time.sleep(max(0, remaining))
        self.stop.set()
        for thread in threads:
            thread.join()

    def __post_init__(self) -> None:
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def _file(self, api: Api, point: list[float], photo: bytes | None) -> None:
        rng = random.Random()
        while not self.stop.is_set():
            status, body = api.call(
                "POST",
                "/cases/",
                {
                    "category": rng.choice(["C0101", "C0102", "C0201", "E0101"]),
                    "title": "演练上报",
                    "description": f"演练上报 {rng.randrange(10**6)}",
                    "lon": point[0] + rng.uniform(-1e-4, 1e-4),
                    "lat": point[1] + rng.uniform(-1e-4, 1e-4),
                },
                photo=photo,
            )
            with self._lock:
                self.statuses[status] += 1
                if photo is not None:
                    self.photo_statuses[status] += 1
                if status == 201:
                    self.filed.append(body["id"])
                    if photo is not None:
                        self.with_photo.append(body["id"])
                elif status in (400, 409, 507):
                    self.refusals.setdefault(status, body)
            if status != 201:
                time.sleep(0.5)

    def _accept(self, staff: Api) -> None:
        done: set[int] = set()
        while not self.stop.is_set():
            with self._lock:
                todo = [pk for pk in self.filed if pk not in done][:20]
            if not todo:
                time.sleep(0.2)
            for pk in todo:
                status, _body = staff.call("POST", f"/cases/{pk}/accept/", {})
                with self._lock:
                    self.statuses[status] += 1
                if status == 200:
                    self.accepted.append(pk)
                    done.add(pk)
                elif status in (400, 404, 409):
                    done.add(pk)


@contextmanager
def private_stack(
    golden: Postgres, work: Path, *, copies: int = 1, media_mb: int = 0, web_workers: int = 2
):
    """The drill's stack; ``media_mb``: MEDIA_ROOT on a tmpfs of that size (root only)."""
    db = golden.copy(work / "pg")
    redis = Redis(work / "redis")
    db.start()
    redis.start()
    stack = Stack(db, redis, work, copies=copies, web_workers=web_workers)
    (work / "emails").mkdir()
    media = work / "media"
    if media_mb:
        media.mkdir()
        mount = ["mount", "-t", "tmpfs", "-o", f"size={media_mb}m,mode=755", "tmpfs", str(media)]
        subprocess.run(mount, check=True)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        if redis.process and redis.process.poll() is None:
            redis.signal(signal.SIGCONT)
            redis.stop()
        with suppress(subprocess.CalledProcessError):
            db.stop()
        if media_mb:
            subprocess.run(["umount", str(media)], check=False)


def later(seconds: float, action) -> None:
    def run() -> None:
        try:
            action()
        except Exception as exc:  # say so: a drill whose fault never healed counts as lost
            print(f"   healing failed: {exc!r}", file=sys.stderr)

    threading.Timer(seconds, run).start()


def fill_media(stack: Stack) -> None:
    """Fill the media tmpfs to the last byte; 30 s later, free it again."""
    filler = stack.work / "media" / "filler"
    # Unbuffered, and the suppress outermost: a buffered file's close would flush its last
    # block onto the full disk and raise ENOSPC after the loop had already stopped.
    with suppress(OSError), filler.open("wb", buffering=0) as out:
        while True:
            out.write(b"\0" * 65536)
    later(30, filler.unlink)


@dataclass(frozen=True)
class Drill:
    seconds: float  # of load
    fault: Callable[[Stack], object] = lambda stack: None  # done 3 s into the load
    copies: int = 1  # gunicorns, workers and beats
    overdue: bool = False  # make 40 cases overdue first: the SLA scanners' notices
    media_mb: int = 0  # MEDIA_ROOT on a tmpfs this big, and half the workers send a photo


DRILLS = {
    "baseline": Drill(LOAD_SECONDS),
    "worker_kill": Drill(LOAD_SECONDS, lambda s: s.kill_worker()),
    "redis_stop": Drill(40, lambda s: (s.redis.stop(), later(30, s.redis.start))),
    "redis_stop_3m": Drill(190, lambda s: (s.redis.stop(), later(180, s.redis.start))),
    "redis_hung": Drill(
        40,
        lambda s: (
            s.redis.signal(signal.SIGSTOP),
            later(30, lambda: s.redis.signal(signal.SIGCONT)),
        ),
    ),
    "pg_stop": Drill(30, lambda s: (s.db.stop(), later(20, s.db.start))),
    "pair": Drill(300, copies=2, overdue=True),
    "media_full": Drill(60, fill_media, media_mb=64),
}


def drill(name: str, golden: Postgres, points: dict, work: Path) -> bool:
    spec = DRILLS[name]
    with private_stack(golden, work, copies=spec.copies, media_mb=spec.media_mb) as stack:
        first_id, since = stack.shell(BEFORE).strip().splitlines()[-1].split()
        overdue = []
        if spec.overdue:
            overdue = json.loads(stack.shell(PREPARE_SLA).strip().splitlines()[-1])
        load = Load(Api(stack.ports), points, photo=drill_photo() if spec.media_mb else None)
        load.run(spec.seconds, fault=lambda: spec.fault(stack))
        script = (
            COUNT.replace("sys.argv[1]", repr(json.dumps(load.filed)))
            .replace("sys.argv[2]", repr(json.dumps(load.accepted)))
            .replace("sys.argv[3]", repr(str(work / "emails")))
            .replace("sys.argv[4]", repr(first_id))
            .replace("sys.argv[5]", repr(since))
            .replace("sys.argv[6]", repr(json.dumps(overdue)))
            .replace("sys.argv[7]", repr(json.dumps(load.with_photo)))
        )
        # Until the sweeps have drained, or made no headway for DRAIN_STALL seconds: what is
        # still owed then counts as lost. A long outage leaves a long queue (tens of
        # thousands of emails after three minutes on a quiet machine); being slow to
        # deliver it is not losing it, so the wait runs as long as the queue shrinks.
        deadline, least = time.monotonic() + DRAIN_STALL, None
        while True:
            try:
                counts = json.loads(stack.shell(script).strip().splitlines()[-1])
            except subprocess.CalledProcessError as exc:  # the database is still coming back
                if time.monotonic() > deadline:
                    sys.exit(f"cannot count: {exc.stderr[-2000:]}")
                time.sleep(3)
                continue
            drained = counts["pending"] == 0 and all(
                counts.get(what, [0, 0, 0, 0])[2] == 0 for what in ("sla notices",)
            )
            if least is None or counts["pending"] < least:
                least, deadline = counts["pending"], time.monotonic() + DRAIN_STALL
            if drained or time.monotonic() > deadline:
                break
            time.sleep(3)
        respawned = stack.respawned()
    # 503: the database is down; 507: the media disk is full. Anything else 5xx is a fault.
    server_errors = {s: n for s, n in load.statuses.items() if s >= 500 and s not in (503, 507)}
    print(
        f"\n== {name}: responses {dict(sorted(load.statuses.items()))}; "
        f"worker restarted by respawn: {respawned}"
    )
    for status, body in load.refusals.items():
        print(f"   a {status}: {json.dumps(body, ensure_ascii=False)[:300]}")
    bad = bool(server_errors)
    if spec.media_mb:
        print(f"   reports with a photo: {dict(sorted(load.photo_statuses.items()))}")
        # The fault must have bitten (507s) and healed (photos filed after it), and the
        # reports without photos must not have noticed.
        bad |= not load.photo_statuses[507] or not load.with_photo
    print(f"   {'':12} {'expected':>9} {'found':>7} {'lost':>6} {'duplicated':>11}")
    for what in ("cases", "events", "notices", "emails", "follow-ups", "sla notices", "photos"):
        if what not in counts:
            continue
        expected, found, lost, duplicated = counts[what]
        bad |= bool(lost or duplicated)
        print(f"   {what:12} {expected:>9} {found:>7} {lost:>6} {duplicated:>11}")
    if counts.get("resent"):
        print(
            f"   emails sent again after a lost commit, under their first Message-ID: "
            f"{counts['resent']}"
        )
    if server_errors:
        print(f"   5xx other than 503 and 507: {server_errors}")
    print(f"   {'FAILED' if bad else 'ok'}")
    return not bad


def conflicts(golden: Postgres, points: dict, work: Path) -> bool:
    """50 cases × 8 conflicting staff actions at once: one applies per case, never a 5xx or a
    404."""
    with private_stack(golden, work) as stack:
        api = Api(stack.ports)
        user = next(iter(points))
        worker, staff = api.sign_in(user), api.sign_in("demo_staff")
        ids = []
        for i in range(50):
            _status, body = worker.call(
                "POST",
                "/cases/",
                {
                    "category": "C0101",
                    "title": "冲突演练",
                    "description": f"冲突演练 {i}",
                    "lon": points[user][0],
                    "lat": points[user][1],
                },
            )
            ids.append(body["id"])
        actions = []
        for pk in ids:
            other = random.choice([i for i in ids if i != pk])
            actions += [
                (pk, "accept", {}),
                (pk, "accept", {}),
                (pk, "reject", {"reason": "演练"}),
                (pk, "reject", {"reason": "演练"}),
                (pk, "merge", {"duplicate_of": other}),
                (pk, "merge", {"duplicate_of": other}),
                (pk, "accept", {}),
                (pk, "reject", {"reason": "演练"}),
            ]
        random.shuffle(actions)
        with ThreadPoolExecutor(16) as pool:
            statuses = Counter(
                pool.map(lambda a: staff.call("POST", f"/cases/{a[0]}/{a[1]}/", a[2])[0], actions)
            )
        check = (
            stack.shell(
                f"""
from cases.models import Case
from workflows.services import replay_events, replayed_state
cases = Case.objects.filter(pk__in={ids!r}).prefetch_related("events")
# One staff action applied per case; the system's own follow-up (an accepted case's
# auto-dispatch, delivered by the outbox) is not a second staff action.
bad = [c.number for c in cases if replay_events(c.events.all()) != replayed_state(c)
       or c.events.exclude(action="create").exclude(actor=None).count() != 1]
print(len(bad))
""",
            )
            .strip()
            .splitlines()[-1]
        )
    print(f"\n== conflicts: {len(actions)} actions on 50 cases: {dict(sorted(statuses.items()))}")
    print(f"   cases whose events do not replay to their state or took more than one step: {check}")
    # A 404 would be a loser told its case does not exist (issue 18): they all stay in scope.
    ok = int(check) == 0 and not any(s >= 500 or s in (0, 404) for s in statuses)
    print(f"   {'ok' if ok else 'FAILED'}")
    return ok


def latency(name: str, golden: Postgres, points: dict, work: Path) -> bool:
    """Follow-up latency at 40 filings/s for 60 s (bench/follow_up_latency.py)."""
    from follow_up_latency import measure

    return measure(golden, points, work, rate=40.0, seconds=60.0)


RUNS = {"conflicts": lambda _name, *args: conflicts(*args), "latency": latency}
ORDER = [
    "conflicts",
    "media_full",
    "pair",
    "redis_stop_3m",
    "latency",
    "baseline",
    "worker_kill",
    "redis_stop",
    "redis_hung",
    "pg_stop",
]


CLEAR_BACKLOG = """
from cases.models import Case
from workflows.models import Effect
Effect.objects.all().delete()
Case.objects.filter(intake_pending=True).update(intake_pending=False)
"""


def seed_golden(work: Path, *, reuse: Path | None = None) -> tuple[Postgres, dict]:
    """A stopped PostgreSQL cluster with the small demo, copied by each drill; and the grid
    workers' points (each inside the worker's cell) with demo_staff's street. ``reuse``: a
    stopped cluster seeded before (a drill run's ``golden``), copied instead of seeding.

    The demo plays 90 days in one go and leaves its outbox and follow-ups undelivered (about
    1,300 rows): they are cleared, or every drill's worker would spend its first minutes on
    them and the drill would measure the demo's backlog, not its own load."""
    os.chmod(work, 0o755)
    started = time.monotonic()
    if reuse:
        golden = Postgres(reuse).copy(work / "golden")
        golden.start()
    else:
        golden = Postgres.init(work / "golden")
        golden.start()
        createdb = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(golden.port)]
        as_postgres([*createdb, "-U", "postgres", "gridgov"])
    seeder = Stack(golden, Redis(work / "seed-redis"), work)
    seeder.redis.start()
    try:
        if not reuse:
            seeder.manage("migrate", "--noinput")
            seeder.manage("seed_demo", "--scale", "small", "--no-progress")
        seeder.shell(CLEAR_BACKLOG)
        points = json.loads(seeder.shell(PLAN).strip().splitlines()[-1])
    finally:
        seeder.redis.stop()
        golden.stop()
    print(
        f"golden database {'copied' if reuse else 'seeded'} in "
        f"{time.monotonic() - started:.0f} s; {len(points)} grid workers file, demo_staff accepts"
    )
    return golden, points


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # a drill's lines as they come, also into a file
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drills", nargs="*", default=ORDER, help=", ".join(ORDER))
    parser.add_argument(
        "--golden", type=Path, help="a stopped cluster a run seeded before (skips the seed)"
    )
    options = parser.parse_args()
    names = options.drills
    if unknown := set(names) - set(ORDER):
        parser.error(f"no such drill: {', '.join(sorted(unknown))}")
    if PG_BIN is None or shutil.which("redis-server") is None:
        sys.exit("needs PostgreSQL's server binaries and redis-server")
    with tempfile.TemporaryDirectory(prefix="gridgov-drills-") as tmp:
        work = Path(tmp)
        golden, points = seed_golden(work, reuse=options.golden)
        results = {}
        for name in names:
            run = work / name
            run.mkdir()
            t0 = time.monotonic()
            try:
                results[name] = RUNS.get(name, drill)(name, golden, points, run)
            except Exception as exc:  # one drill that broke must not hide the others' results
                print(f"\n== {name}: the drill itself failed: {exc!r}")
                traceback.print_exc(file=sys.stdout)
                results[name] = False
            print(f"   ({time.monotonic() - t0:.0f} s)", flush=True)
    failed = [n for n, ok in results.items() if not ok]
    print(
        f"\n{len(results) - len(failed)}/{len(results)} drills passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
