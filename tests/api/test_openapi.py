"""The OpenAPI document matches the URL map, in both directions, and is well formed."""

from __future__ import annotations

import re

from flask import Flask
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from tests.api.conftest import api_client

_VARIABLE = re.compile(r"<(?:\w+:)?(\w+)>")


def _rules(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        assert rule.endpoint.startswith("api.v1."), rule.endpoint
        path = _VARIABLE.sub(r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def test_every_api_route_is_in_the_document_and_nothing_else(app: Flask) -> None:
    response = api_client(app).get("/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document is not None and document["openapi"].startswith("3.1")
    described = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert described == _rules(app)
    assert len(described) >= 7


def test_the_document_is_consistent(app: Flask) -> None:
    document = api_client(app).get("/openapi.json").json
    assert document is not None
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', str(document).replace("'", '"')))
    assert refs <= set(schemas)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path))


def test_the_document_needs_a_token(app: Flask) -> None:
    assert app.test_client().get("/api/v1/openapi.json").status_code == 401
