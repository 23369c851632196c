"""Values worth keeping in a process: small tables read by every request, changed rarely.

A ``ProcessCache`` loads its value on first use and again once it is ``seconds`` old, and
forgets it on ``invalidate()``: connect that to the model's save and delete signals, so the
process that made an edit sees it as soon as the edit commits (the value is forgotten at the
save and again at the commit, since another thread may reload the old rows in between).
Another process sees the edit within ``seconds``. Values handed out are shared by every caller
in the process: treat them as read-only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from time import monotonic
from typing import Generic, TypeVar

from django.db import transaction

T = TypeVar("T")


class ProcessCache(Generic[T]):
    def __init__(self, load: Callable[[], T], *, seconds: float) -> None:
        self._load = load
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entry: tuple[float, T] | None = None

    def get(
        self, *, load: Callable[[], T] | None = None, usable: Callable[[T], bool] | None = None
    ) -> T:
        """The kept value, if it is fresh and ``usable`` accepts it; otherwise the value of
        ``load`` (default: the cache's own loader), kept from now on."""
        with self._lock:
            if self._entry is not None:
                loaded_at, value = self._entry
                if monotonic() - loaded_at < self.seconds and (usable is None or usable(value)):
                    return value
            value = (load or self._load)()
            self._entry = (monotonic(), value)
            return value

    def invalidate(self, **_signal_kwargs) -> None:
        """Forget the value now and once the current transaction commits (usable as a
        signal receiver)."""
        self._forget()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self._forget)

    def _forget(self) -> None:
        with self._lock:
            self._entry = None
