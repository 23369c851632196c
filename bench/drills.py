"""Fault drills: break a dependency under load and count what the loop lost or did twice.

    python bench/drills.py [DRILL ...]        (make drills: all of them)

Each drill starts its own PostgreSQL cluster (initdb, a copy of one seeded once per run) and its
own Redis (AOF on), never the shared ones, then gunicorn (2 workers), a Celery worker under
bin/respawn (as `make run` runs it) and beat. Grid workers file cases and street staff accept
them over the API while the fault happens; afterwards the drill waits for the sweeps to drain
and counts, for cases, accept events, notices, emails and follow-ups, what was expected, found,
lost and duplicated. Exits non-zero on any loss or duplicate, or on a 5xx other than 503.

Drills: baseline, worker_kill, redis_stop, redis_hung, pg_stop, conflicts.
"""

from __future__ import annotations

import argparse
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
import urllib.error
import urllib.request
from collections import Counter
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


@dataclass
class Stack:
    """gunicorn, a respawned worker and beat, on a private database and Redis."""

    db: Postgres
    redis: Redis
    work: Path
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

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

    def start(self) -> None:
        logs = self.work / "logs"
        logs.mkdir(exist_ok=True)
        commands = {
            "web": [
                str(BIN / "gunicorn"),
                "gridgov.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "30",
            ],
            "worker": [
                str(ROOT / "bin" / "respawn"),
                str(BIN / "celery"),
                "-A",
                "gridgov",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
            ],
            "beat": [
                str(BIN / "celery"),
                "-A",
                "gridgov",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.work / "beat-schedule"),
            ],
        }
        for name, command in commands.items():
            self.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=open(logs / f"{name}.log", "w"),  # noqa: SIM115 (the child keeps it)
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_port(self.port, 60)

    def kill_worker(self) -> None:
        """kill -9 the Celery worker's processes, not bin/respawn, which starts it again."""
        respawn = self.processes["worker"].pid  # it leads the worker's process group
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
    def __init__(self, port: int, token: str = "") -> None:
        self.base, self.token = f"http://127.0.0.1:{port}/api/v1", token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
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
                return Api(int(self.base.split(":")[2].split("/")[0]), body["token"])
            time.sleep(1)
        raise RuntimeError(f"{username} cannot sign in ({status})")


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

