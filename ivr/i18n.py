"""The console speaks English and French: Flask-Babel with gettext catalogues.

The catalogues live in ``ivr/translations`` (``messages.pot``, ``fr/LC_MESSAGES/
messages.po`` and its compiled ``messages.mo``, committed). English is the source
language. ``scripts/i18n.sh`` extracts, updates and compiles; a test fails when a string
of a template or of the console's Python code has no French translation, or when the
``.mo`` is older than its ``.po``.

The language is the signed-in user's choice (``User.ui_language``); before sign-in, the
``hotline_lang`` cookie set by the language switch, else the browser's preference.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import Babel, gettext, lazy_gettext  # type: ignore[import-untyped]

LANGUAGES = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
LANG_COOKIE = "hotline_lang"

babel = Babel()


def select_language() -> str:
    """The language of the current request's pages."""
    chosen: str | None = g.get("ui_language")
    if chosen in LANGUAGES:
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _(text: str, **variables: Any) -> str:
    """``text`` translated to the current language (``%(name)s`` placeholders filled)."""
    return str(gettext(text, **variables))


def _l(text: str, **variables: Any) -> str:
    """A translation done when the value is used (for module-level labels).

    Typed as ``str``: the lazy string behaves like one wherever it is rendered.
    """
    lazy: str = lazy_gettext(text, **variables)
    return lazy


def init_app(app: Flask) -> None:
    """Bind Flask-Babel (Jinja's ``_``/``gettext`` included) and the language choice."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    babel.init_app(app, locale_selector=select_language)

    @app.context_processor
    def language_context() -> dict[str, Any]:
        if not request:
            return {}
        current = select_language()
        others = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES if code != current]
        return {"ui_language": current, "other_languages": others}
