"""The backtest workflow's task: accept and record the run request.

Raises InvalidRunRequestError for a bad request; the state machine catches it by
that name and fails the execution with the message.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradewind.adapters.wiring import run_service

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    record = run_service().accept(event)
    return {"run_id": record.request.run_id, "status": record.status}
