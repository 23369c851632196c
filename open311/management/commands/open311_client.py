"""python manage.py open311_client NAME [--contact TEXT]

Create the Open311 client NAME (or give it a new key, retiring its old one) and print the
key once: only its hash is stored."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from open311.services import issue_key


class Command(BaseCommand):
    help = "Create an Open311 client (or re-key it) and print its new API key once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--contact", default="", help="who runs it (a person, an email)")

    def handle(self, *args, name: str, contact: str, **options) -> None:
        client, key = issue_key(name=name, contact=contact)
        self.stdout.write(f"Open311 client {client.name!r} (active: {client.active}).")
        self.stdout.write("Its API key (shown only now; store it safely):")
        self.stdout.write(key)
