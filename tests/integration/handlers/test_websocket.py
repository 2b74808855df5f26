"""The WebSocket authorizer, connect, messages and disconnect on moto."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from tests.support.jwks import CLIENT_ID, ISSUER, TokenIssuer
from tests.support.lambda_runtime import FakeLambdaContext
from tradewind.adapters.wiring import realtime_service
from tradewind.resources import WEBSOCKET_TOKEN_PARAM

METHOD_ARN = "arn:aws:execute-api:us-east-1:000000000000:abc123/v1/$connect"

pytestmark = pytest.mark.usefixtures("moto_aws")


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer() as running:
        yield running


@pytest.fixture
def authorizer(issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TRADEWIND_JWKS_URL", issuer.jwks_url)
    monkeypatch.setenv("TRADEWIND_TOKEN_ISSUER", ISSUER)
    monkeypatch.setenv("TRADEWIND_USER_POOL_CLIENT_ID", CLIENT_ID)
    from tradewind.settings import get_settings

    get_settings.cache_clear()
    import functions.ws_authorizer.handler as module

    return importlib.reload(module).handler


def _authorizer_event(token: str | None) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": {},
        "queryStringParameters": {WEBSOCKET_TOKEN_PARAM: token} if token is not None else {},
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "c-1"},
    }


def test_authorizer_allows_a_valid_token_and_passes_the_claims(authorizer: Any, issuer: TokenIssuer) -> None:
    policy = authorizer(_authorizer_event(issuer.token()), FakeLambdaContext())
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert policy["principalId"] == "user-1"
    assert policy["context"] == {"sub": "user-1", "email": "investor@example.com", "cognito:groups": "investor"}


@pytest.mark.parametrize("token", [None, "", "garbage"])
def test_authorizer_refuses_missing_or_bad_tokens(authorizer: Any, token: str | None) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(_authorizer_event(token), FakeLambdaContext())


def test_authorizer_refuses_an_expired_token(authorizer: Any, issuer: TokenIssuer) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(_authorizer_event(issuer.token(exp=1)), FakeLambdaContext())


def _ws_event(route: str, connection_id: str, body: str | None = None) -> dict[str, Any]:
    return {
        "requestContext": {
            "routeKey": route,
            "connectionId": connection_id,
            "authorizer": {"sub": "user-1", "email": "investor@example.com", "cognito:groups": "investor"},
        },
        "body": body,
    }


def _pushed(connection_id: str) -> list[dict[str, Any]]:
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    raw = backend.connections[connection_id].data
    return [json.loads(chunk) for chunk in raw.decode().replace("}{", "}\n{").splitlines()]


def test_a_session_connect_subscribe_broadcast_disconnect() -> None:
    from functions.ws_connect.handler import handler as connect
    from functions.ws_default.handler import handler as default
    from functions.ws_disconnect.handler import handler as disconnect

    assert connect(_ws_event("$connect", "c-1"), FakeLambdaContext()) == {"statusCode": 200}
    default(
        _ws_event("$default", "c-1", json.dumps({"action": "subscribe", "topics": ["bars:NVDA:1m"]})),
        FakeLambdaContext(),
    )
    default(_ws_event("$default", "c-1", json.dumps({"action": "ping"})), FakeLambdaContext())
    default(_ws_event("$default", "c-1", "not json"), FakeLambdaContext())
    default(
        _ws_event("$default", "c-1", json.dumps({"action": "subscribe", "topics": ["BAD TOPIC"]})), FakeLambdaContext()
    )

    replies = _pushed("c-1")
    assert replies[0] == {"type": "subscriptions", "topics": ["bars:NVDA:1m"]}
    assert replies[1] == {"type": "pong"}
    assert replies[2]["type"] == "error"
    assert replies[3]["type"] == "error"
    assert "topics.0" in replies[3]["error"]

    assert realtime_service().broadcast("bars:NVDA:1m", {"close": "1.5"}) == 1
    assert _pushed("c-1")[-1] == {"type": "event", "topic": "bars:NVDA:1m", "data": {"close": "1.5"}}

    disconnect(_ws_event("$disconnect", "c-1"), FakeLambdaContext())
    assert realtime_service().broadcast("bars:NVDA:1m", {"close": "1.6"}) == 0


def test_unsubscribe_stops_the_topic() -> None:
    from functions.ws_connect.handler import handler as connect
    from functions.ws_default.handler import handler as default

    connect(_ws_event("$connect", "c-2"), FakeLambdaContext())
    default(
        _ws_event("$default", "c-2", json.dumps({"action": "subscribe", "topics": ["a:x", "b:y"]})), FakeLambdaContext()
    )
    default(_ws_event("$default", "c-2", json.dumps({"action": "unsubscribe", "topics": ["a:x"]})), FakeLambdaContext())
    assert _pushed("c-2")[-1] == {"type": "subscriptions", "topics": ["b:y"]}
    assert realtime_service().broadcast("a:x", {}) == 0
    assert realtime_service().broadcast("b:y", {}) == 1


def test_messages_from_an_unknown_connection_are_refused() -> None:
    from functions.ws_default.handler import handler as default

    default(_ws_event("$default", "ghost", json.dumps({"action": "ping"})), FakeLambdaContext())
    assert _pushed("ghost") == [{"type": "error", "error": "unknown connection"}]
