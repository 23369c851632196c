"""GridGov's user. Roles and scope are not on the user: they come from grids.Assignment."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .services import revoke_api_tokens

# Saving a change to either of these signs every API token of the user out.
CREDENTIAL_FIELDS = frozenset({"password", "is_active"})


class User(AbstractUser):
    """A person who signs in: grid worker, street staff, handler, administrator, volunteer."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs) -> None:
        """Save; if the password changed or the account was deactivated, revoke all of the
        user's API tokens in the same transaction.

        Here rather than in the admin or a form, so every path does it: the admin's user and
        password forms, ``manage.py changepassword``, a password reset, ``set_password`` +
        ``save`` in code. (Sessions need nothing: Django ends them on a password change and
        refuses inactive users.) A queryset ``update()`` bypasses ``save``: don't use one for
        these fields.
        """
        update_fields = kwargs.get("update_fields")
        watched = (
            CREDENTIAL_FIELDS if update_fields is None else CREDENTIAL_FIELDS & set(update_fields)
        )
        if self._state.adding or not watched:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            stored = (
                type(self)
                ._default_manager.filter(pk=self.pk)
                .values("password", "is_active")
                .first()
            )
            super().save(*args, **kwargs)
            if stored and (
                ("password" in watched and stored["password"] != self.password)
                or ("is_active" in watched and stored["is_active"] and not self.is_active)
            ):
                revoke_api_tokens(user=self)
