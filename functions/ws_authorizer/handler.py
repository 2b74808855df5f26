"""WebSocket $connect authorizer: the ID token arrives in the query string.

Browsers cannot set headers on a WebSocket, so the token travels as
`?token=<ID token>`; it is verified exactly as the REST authorizer would.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponseWebSocket,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradewind.auth.tokens import InvalidTokenError, TokenVerifier
from tradewind.resources import WEBSOCKET_TOKEN_PARAM
from tradewind.settings import get_settings

logger = Logger()
_settings = get_settings()
verifier = TokenVerifier(_settings.jwks, _settings.issuer, _settings.user_pool_client_id)


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    token = (event.query_string_parameters or {}).get(WEBSOCKET_TOKEN_PARAM, "")
    try:
        claims = verifier.verify(token)
    except InvalidTokenError as exc:
        logger.info("websocket connection refused", extra={"reason": str(exc)})
        # API Gateway answers 401 when an authorizer raises exactly "Unauthorized".
        raise Exception("Unauthorized") from exc
    principal = claims.principal()
    response = APIGatewayAuthorizerResponseWebSocket.from_route_arn(
        event.method_arn,
        principal_id=principal.user_id,
        context={
            "sub": principal.user_id,
            "email": principal.email,
            "cognito:groups": ",".join(sorted(principal.groups)),
        },
    )
    response.allow_all_routes()
    return response.asdict()
