"""What every bench prints about its samples: how many, p50/p95/p99, and how loaded the
machine was while they were taken (a p95 from a busy shared machine is not one from a quiet
one). One helper, so every bench says it the same way.

    from _stats import Load, line
    load = Load()                 # at the start of the measured part
    ...
    print(line("GET /api/v1/cases/", seconds))   # n=…  p50 …  p95 …  p99 … ms
    print(load)                   # load average 1.93 (2 CPUs); CPU busy 97 % while measuring
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q < 100) by linear interpolation; the value itself for one
    sample."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q) - 1]


def line(label: str, seconds: Sequence[float], *, width: int = 24, unit: str = "ms") -> str:
    """``label  n=…  p50 …  p95 …  p99 …`` for samples in seconds, shown in ``unit`` (ms, µs
    or s)."""
    if not seconds:
        return f"{label:<{width}} n=0"
    scale = {"s": 1, "ms": 1e3, "µs": 1e6}[unit]
    values = [s * scale for s in seconds]
    parts = "  ".join(f"p{q} {percentile(values, q):8.2f} {unit}" for q in (50, 95, 99))
    return f"{label:<{width}} n={len(values):<6d} {parts}"


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat (0, 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


class Load:
    """The machine's load from its creation to when it is printed: the 1-minute load average
    at the end and the share of all CPUs busy (anyone's work, the bench's included)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy, self.total = _cpu_ticks()

    def __str__(self) -> str:
        busy, total = _cpu_ticks()
        share = (busy - self.busy) / (total - self.total) if total > self.total else 0.0
        return (
            f"machine load: load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); "
            f"CPU busy {share:.0%} over {time.monotonic() - self.started:.0f} s"
        )
