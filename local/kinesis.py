"""Kinesis event-source mappings, done the way Lambda's pollers do them.

moto accepts mappings but never calls the function (it would need Docker), so
the local cloud polls each shard itself, with the settings of the synthesized
`AWS::Lambda::EventSourceMapping`: batch size, starting position, partial
batch responses (checkpoint at the lowest failed sequence number and redeliver
from there), bisection on function errors, the retry limit, and the on-failure
record sent to the DLQ when a batch is given up on. Records after a failure
are delivered again, as on AWS: consumers must be idempotent.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from local.runtime import FunctionError, FunctionRuntime
from local.template import Template

logger = logging.getLogger("tradewind.local")

Record = dict[str, Any]


class _Stopped(Exception):
    """Shutdown interrupted the retries of a batch."""


class KinesisMapping(BaseModel):
    """The parts of an event-source mapping that change how records are delivered."""

    model_config = ConfigDict(frozen=True)

    function_name: str
    stream_arn: str
    batch_size: int = 100
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "LATEST"
    bisect_on_error: bool = False
    # -1: retry until the records expire, as on AWS.
    maximum_retry_attempts: int = -1
    report_batch_item_failures: bool = False
    on_failure_arn: str | None = None
    enabled: bool = True

    @property
    def stream_name(self) -> str:
        return self.stream_arn.rsplit("/", 1)[-1]


def mappings_from(template: Template) -> list[KinesisMapping]:
    mappings = []
    for resource in template.of_type("AWS::Lambda::EventSourceMapping"):
        props = template.resolve(resource.properties)
        source = str(props.get("EventSourceArn", ""))
        if ":kinesis:" not in source:
            continue
        destination = (props.get("DestinationConfig") or {}).get("OnFailure") or {}
        mappings.append(
            KinesisMapping(
                function_name=str(props["FunctionName"]),
                stream_arn=source,
                batch_size=int(props.get("BatchSize", 100)),
                starting_position=props.get("StartingPosition", "LATEST"),
                bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                on_failure_arn=destination.get("Destination"),
                enabled=bool(props.get("Enabled", True)),
            )
        )
    return mappings


class Checkpoints:
    """The last delivered sequence number per shard; persisted with the snapshot."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._positions = dict(initial or {})
        self._lock = threading.Lock()

    @staticmethod
    def key(stream_arn: str, shard_id: str) -> str:
        return f"{stream_arn}#{shard_id}"

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._positions.get(key)

    def set(self, key: str, sequence_number: str) -> None:
        with self._lock:
            self._positions[key] = sequence_number

    def copy(self) -> dict[str, str]:
        with self._lock:
            return dict(self._positions)


