"""zh-hans by default, English on request, and the catalogues in step."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.fixture
def product_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # undo tests/conftest.py's English


def test_pages_are_in_chinese_by_default(client, db, product_default):
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_english_on_request(client, db, product_default):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "登录" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_catalogues_are_complete_and_compiled(language):
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    entries = po.split("\n\n")[1:]  # the first block is the header
    untranslated = [e for e in entries if 'msgstr ""' in e and 'msgstr ""\n"' not in e]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert not untranslated, untranslated[:3]
    assert not fuzzy, fuzzy[:3]
    # Compiled from this .po: the .mo holds every message (a stale one misses new strings).
    with mo.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    compiled = {key[0] if isinstance(key, tuple) else key for key in catalog} - {""}
    assert len(compiled) == len(entries)
