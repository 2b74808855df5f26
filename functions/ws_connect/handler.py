"""WebSocket $connect: remember who is on this socket (the authorizer already checked them)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradewind.adapters.wiring import realtime_service
from tradewind.auth.principal import Principal

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event["requestContext"]
    principal = Principal.from_claims(request["authorizer"])
    realtime_service().connect(request["connectionId"], principal)
    return {"statusCode": 200}
