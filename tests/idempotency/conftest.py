"""The case personas (tests/cases/personas.py), for keys that name a case."""

from __future__ import annotations

from ..cases.personas import _media_in_tmp, _no_cross_check, cast, worker_a2  # noqa: F401
