"""The console in English and French: the user's choice, and complete catalogues."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from tests.auth.helpers import Console, load_user, make_user

IVR = Path(__file__).resolve().parents[2] / "ivr"
# French typography: a real apostrophe (U+2019).
QUEUE_FR = "File d\u2019attente"
USERNAME_FR = "Nom d\u2019utilisateur"
CATALOGUE = IVR / "translations" / "fr" / "LC_MESSAGES"


def test_a_user_sees_the_console_in_the_language_of_the_account(app: Flask) -> None:
    account = make_user(app)
    console = Console(app)
    console.sign_in(account)
    assert 'lang="en"' in console.get("/").text
    response = console.post("/language", {"lang": "fr", "next": "/account/password"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    assert load_user(app, account.username).ui_language == "fr"
    page = console.get("/").text
    assert '<html lang="fr">' in page and QUEUE_FR in page and "Déconnexion" in page
    # Kept on the account: another browser gets French too.
    elsewhere = Console(app)
    elsewhere.sign_in(account)
    assert QUEUE_FR in elsewhere.get("/").text


def test_before_sign_in_the_choice_is_a_cookie_or_the_browser(app: Flask) -> None:
    console = Console(app)
    assert USERNAME_FR in console.get("/login", headers={"Accept-Language": "fr-CA"}).text
    assert "Username" in console.get("/login").text
    response = console.post("/language", {"lang": "fr", "next": "//elsewhere.example"})
    assert response.headers["Location"] == "/"
    assert USERNAME_FR in console.get("/login").text
    assert console.post("/language", {"lang": "de"}).status_code == 400


def test_error_pages_are_translated(app: Flask) -> None:
    response = app.test_client().get("/nowhere", headers={"Accept-Language": "fr"})
    assert response.status_code == 404 and "Page introuvable" in response.text


def _source_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = extract_from_dir(str(IVR), method_map, keywords=keywords)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_every_string_of_the_console_has_a_french_translation() -> None:
    with (CATALOGUE / "messages.po").open("rb") as fh:
        catalogue = read_po(fh)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = _source_messages() - translated
    assert not missing, f"run scripts/i18n.sh update, translate, then compile: {missing}"


def test_the_compiled_catalogue_matches_its_source() -> None:
    with (CATALOGUE / "messages.po").open("rb") as fh:
        source = {m.id: m.string for m in read_po(fh) if m.id}
    with (CATALOGUE / "messages.mo").open("rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    assert compiled == source, "run scripts/i18n.sh compile"
