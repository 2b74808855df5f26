"""Creates the emulated resources from the definitions the CDK stacks use.

Tables, the stream, buckets and the queue come from `tradewind.resources`;
functions are registered under their physical names so state machines can
call them; state machines come from the synthesized template. Every step is
idempotent: after a snapshot is restored, data-holding resources are kept and
state machines are updated to the current definition.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from local.template import Template, TemplateError
from tradewind.resources import (
    BUCKETS,
    FUNCTIONS,
    MARKET_DATA_DLQ,
    MARKET_DATA_STREAM,
    FunctionSpec,
    TableSpec,
)
from tradewind.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ROLE = "tradewind-local-lambda"
LAMBDA_RUNTIME = "python3.11"
_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def create_table(dynamodb: Any, spec: TableSpec, stage: str) -> None:
    request: dict[str, Any] = dict(spec.create_table_args(stage))
    if spec.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    try:
        dynamodb.create_table(**request)
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise
        return
    if spec.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=spec.physical(stage),
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )


def create_stream(kinesis: Any, stage: str) -> None:
    try:
        kinesis.create_stream(StreamName=MARKET_DATA_STREAM.physical(stage), ShardCount=MARKET_DATA_STREAM.shards)
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise


def create_buckets(s3: Any, settings: Settings) -> None:
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for spec in BUCKETS.values():
        name = spec.physical(settings.stage, settings.account)
        if name in existing:
            continue
        s3.create_bucket(Bucket=name)
        if spec.versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def create_queue(sqs: Any, stage: str) -> str:
    return str(sqs.create_queue(QueueName=MARKET_DATA_DLQ.physical(stage))["QueueUrl"])


def _code_zip(spec: FunctionSpec) -> bytes:
    """The function's real source, so `GetFunction` shows what actually runs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        folder = ROOT / "functions" / spec.folder
        for path in sorted(folder.rglob("*.py")):
            archive.write(path, path.relative_to(ROOT).as_posix())
    return buffer.getvalue()


def ensure_role(iam: Any) -> str:
    """The one execution role every local function and state machine uses."""
    try:
        return str(iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=_TRUST_POLICY)["Role"]["Arn"])
    except ClientError as error:
        if _error_code(error) != "EntityAlreadyExists":
            raise
        return str(iam.get_role(RoleName=LAMBDA_ROLE)["Role"]["Arn"])


def register_functions(lambda_: Any, role_arn: str, stage: str) -> None:
    """Functions are not snapshotted: they are registered afresh from the code each start."""
    for spec in FUNCTIONS.values():
        lambda_.create_function(
            FunctionName=spec.physical(stage),
            Runtime=LAMBDA_RUNTIME,
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": _code_zip(spec)},
            Timeout=spec.timeout_s,
            MemorySize=spec.memory_mb,
        )


def create_state_machines(stepfunctions: Any, template: Template, role_arn: str) -> dict[str, str]:
    """Creates or updates each state machine of the template; returns name -> ARN."""
    existing = {m["name"]: m["stateMachineArn"] for m in stepfunctions.list_state_machines()["stateMachines"]}
    created: dict[str, str] = {}
    for resource in template.of_type("AWS::StepFunctions::StateMachine"):
        name = template.physical_name(resource)
        properties = resource.properties
        if "DefinitionString" in properties:
            definition = str(template.resolve(properties["DefinitionString"]))
        elif "Definition" in properties:
            definition = json.dumps(template.resolve(properties["Definition"]))
        else:
            raise TemplateError(f"state machine {resource.logical_id} has no inline definition")
        if name in existing:
            stepfunctions.update_state_machine(stateMachineArn=existing[name], definition=definition)
            created[name] = existing[name]
        else:
            created[name] = stepfunctions.create_state_machine(name=name, definition=definition, roleArn=role_arn)[
                "stateMachineArn"
            ]
    return created
