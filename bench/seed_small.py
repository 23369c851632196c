"""Time of `seed_demo --scale small --reset` (90 days of history played through the services),
against a baseline commit's seed measured in the same run.

    .venv/bin/python bench/seed_small.py [--runs 3] [--baseline main]

Each run migrates a fresh SQLite database in a temporary folder, then times the seed in a
child process: wall time and the child's CPU time (on a machine shared with others the wall
time says how long a newcomer waits, the CPU time how much work it is). The baseline is
``git archive <ref>`` of this repository unpacked in a temporary folder and run with the same
interpreter, run for run alternately with the current tree. Goal: ≤ 90 s wall per seed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _stats import Load, line

ROOT = Path(__file__).resolve().parent.parent


def seed_once(tree: Path, folder: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one seed into a fresh database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
    }

    def manage(*args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=tree,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    manage("migrate", "--noinput", "-v", "0")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    manage("seed_demo", "--scale", "small", "--reset", "--no-progress")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def report(name: str, samples: list[tuple[float, float]]) -> None:
    print(line(f"{name} wall", [w for w, _c in samples], width=16, unit="s"))
    print(line(f"{name} cpu", [c for _w, c in samples], width=16, unit="s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    options = parser.parse_args()
    load = Load()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        archive = subprocess.run(
            ["git", "archive", options.baseline], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        current, baseline = [], []
        for run in range(options.runs):
            for tree, samples in ((ROOT, current), (base, baseline)):
                folder = Path(tmp) / f"run-{run}-{len(samples)}-{tree.name}"
                folder.mkdir()
                samples.append(seed_once(tree, folder))
    report("this tree", current)
    report(options.baseline, baseline)
    ratio = statistics.median(w for w, _c in current) / statistics.median(w for w, _c in baseline)
    cpu_ratio = statistics.median(c for _w, c in current) / statistics.median(
        c for _w, c in baseline
    )
    print(f"ratio (this tree / {options.baseline}): wall {ratio:.2f}×, cpu {cpu_ratio:.2f}×")
    print(load)


if __name__ == "__main__":
    main()
