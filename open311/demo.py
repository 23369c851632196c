"""The demo's Open311 client: its key is fixed and documented (README, beside the demo
logins) so anyone can try ``POST /open311/v2/requests.json`` at once."""

from __future__ import annotations

from cases.models import Category

from .models import Datatype, Open311Client, ServiceAttribute, hash_key
from .services import issue_key

DEMO_CLIENT = "Demo Open311 app"
DEMO_KEY = "gridgov-demo-open311"


def create_demo_client() -> Open311Client:
    client, _key = issue_key(name=DEMO_CLIENT, contact="demo@gridgov.invalid", key=DEMO_KEY)
    return client


COVER_STATE = [
    {"key": "missing", "name": "丢失"},
    {"key": "broken", "name": "破损"},
    {"key": "shifted", "name": "移位或高差"},
]
# What the demo's services ask an Open311 client (services.json shows them as metadata).
ATTRIBUTES = {
    "C0101": [
        dict(
            code="state",
            description="井盖状况",
            datatype=Datatype.SINGLE,
            required=True,
            values=COVER_STATE,
            order=1,
        ),
        dict(
            code="in_roadway",
            description="是否位于车行道",
            datatype=Datatype.SINGLE,
            values=[{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}],
            order=2,
        ),
    ],
    "C0102": [
        dict(
            code="state",
            description="井盖状况",
            datatype=Datatype.SINGLE,
            required=True,
            values=COVER_STATE,
            order=1,
        ),
    ],
    "C0104": [
        dict(
            code="pole",
            description="灯杆编号",
            datatype=Datatype.STRING,
            order=1,
            datatype_description="灯杆上喷涂的编号，如 LD-0321（可不填）",
        ),
    ],
}


def create_demo_attributes() -> int:
    """The demo's service attributes (kept if they exist); returns how many there are."""
    for code, attributes in ATTRIBUTES.items():
        category = Category.objects.filter(code=code).first()
        for fields in attributes if category else ():
            ServiceAttribute.objects.get_or_create(
                category=category, code=fields["code"], defaults=fields
            )
    return ServiceAttribute.objects.count()


def demo_key_in_use() -> bool:
    return Open311Client.objects.filter(key_hash=hash_key(DEMO_KEY), active=True).exists()
