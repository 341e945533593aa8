"""Twilio's request signature, and the public URL it is computed on."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature`` for a request to ``url`` carrying the POST ``params``.

    For GET, pass the full URL with its query string and no params, as Twilio does.
    """
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


class UrlMap:
    """Twilio's view of the app (public URLs, signed) and where requests really go.

    A reverse proxy sits between Twilio and the app: Twilio requests
    ``{public_base_url}/path`` and the app receives ``{app_base_url}/path``. Without a
    public base URL both are the same.
    """

    def __init__(self, app_base_url: str, public_base_url: str | None = None) -> None:
        self.app_base = app_base_url.rstrip("/")
        self.public_base = (public_base_url or app_base_url).rstrip("/")

    def public(self, path: str) -> str:
        """The public URL of an app path such as ``/twilio/voice``."""
        return self.public_base + path

    def address(self, url: str) -> str:
        """Where a request to the public ``url`` is really sent."""
        rest = url[len(self.public_base) :]
        if url.startswith(self.public_base) and rest[:1] in ("", "/", "?"):
            return self.app_base + rest
        return url
