"""The demo's Open311 client: its key is fixed and documented (README, beside the demo
logins) so anyone can try ``POST /open311/v2/requests.json`` at once."""

from __future__ import annotations

from .models import Open311Client, hash_key
from .services import issue_key

DEMO_CLIENT = "Demo Open311 app"
DEMO_KEY = "gridgov-demo-open311"


def create_demo_client() -> Open311Client:
    client, _key = issue_key(name=DEMO_CLIENT, contact="demo@gridgov.invalid", key=DEMO_KEY)
    return client


def demo_key_in_use() -> bool:
    return Open311Client.objects.filter(key_hash=hash_key(DEMO_KEY), active=True).exists()
