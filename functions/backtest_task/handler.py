"""The backtest workflow's light steps (zip function): validate the request, mark a run failed.

`validate` raises InvalidRunRequestError for a bad request or strategy; the
state machine catches it by that name, calls `fail` with the caught error and
ends the execution failed with the message. The numeric steps run in the
`backtest-worker` container image.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tradewind.adapters.wiring import run_service
from tradewind.runs.validation import validate_run

logger = Logger()
tracer = Tracer()


class ValidateStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal["validate"]
    request: dict[str, Any]


class CaughtError(BaseModel):
    """What a Step Functions Catch stores at its ResultPath."""

    Error: str
    Cause: str = ""

    def __str__(self) -> str:
        """`Error: message`; a Lambda error's Cause is the runtime's JSON, of which only the message tells."""
        try:
            cause = json.loads(self.Cause)
        except ValueError:
            cause = None
        message = cause["errorMessage"] if isinstance(cause, dict) and "errorMessage" in cause else self.Cause
        return f"{self.Error}: {message}"


class FailStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal["fail"]
    # The state when the error was caught: the request plus `error`.
    input: dict[str, Any]
    error: CaughtError


_STEP: TypeAdapter[ValidateStep | FailStep] = TypeAdapter(
    Annotated[ValidateStep | FailStep, Field(discriminator="step")]
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = _STEP.validate_python(event)
    if isinstance(step, ValidateStep):
        record = validate_run(run_service(), step.request)
        return {"run_id": record.request.run_id, "status": record.status}
    message = str(step.error)
    failed = run_service().fail(step.input, message)
    run_id = step.input.get("run_id")
    logger.info("run failed", extra={"run_id": run_id, "error": message, "recorded": failed is not None})
    return {"run_id": run_id, "status": "failed", "recorded": failed is not None}
