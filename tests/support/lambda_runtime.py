"""What the Lambda runtime hands a handler: a context and API Gateway-shaped events."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeLambdaContext:
    function_name: str = "tradewind-test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:tradewind-test-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def rest_event(
    method: str,
    path: str,
    *,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it behind a Cognito authorizer."""
    context: dict[str, Any] = {
        "stage": "v1",
        "requestId": str(uuid.uuid4()),
        "path": f"/v1{path}",
        "httpMethod": method,
        "resourcePath": "/{proxy+}",
        "identity": {"sourceIp": "127.0.0.1"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": context,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def kinesis_event(
    records: list[tuple[str, bytes]], stream_arn: str, shard: str = "shardId-000000000000"
) -> dict[str, Any]:
    """A Kinesis batch: (sequence number, data) pairs, data base64-encoded as Lambda receives it."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "NVDA",
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode(),
                    "approximateArrivalTimestamp": 1_700_000_000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::000000000000:role/consumer",
                "awsRegion": "us-east-1",
                "eventSourceARN": stream_arn,
            }
            for sequence, data in records
        ]
    }
