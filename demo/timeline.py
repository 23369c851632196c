"""A simulated clock for the demo's history: stories run at past moments, in time order, with
the SLA scanner (``workflows.sla.scan_deadlines``) run every ``SCAN_EVERY`` of simulated time
in between — so reminders, overdue marks and escalations are the scanner's own, at the times
it would have made them.

A story is a generator: each ``next()`` performs one step through the real services at the
current simulated time and yields when its next step happens (an aware datetime), or
finishes. The clock is ``time-machine``'s: everything that asks for the time (``timezone.now``
in services, models' defaults, the notifications) gets the simulated moment.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta

import time_machine

from workflows.sla import scan_deadlines

Story = Iterator[datetime]
SCAN_EVERY = timedelta(hours=3)


class Timeline:
    """Stories waiting for their moment; ``run(until)`` plays them all in time order."""

    def __init__(self) -> None:
        self._queue: list[tuple[datetime, int, Story]] = []
        self._seq = 0  # ties keep the order stories were added in: deterministic
        self.steps = 0
        self.scans = 0
        self._next_scan: datetime | None = None

    def add(self, at: datetime, story: Story) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, story))

    def run(self, *, until: datetime, progress=None) -> None:
        """Play every step due before ``until`` (steps after it are dropped: the future has
        not happened), scanning deadlines every ``SCAN_EVERY`` from the first step on."""
        if not self._queue:
            return
        self._next_scan = self._queue[0][0] + SCAN_EVERY
        with time_machine.travel(self._queue[0][0], tick=False) as clock:
            while self._queue and self._queue[0][0] < until:
                at, seq, story = heapq.heappop(self._queue)
                self._scan_until(at, clock)
                clock.move_to(at)
                self.steps += 1
                following = next(story, None)
                if following is not None:
                    heapq.heappush(self._queue, (max(following, at), seq, story))
                if progress:
                    progress(at)
            self._scan_until(until, clock)
        scan_deadlines()  # and once at the real now

    def _scan_until(self, moment: datetime, clock) -> None:
        """Run the scans due up to ``moment``, each at its own simulated time."""
        while self._next_scan <= moment:
            clock.move_to(self._next_scan)
            scan_deadlines(now=self._next_scan)
            self.scans += 1
            self._next_scan += SCAN_EVERY
