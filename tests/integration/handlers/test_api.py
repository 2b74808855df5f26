"""The REST API handler end to end on moto's Cognito."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.support.lambda_runtime import FakeLambdaContext, rest_event

pytestmark = pytest.mark.usefixtures("moto_aws")


def _call(event: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    from functions.api.handler import handler

    response = handler(event, FakeLambdaContext())
    content_type = response["multiValueHeaders"]["Content-Type"][0]
    return int(response["statusCode"]), json.loads(response["body"]), content_type


ADMIN = {"sub": "admin-sub", "email": "admin@example.com", "cognito:groups": "admin"}
INVESTOR = {"sub": "inv-sub", "email": "investor@example.com", "cognito:groups": "investor"}


def test_health_is_public() -> None:
    status, body, _ = _call(rest_event("GET", "/health"))
    assert status == 200
    assert body == {"status": "ok", "version": "0.1.0", "stage": "test"}


def test_me_returns_the_caller() -> None:
    status, body, _ = _call(rest_event("GET", "/me", claims=INVESTOR))
    assert status == 200
    assert body == {"user_id": "inv-sub", "email": "investor@example.com", "groups": ["investor"]}


def test_me_without_authorizer_claims_is_401_problem() -> None:
    status, body, content_type = _call(rest_event("GET", "/me"))
    assert status == 401
    assert content_type == "application/problem+json"
    assert body["title"] == "Unauthorized"


def test_unknown_route_is_404_problem() -> None:
    status, body, content_type = _call(rest_event("GET", "/nowhere", claims=INVESTOR))
    assert (status, content_type) == (404, "application/problem+json")
    assert "GET /nowhere" in body["detail"]


def test_admin_route_refuses_investors() -> None:
    status, body, _ = _call(rest_event("GET", "/admin/users", claims=INVESTOR))
    assert status == 403
    assert "admin" in body["detail"]


def test_bad_query_is_422_naming_the_field() -> None:
    status, body, _ = _call(rest_event("GET", "/admin/users", claims=ADMIN, query={"limit": "500"}))
    assert status == 422
    assert body["errors"][0]["path"] == "query.limit"


def test_admin_lists_users_with_their_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="tradewind-test", UsernameAttributes=["email"])["UserPool"]["Id"]
    for group in ("admin", "investor"):
        cognito.create_group(UserPoolId=pool, GroupName=group)
    for email, group in (("admin@example.com", "admin"), ("investor@example.com", "investor")):
        cognito.admin_create_user(UserPoolId=pool, Username=email, UserAttributes=[{"Name": "email", "Value": email}])
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    monkeypatch.setenv("TRADEWIND_USER_POOL_ID", pool)
    from tradewind.settings import get_settings

    get_settings.cache_clear()

    status, body, _ = _call(rest_event("GET", "/admin/users", claims=ADMIN))

    assert status == 200
    assert {(u["email"], tuple(u["groups"])) for u in body["users"]} == {
        ("admin@example.com", ("admin",)),
        ("investor@example.com", ("investor",)),
    }
