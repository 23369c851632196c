"""Writes of Open311: issuing a client's API key (shown once, stored hashed)."""

from __future__ import annotations

from django.db import transaction

from .models import Open311Client, new_key


@transaction.atomic
def issue_key(*, name: str, contact: str = "", key: str | None = None) -> tuple[Open311Client, str]:
    """Give the client ``name`` a new API key (creating the client, active, if it is new;
    its old key stops working). Returns the client and the key: the only time it is seen.
    ``key`` fixes the key (the demo's documented one); otherwise it is random."""
    key = key or new_key()
    client = Open311Client.objects.select_for_update().filter(name=name).first()
    if client is None:
        client = Open311Client(name=name, contact=contact)
    elif contact:
        client.contact = contact
    client.set_key(key)
    client.save()
    return client, key
