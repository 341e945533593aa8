"""The API's route table: each operation is declared once, with :func:`operation`, and
that declaration both adds the Flask route and describes it in the OpenAPI document.

``openapi_document()`` is built from the table and :mod:`ivr.api.schemas`, so the document
cannot describe a route that does not exist; a test also checks the reverse (every
``/api/v1`` rule of the URL map is in the document).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from ivr.api.auth import require_role
from ivr.api.schemas import Schema, components

View = Callable[..., ResponseReturnValue]

PREFIX = "/api/v1"
_VARIABLE = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_STATUS_TEXT = {
    200: "OK",
    400: "Bad request: a filter, cursor or body that cannot be used",
    401: "No valid API token",
    403: "The token's user lacks the role",
    404: "Not found",
    409: "The change conflicts with the report's state",
    422: "The body does not match the schema",
}


@dataclass(frozen=True)
class Operation:
    """One method on one path of the API."""

    method: str
    rule: str  # Flask rule below /api/v1, e.g. "/reports/<report_number>"
    endpoint: str  # of the v1 blueprint
    summary: str
    role: str | None  # lowest role allowed; None: any valid token
    response: str  # component schema of the 200 answer
    parameters: tuple[Schema, ...] = ()
    body: str | None = None
    errors: tuple[int, ...] = ()
    audited: str | None = None  # the audit action a successful call writes

    @property
    def path(self) -> str:
        """The OpenAPI path (``{name}`` for Flask's ``<converter:name>``)."""
        return PREFIX + _VARIABLE.sub(r"{\g<name>}", self.rule)


class RouteTable:
    """The operations of one blueprint, in declaration order."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        response: str,
        role: str | None = "operator",
        parameters: tuple[Schema, ...] = (),
        body: str | None = None,
        errors: tuple[int, ...] = (),
        audited: str | None = None,
    ) -> Callable[[View], View]:
        """Declare a view: route it (behind the role check) and describe it."""

        def decorator(view: View) -> View:
            guarded = require_role(role)(view)
            self.blueprint.add_url_rule(rule, view.__name__, guarded, methods=[method])
            self.operations.append(
                Operation(
                    method,
                    rule,
                    view.__name__,
                    summary,
                    role,
                    response,
                    parameters,
                    body,
                    errors,
                    audited,
                )
            )
            return guarded

        return decorator


def _path_parameters(rule: str) -> list[Schema]:
    found = []
    for match in _VARIABLE.finditer(rule):
        kind = "integer" if match["converter"] == "int" else "string"
        found.append(
            {"name": match["name"], "in": "path", "required": True, "schema": {"type": kind}}
        )
    return found


def _ref(name: str) -> Schema:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _describe(op: Operation) -> Schema:
    codes = sorted({400, 401, *op.errors} | ({403} if op.role not in (None, "operator") else set()))
    responses: dict[str, Any] = {"200": {"description": "OK", "content": _ref(op.response)}}
    for code in codes:
        responses[str(code)] = {"description": _STATUS_TEXT[code], "content": _ref("Error")}
    described: Schema = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "parameters": [*_path_parameters(op.rule), *op.parameters],
        "responses": responses,
        "x-required-role": op.role or "any",
    }
    if op.audited:
        described["x-audited-as"] = op.audited
    if op.body:
        described["requestBody"] = {"required": True, "content": _ref(op.body)}
    return described


def openapi_document(table: RouteTable, version: str) -> Schema:
    """The OpenAPI 3.1 document of ``table``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in table.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _describe(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tip line API",
            "version": version,
            "description": (
                "Reports, calls and the audit log of the tip line. Every request carries a "
                "personal token (`flask --app wsgi users token create USERNAME`) as "
                "`Authorization: Bearer <token>`; the token acts with its user's role. "
                "Reads of a report or call are audited. Caller numbers are never returned."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": components(),
        },
    }