def kinesis_event(
    records: Sequence[Record], shard_id: str, stream_arn: str, region: str, role_arn: str
) -> dict[str, Any]:
    """The event Lambda builds from GetRecords output (boto3 shapes: bytes, datetimes)."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode(),
                    "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role_arn,
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for record in records
        ]
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ShardPoller:
    """One thread per shard, as Lambda runs one batch at a time per shard."""

    def __init__(
        self,
        *,
        kinesis: Any,
        sqs: Any,
        runtime: FunctionRuntime,
        mapping: KinesisMapping,
        shard_id: str,
        checkpoints: Checkpoints,
        region: str,
        role_arn: str,
        poll_interval_s: float,
        retry_backoff_s: float,
        stop: threading.Event,
    ) -> None:
        self._kinesis = kinesis
        self._sqs = sqs
        self._runtime = runtime
        self._mapping = mapping
        self._spec = runtime.spec(mapping.function_name)
        self._shard_id = shard_id
        self._checkpoints = checkpoints
        self._key = Checkpoints.key(mapping.stream_arn, shard_id)
        self._region = region
        self._role_arn = role_arn
        self._poll_interval_s = poll_interval_s
        self._retry_backoff_s = retry_backoff_s
        self._stop = stop
        self._thread = threading.Thread(target=self._run, name=f"kinesis-{shard_id}")

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _iterator(self) -> str:
        request: dict[str, Any] = {"StreamName": self._mapping.stream_name, "ShardId": self._shard_id}
        position = self._checkpoints.get(self._key)
        if position:
            request |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": position}
        else:
            request["ShardIteratorType"] = self._mapping.starting_position
        return str(self._kinesis.get_shard_iterator(**request)["ShardIterator"])

    def _run(self) -> None:
        iterator: str | None = None
        while not self._stop.is_set():
            try:
                if iterator is None:
                    iterator = self._iterator()
                response = self._kinesis.get_records(ShardIterator=iterator, Limit=self._mapping.batch_size)
            except Exception:
                logger.exception("polling %s failed; retrying", self._key)
                iterator = None
                self._stop.wait(self._poll_interval_s)
                continue
            iterator = response.get("NextShardIterator")
            records = response.get("Records", [])
            if records:
                try:
                    self._deliver(records, attempt=0)
                except _Stopped:
                    return
                except Exception:
                    # E.g. the DLQ was unreachable: not checkpointed, so delivered again.
                    logger.exception("delivering a batch of %s failed; retrying", self._key)
                    iterator = None
                    self._stop.wait(self._poll_interval_s)
                    continue
                self._checkpoints.set(self._key, records[-1]["SequenceNumber"])
            elif iterator is None:
                return  # the shard was closed by a reshard
            else:
                self._stop.wait(self._poll_interval_s)

    def _first_failure(self, records: Sequence[Record]) -> tuple[int | None, bool]:
        """(index of the first record to redeliver or None, whether the function errored)."""
        try:
            event = kinesis_event(records, self._shard_id, self._mapping.stream_arn, self._region, self._role_arn)
            result = self._runtime.invoke(self._spec, event)
        except FunctionError:
            return 0, True
        if not self._mapping.report_batch_item_failures or not isinstance(result, dict):
            return None, False
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None, False
        positions = {record["SequenceNumber"]: i for i, record in enumerate(records)}
        identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if any(identifier not in positions for identifier in identifiers):
            # Lambda treats an unusable response as a failure of the whole batch.
            return 0, False
        return min(positions[str(identifier)] for identifier in identifiers), False

    def _deliver(self, records: Sequence[Record], attempt: int) -> None:
        """Delivers until every record is processed or given up on (sent to the DLQ)."""
        failed_at, errored = self._first_failure(records)
        if failed_at is None:
            return
        rest = records[failed_at:]
        if errored and self._mapping.bisect_on_error and len(rest) > 1:
            middle = len(rest) // 2
            self._deliver(rest[:middle], attempt)
            self._deliver(rest[middle:], attempt)
            return
        limit = self._mapping.maximum_retry_attempts
        if limit < 0 or attempt < limit:
            if self._stop.wait(self._retry_backoff_s):
                # Not checkpointed: the next start redelivers these records.
                raise _Stopped
            self._deliver(rest, attempt + 1)
            return
        self._give_up(rest, invocations=attempt + 1, errored=errored)

    def _give_up(self, records: Sequence[Record], invocations: int, errored: bool) -> None:
        condition = "RetryAttemptsExhausted"
        logger.warning("giving up on %d record(s) of %s", len(records), self._key)
        destination = self._mapping.on_failure_arn
        if destination is None:
            return
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if errored:
            response["functionError"] = "Unhandled"
        failure = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._runtime.arn(self._spec),
                "condition": condition,
                "approximateInvokeCount": invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": _iso(datetime.now(UTC)),
            "KinesisBatchInfo": {
                "shardId": self._shard_id,
                "startSequenceNumber": records[0]["SequenceNumber"],
                "endSequenceNumber": records[-1]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(records[0]["ApproximateArrivalTimestamp"]),
                "approximateArrivalOfLastRecord": _iso(records[-1]["ApproximateArrivalTimestamp"]),
                "batchSize": len(records),
                "streamArn": self._mapping.stream_arn,
            },
        }
        queue_url = self._sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(failure))
