"""Writes about accounts: API tokens issued at sign-in and revoked (DESIGN §6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

if TYPE_CHECKING:  # accounts.models calls revoke_api_tokens when a user is saved
    from .models import User


@transaction.atomic
def issue_api_token(*, user: User) -> tuple[AuthToken, str]:
    """A new token for one more device of ``user``, valid for ``REST_KNOX["TOKEN_TTL"]``.

    Returns the stored row (its ``expiry``) and the token itself, which exists nowhere else:
    only its digest is kept. The user's expired tokens are deleted on the way.
    """
    user.auth_token_set.filter(expiry__lt=timezone.now()).delete()
    return AuthToken.objects.create(user=user)


def revoke_api_token(*, token: AuthToken) -> None:
    """Sign one device out: its token stops working at once."""
    token.delete()


def revoke_api_tokens(*, user: User) -> int:
    """Sign every device of ``user`` out; returns how many tokens there were."""
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted
