"""Kinesis consumer of the market-data stream.

Partial batch responses: a bad record is reported alone, so the event source
mapping retries from it (bisecting), and after its retry limit sends it to the
DLQ while the rest of the batch is kept.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradewind.adapters.wiring import ingest_service

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@tracer.capture_method
def record_handler(record: KinesisStreamRecord) -> None:
    applied = ingest_service().ingest(record.kinesis.data_as_text(), record.kinesis.sequence_number)
    metrics.add_metric(name="TradesApplied" if applied else "TradesSuperseded", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A processor per invocation: it holds the batch's results, and the local cloud
    # calls this handler from one thread per shard.
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
