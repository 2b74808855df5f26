"""Who may call what: group rules applied by the API, not by the gateway.

API Gateway's Cognito authorizer only proves that a token is valid; it knows
nothing of groups. Each route states the group it needs here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.api.problems import Forbidden, Unauthorized
from tradewind.auth.principal import Principal


def principal_from_request_context(request_context: Mapping[str, Any]) -> Principal:
    """The caller, from the claims a REST API Cognito authorizer puts in the event."""
    claims = (request_context.get("authorizer") or {}).get("claims")
    if not claims:
        raise Unauthorized()
    return Principal.from_claims(claims)


def require_group(principal: Principal, group: str) -> Principal:
    if not principal.is_in(group):
        raise Forbidden(f"this action requires the '{group}' group")
    return principal
