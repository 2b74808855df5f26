"""API Gateway event shapes, built from HTTP requests.

Kept apart from the servers so the shapes can be checked against Powertools'
own models of API Gateway events without starting anything.
"""

from __future__ import annotations

import base64
import fnmatch
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

_CLAIM_DATES = frozenset({"exp", "iat"})


def authorizer_claims(payload: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API Cognito authorizer passes them: every value a string,
    lists comma-separated, `exp`/`iat` as dates (`Tue Nov 25 04:30:00 UTC 2026`)."""
    claims: dict[str, str] = {}
    for name, value in payload.items():
        if name in _CLAIM_DATES and isinstance(value, int | float):
            claims[name] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, list | tuple):
            claims[name] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            claims[name] = str(value).lower()
        else:
            claims[name] = str(value)
    return claims


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # API Gateway keeps the last value
        multi.setdefault(key, []).append(value)
    return (single or None, multi or None)


def _request_time(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _identity(source_ip: str, user_agent: str) -> dict[str, Any]:
    fields = (
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "accessKey",
        "principalOrgId",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "user",
        "apiKey",
        "apiKeyId",
        "clientCert",
    )
    return {**dict.fromkeys(fields), "sourceIp": source_ip, "userAgent": user_agent}


def rest_event(
    *,
    method: str,
    resource: str,
    path: str,
    stage: str,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    path_parameters: Mapping[str, str],
    body: bytes,
    source_ip: str,
    account: str,
    api_id: str,
    domain: str,
    claims: Mapping[str, str] | None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda-proxy event; `path` excludes the stage, as on AWS."""
    header_map, multi_headers = _single_and_multi(headers)
    query_map, multi_query = _single_and_multi(query)
    now = time.time()
    try:
        text: str | None = body.decode() if body else None
        encoded = False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    request_context: dict[str, Any] = {
        "resourceId": uuid.uuid4().hex[:6],
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": _request_time(now),
        "path": f"/{stage}{path}",
        "accountId": account,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": domain.split(".", 1)[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": str(uuid.uuid4()),
        "identity": _identity(source_ip, (header_map or {}).get("user-agent", "")),
        "domainName": domain,
        "apiId": api_id,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": header_map,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query_map,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": encoded,
    }


def websocket_context(
    *,
    route_key: str,
    event_type: str,
    connection_id: str,
    connected_at: int,
    stage: str,
    domain: str,
    api_id: str,
    source_ip: str,
    user_agent: str,
) -> dict[str, Any]:
    now = time.time()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": _request_time(now),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": connected_at,
        "requestTimeEpoch": int(now * 1000),
        "identity": {"sourceIp": source_ip, "userAgent": user_agent},
        "requestId": uuid.uuid4().hex[:16],
        "domainName": domain,
        "connectionId": connection_id,
        "apiId": api_id,
    }


def websocket_authorizer_event(
    *,
    method_arn: str,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    request_context: Mapping[str, Any],
) -> dict[str, Any]:
    """A REQUEST authorizer event for `$connect`."""
    header_map, multi_headers = _single_and_multi(headers)
    query_map, multi_query = _single_and_multi(query)
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": header_map or {},
        "multiValueHeaders": multi_headers or {},
        "queryStringParameters": query_map or {},
        "multiValueQueryStringParameters": multi_query or {},
        "stageVariables": {},
        "requestContext": dict(request_context),
    }


def policy_allows(policy: Mapping[str, Any], method_arn: str) -> bool:
    """IAM's rule: allowed when a statement covering `method_arn` allows and none denies."""
    statements = (policy.get("policyDocument") or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    effects = set()
    for statement in statements:
        resources = statement.get("Resource") or []
        if isinstance(resources, str):
            resources = [resources]
        if any(fnmatch.fnmatchcase(method_arn, pattern) for pattern in resources):
            effects.add(str(statement.get("Effect", "")).lower())
    return "allow" in effects and "deny" not in effects


def websocket_connect_event(
    context: Mapping[str, Any],
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    authorizer: Mapping[str, Any],
) -> dict[str, Any]:
    header_map, multi_headers = _single_and_multi(headers)
    query_map, multi_query = _single_and_multi(query)
    return {
        "headers": header_map or {},
        "multiValueHeaders": multi_headers or {},
        "queryStringParameters": query_map,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": {**context, "authorizer": dict(authorizer)},
        "isBase64Encoded": False,
    }


def websocket_message_event(
    context: Mapping[str, Any], text: str | None, binary: bytes | None, authorizer: Mapping[str, Any]
) -> dict[str, Any]:
    """A `$default` message: text as is, binary frames base64-encoded, as API Gateway does."""
    return {
        "requestContext": {**context, "messageId": uuid.uuid4().hex[:16], "authorizer": dict(authorizer)},
        "body": text if text is not None else base64.b64encode(binary or b"").decode(),
        "isBase64Encoded": text is None,
    }


def websocket_disconnect_event(
    context: Mapping[str, Any], headers: Iterable[tuple[str, str]], code: int, authorizer: Mapping[str, Any]
) -> dict[str, Any]:
    header_map, multi_headers = _single_and_multi(headers)
    return {
        "headers": header_map or {},
        "multiValueHeaders": multi_headers or {},
        "requestContext": {
            **context,
            "disconnectStatusCode": code,
            "disconnectReason": "",
            "authorizer": dict(authorizer),
        },
        "isBase64Encoded": False,
    }
