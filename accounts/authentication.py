"""How the API recognises a client: ``Authorization: Token <key>`` with a django-rest-knox token
(one per device, stored as a SHA-512 digest, valid until its expiry)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token authentication, without its sweep of the user's other tokens.

    knox (5.1) reads every token of the user on every request to delete the expired ones:
    a query per call, and writes during reads. Here an expired token is refused and deleted
    when it is presented, and the user's other expired tokens are deleted when they next
    sign in (``accounts.services.issue_api_token``).
    """

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class ApiTokenScheme(KnoxTokenScheme):
    """The schema's description of it (drf-spectacular matches knox's class, not subclasses);
    named as DRF's token scheme was, so clients of the schema see the same name."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"
