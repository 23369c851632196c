"""Admin of the residents app, a module per concern; importing them registers them."""

from __future__ import annotations

from . import logs, people, tags

__all__ = ["logs", "people", "tags"]
