"""The backtest workflow's numeric steps (container image with numba): load, chunk, aggregate.

The compiled kernel is warmed at init, so its cost is paid once per container
(or once per image, when the build warmed the on-disk cache), not per chunk.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tradewind.adapters.backtest_wiring import sweep_service
from tradewind.execution.account import warm_up
from tradewind.runs.sweep import ChunkItem

logger = Logger()
tracer = Tracer()
warm_up()


class RunStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal["load", "aggregate"]
    run_id: str


_STEP: TypeAdapter[RunStep | ChunkItem] = TypeAdapter(Annotated[RunStep | ChunkItem, Field(discriminator="step")])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = _STEP.validate_python(event)
    service = sweep_service()
    if isinstance(step, ChunkItem):
        return {"chunk": step.chunk, "rows": service.run_chunk(step)}
    if step.step == "load":
        return {"chunks": [item.model_dump() for item in service.load(step.run_id)]}
    record = service.aggregate(step.run_id)
    return {"run_id": step.run_id, "status": record.status, "report_key": record.report_key}
