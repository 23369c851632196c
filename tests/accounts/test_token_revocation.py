"""Every API token of a user stops working when their password changes or their account is
deactivated, whichever path does it: code, the admin, ``manage.py changepassword``."""

from __future__ import annotations

import pytest
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from knox.models import AuthToken

from ..factories import UserFactory
from .test_api_tokens import ME, sign_in, with_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-passphrase-for-tests"


@pytest.fixture
def devices(cast):
    """Two signed-in devices of worker_a, and a colleague's."""
    return (
        with_token(sign_in(cast.reporter)["token"]),
        with_token(sign_in(cast.reporter)["token"]),
        with_token(sign_in(cast.staff)["token"]),
    )


def assert_signed_out(devices) -> None:
    phone, tablet, colleague = devices
    assert phone.get(ME).status_code == 401
    assert tablet.get(ME).status_code == 401
    assert colleague.get(ME).status_code == 200


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_set_password_and_save(cast, devices):
    cast.reporter.set_password(NEW_PASSWORD)
    cast.reporter.save()
    assert_signed_out(devices)


def test_deactivation(cast, devices):
    cast.reporter.is_active = False
    cast.reporter.save(update_fields=["is_active"])
    assert_signed_out(devices)
    cast.reporter.is_active = True  # coming back means signing in again
    cast.reporter.save()
    assert devices[0].get(ME).status_code == 401


def test_manage_py_changepassword(cast, devices, monkeypatch):
    # The command reads the password twice from the terminal; answer as a person would.
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt=None: NEW_PASSWORD)
    call_command("changepassword", cast.reporter.username, stdout=None)
    assert_signed_out(devices)


def test_the_admins_password_form(cast, devices, superuser_client):
    response = superuser_client.post(
        f"/admin/accounts/user/{cast.reporter.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert_signed_out(devices)


def test_the_admins_user_form_unticking_active(cast, devices, superuser_client):
    url = f"/admin/accounts/user/{cast.reporter.pk}/change/"
    form = superuser_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {
        "date_joined_0": form.initial["date_joined"].strftime("%Y-%m-%d"),
        "date_joined_1": form.initial["date_joined"].strftime("%H:%M:%S"),
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
    }
    data.pop("is_active")  # an unticked box is not sent
    data.pop("date_joined")
    data.pop("password", None)
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    cast.reporter.refresh_from_db()
    assert not cast.reporter.is_active
    assert_signed_out(devices)


def test_other_changes_leave_the_tokens_alone(cast, devices):
    cast.reporter.display_name = "王网格"
    cast.reporter.save()
    cast.reporter.save(update_fields=["last_login"])
    phone, tablet, _colleague = devices
    assert phone.get(ME).status_code == 200
    assert tablet.get(ME).status_code == 200
    assert AuthToken.objects.filter(user=cast.reporter).count() == 2
