from __future__ import annotations

import json
from pathlib import Path

from functions.api.openapi import openapi_json

DOCUMENT = Path(__file__).parents[3] / "docs" / "openapi.json"


def test_committed_openapi_document_matches_the_routes() -> None:
    assert json.loads(DOCUMENT.read_text()) == json.loads(openapi_json()), "run `make openapi` and commit the result"


def test_every_route_is_documented() -> None:
    paths = json.loads(openapi_json())["paths"]
    assert {"/health", "/me", "/admin/users"} <= set(paths)
