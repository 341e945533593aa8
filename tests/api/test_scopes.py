"""Every API operation: anonymous gets 401 (JSON); each role reaches exactly the
operations its role allows, as the document states (``x-required-role``)."""

from __future__ import annotations

from flask import Flask

from ivr.api.routes import table
from ivr.auth import ROLE_RANK
from tests.api.conftest import api_client


def _url(path: str) -> str:
    return path.replace("{report_number}", "1").replace("{call_sid}", "CAx")


def test_each_operation_refuses_anonymous_and_lower_roles(app: Flask) -> None:
    clients = {role: api_client(app, role) for role in ROLE_RANK}
    anonymous = app.test_client()
    document = clients["admin"].get("/openapi.json").json
    assert document is not None
    for op in table.operations:
        url = _url(op.path)
        refused = anonymous.open(url, method=op.method, json={})
        assert refused.status_code == 401, url
        assert refused.json is not None and refused.json["error"] == "unauthorized"
        stated = document["paths"][op.path][op.method.lower()]["x-required-role"]
        assert stated == (op.role or "any")
        for role, client in clients.items():
            response = client.open(op.method, url[len("/api/v1") :], json={"status": "closed"})
            allowed = op.role is None or ROLE_RANK[role] >= ROLE_RANK[op.role]
            assert (response.status_code != 403) == allowed, (role, url)
            if not allowed:
                assert response.status_code == 403 and response.json is not None
