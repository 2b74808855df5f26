"""WebSocket messages: subscribe, unsubscribe, ping. The reply is pushed to the socket."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradewind.adapters.wiring import realtime_service

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    realtime_service().handle(event["requestContext"]["connectionId"], event.get("body"))
    return {"statusCode": 200}