COUNT = """
import json, sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from cases.models import Case, CaseEvent
from workflows.models import Effect, Notification
ids, accepted = json.loads(sys.argv[1]), json.loads(sys.argv[2])
drill = Case.objects.filter(reporter__email="drill@example.org", pk__gt=int(sys.argv[4]))
found = set(drill.values_list("pk", flat=True))
later = set(
    Notification.objects.filter(case__in=accepted).exclude(dedupe_key__contains=":1:u")
    .values_list("case_id", flat=True)
)
accept_events = Counter(
    CaseEvent.objects.filter(case__in=accepted, action="accept").values_list("case_id", flat=True)
)
mailed = Notification.objects.filter(
    user__email="drill@example.org", created_at__gte=datetime.fromisoformat(sys.argv[5])
)
emails = sum(p.read_text().count("Message-ID:") for p in Path(sys.argv[3]).glob("*"))
print(json.dumps({
    "cases": [len(ids), len(found & set(ids)), len(set(ids) - found), len(found - set(ids))],
    "events": [len(accepted), len(accept_events), len(set(accepted) - set(accept_events)),
               sum(n - 1 for n in accept_events.values())],
    "notices": [len(accepted), len(later), len(set(accepted) - later), 0],
    "emails": [mailed.count(), mailed.filter(emailed_at__isnull=False).count(),
               mailed.filter(emailed_at__isnull=True).count(),
               max(0, emails - mailed.filter(emailed_at__isnull=False).count())],
    "follow-ups": [len(found), len(found) - drill.filter(intake_pending=True).count(),
                   drill.filter(intake_pending=True).count(), 0],
    "pending": Effect.objects.count() + drill.filter(intake_pending=True).count(),
}))
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

    def run(self, seconds: float, fault=None) -> None:
        workers = {u: self.api.sign_in(u) for u in self.points}
        staff = self.api.sign_in("demo_staff")
        threads = [
            threading.Thread(target=self._file, args=(api, self.points[u]))
            for u, api in workers.items()
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

    def _file(self, api: Api, point: list[float]) -> None:
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
            )
            with self._lock:
                self.statuses[status] += 1
                if status == 201:
                    self.filed.append(body["id"])
                elif status in (400, 409):
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
def private_stack(golden: Postgres, work: Path):
    db = golden.copy(work / "pg")
    redis = Redis(work / "redis")
    db.start()
    redis.start()
    stack = Stack(db, redis, work)
    (work / "emails").mkdir()
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


def later(seconds: float, action) -> None:
    def run() -> None:
        try:
            action()
        except Exception as exc:  # say so: a drill whose fault never healed counts as lost
            print(f"   healing failed: {exc!r}", file=sys.stderr)

    threading.Timer(seconds, run).start()


FAULTS = {
    "baseline": lambda s: None,
    "worker_kill": lambda s: s.kill_worker(),
    "redis_stop": lambda s: (s.redis.stop(), later(30, s.redis.start)),
    "redis_hung": lambda s: (
        s.redis.signal(signal.SIGSTOP),
        later(30, lambda: s.redis.signal(signal.SIGCONT)),
    ),
    "pg_stop": lambda s: (s.db.stop(), later(20, s.db.start)),
}
SECONDS = {
    "baseline": LOAD_SECONDS,
    "worker_kill": LOAD_SECONDS,
    "redis_stop": 40,
    "redis_hung": 40,
    "pg_stop": 30,
}


def drill(name: str, golden: Postgres, points: dict, work: Path) -> bool:
    with private_stack(golden, work) as stack:
        first_id, since = stack.manage("shell", "-c", BEFORE).strip().splitlines()[-1].split()
        load = Load(Api(stack.port), points)
        load.run(SECONDS[name], fault=lambda: FAULTS[name](stack))
        script = (
            COUNT.replace("sys.argv[1]", repr(json.dumps(load.filed)))
            .replace("sys.argv[2]", repr(json.dumps(load.accepted)))
            .replace("sys.argv[3]", repr(str(work / "emails")))
            .replace("sys.argv[4]", repr(first_id))
            .replace("sys.argv[5]", repr(since))
        )
        deadline = time.monotonic() + 180
        while True:  # until the sweeps have drained (or the deadline: then it counts as lost)
            try:
                counts = json.loads(stack.manage("shell", "-c", script).strip().splitlines()[-1])
            except subprocess.CalledProcessError as exc:  # the database is still coming back
                if time.monotonic() > deadline:
                    sys.exit(f"cannot count: {exc.stderr[-2000:]}")
                time.sleep(3)
                continue
            if counts["pending"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(3)
        respawned = (work / "logs" / "worker.log").read_text().count("respawn:")
    server_errors = {s: n for s, n in load.statuses.items() if s >= 500 and s != 503}
    print(
        f"\n== {name}: responses {dict(sorted(load.statuses.items()))}; "
        f"worker restarted by respawn: {respawned}"
    )
    for status, body in load.refusals.items():
        print(f"   a {status}: {json.dumps(body, ensure_ascii=False)[:300]}")
    print(f"   {'':12} {'expected':>9} {'found':>7} {'lost':>6} {'duplicated':>11}")
    bad = bool(server_errors)
    for what in ("cases", "events", "notices", "emails", "follow-ups"):
        expected, found, lost, duplicated = counts[what]
        bad |= bool(lost or duplicated)
        print(f"   {what:12} {expected:>9} {found:>7} {lost:>6} {duplicated:>11}")
    if server_errors:
        print(f"   5xx other than 503: {server_errors}")
    print(f"   {'FAILED' if bad else 'ok'}")
    return not bad


def conflicts(golden: Postgres, points: dict, work: Path) -> bool:
    """50 cases × 8 conflicting staff actions at once: one applies per case, never a 5xx."""
    with private_stack(golden, work) as stack:
        api = Api(stack.port)
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
            stack.manage(
                "shell",
                "-c",
                f"""
from cases.models import Case
from workflows.services import replay_events, replayed_state
cases = Case.objects.filter(pk__in={ids!r}).prefetch_related("events")
bad = [c.number for c in cases if replay_events(c.events.all()) != replayed_state(c)
       or c.events.exclude(action="create").count() != 1]
print(len(bad))
""",
            )
            .strip()
            .splitlines()[-1]
        )
    print(f"\n== conflicts: {len(actions)} actions on 50 cases: {dict(sorted(statuses.items()))}")
    print(f"   cases whose events do not replay to their state or took more than one step: {check}")
    ok = int(check) == 0 and not any(s >= 500 or s == 0 for s in statuses)
    print(f"   {'ok' if ok else 'FAILED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drills", nargs="*", default=[*FAULTS, "conflicts"])
    names = parser.parse_args().drills
    if PG_BIN is None or shutil.which("redis-server") is None:
        sys.exit("needs PostgreSQL's server binaries and redis-server")
    with tempfile.TemporaryDirectory(prefix="gridgov-drills-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        started = time.monotonic()
        golden = Postgres.init(work / "golden")
        golden.start()
        as_postgres(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(golden.port),
                "-U",
                "postgres",
                "gridgov",
            ]
        )
        seeder = Stack(golden, Redis(work / "seed-redis"), work)
        seeder.redis.start()
        seeder.manage("migrate", "--noinput")
        seeder.manage("seed_demo", "--scale", "small", "--no-progress")
        points = json.loads(seeder.manage("shell", "-c", PLAN).strip().splitlines()[-1])
        seeder.redis.stop()
        golden.stop()
        print(
            f"golden database seeded in {time.monotonic() - started:.0f} s; "
            f"{len(points)} grid workers file, demo_staff accepts"
        )
        results = {}
        for name in names:
            run = work / name
            run.mkdir()
            t0 = time.monotonic()
            if name == "conflicts":
                results[name] = conflicts(golden, points, run)
            else:
                results[name] = drill(name, golden, points, run)
            print(f"   ({time.monotonic() - t0:.0f} s)")
    failed = [n for n, ok in results.items() if not ok]
    print(
        f"\n{len(results) - len(failed)}/{len(results)} drills passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
