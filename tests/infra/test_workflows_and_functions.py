"""The backtest state machine, every Lambda function and its layers, and who may touch what."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs import backtests
from infra.stacks import BUCKET_ACCESS, TABLE_ACCESS
from tests.infra.helpers import arn_of, by_property, mentions, only, policy_statements_of, resources_of
from tradewind.resources import BACKTEST_STATE_MACHINE, BUCKETS, FUNCTIONS, TABLES

STAGE = "dev"
ACCOUNT = "111111111111"


def _definition(template: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The definition with each intrinsic replaced by `<i>`, and the joined parts (parts[i] is the intrinsic)."""
    _, machine = by_property(
        template, "AWS::StepFunctions::StateMachine", "StateMachineName", BACKTEST_STATE_MACHINE.physical(STAGE)
    )
    separator, parts = machine["Properties"]["DefinitionString"]["Fn::Join"]
    assert separator == ""
    text = "".join(part if isinstance(part, str) else f"<{index}>" for index, part in enumerate(parts))
    return json.loads(text), parts


def test_definition_uses_only_intrinsics_the_local_cloud_resolves(dev_json: dict[str, Any]) -> None:
    _, parts = _definition(dev_json)
    resources = set(dev_json["Resources"])
    for intrinsic in (part for part in parts if not isinstance(part, str)):
        (kind, value), *_ = intrinsic.items()
        assert len(intrinsic) == 1
        if kind == "Fn::GetAtt":
            assert value[0] in resources and value[1] == "Arn"
        else:
            assert kind == "Ref" and (value == "AWS::Partition" or value in resources)


def _function_id(template: dict[str, Any], logical: str) -> str:
    function_id, _ = by_property(template, "AWS::Lambda::Function", "FunctionName", FUNCTIONS[logical].physical(STAGE))
    return function_id


def _assert_retried(state: dict[str, Any], function_timeout_s: int) -> None:
    retried = {tuple(rule["ErrorEquals"]): rule for rule in state["Retry"]}
    assert retried[tuple(backtests.LAMBDA_SERVICE_ERRORS)]["MaxAttempts"] == backtests.SERVICE_RETRY_ATTEMPTS
    assert retried[("States.Timeout",)]["IntervalSeconds"] <= 2
    assert state["TimeoutSeconds"] > function_timeout_s


def test_the_workflow_is_validate_load_map_aggregate(dev_json: dict[str, Any]) -> None:
    definition, parts = _definition(dev_json)
    states = definition["States"]
    order = [definition["StartAt"]]
    while "Next" in states[order[-1]]:
        order.append(states[order[-1]]["Next"])
    assert order == ["Validate", "Load", "RunChunks", "Aggregate", "Succeeded"]
    task, worker = _function_id(dev_json, "backtest-task"), _function_id(dev_json, "backtest-worker")
    expected = {"Validate": ("backtest-task", task), "Load": ("backtest-worker", worker)}
    expected["Aggregate"] = ("backtest-worker", worker)
    for name, (logical, function_id) in expected.items():
        state = states[name]
        assert parts[int(state["Resource"].strip("<>"))] == arn_of(function_id)
        _assert_retried(state, FUNCTIONS[logical].timeout_s)
    assert states["Validate"]["Parameters"] == {"step": "validate", "request.$": "$"}
    # Later steps get the run id only: state stays far below the 256 KiB cap whatever the sweep's size.
    assert states["Load"]["Parameters"] == {"step": "load", "run_id.$": "$.run_id"}
    assert states["Aggregate"]["Parameters"] == {"step": "aggregate", "run_id.$": "$.run_id"}


def test_the_chunks_run_in_a_bounded_distributed_map_of_worker_invocations(dev_json: dict[str, Any]) -> None:
    definition, parts = _definition(dev_json)
    chunks = definition["States"]["RunChunks"]
    assert chunks["Type"] == "Map"
    assert chunks["ItemsPath"] == "$.load.chunks"
    assert chunks["MaxConcurrency"] == backtests.MAX_CONCURRENCY
    assert chunks["ResultPath"] is None  # results go to S3, never into the state
    processor = chunks["ItemProcessor"]
    assert processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    run = processor["States"][processor["StartAt"]]
    assert parts[int(run["Resource"].strip("<>"))] == arn_of(_function_id(dev_json, "backtest-worker"))
    assert run["Parameters"] == {"step": "chunk", "run_id.$": "$.run_id", "chunk.$": "$.chunk"}
    _assert_retried(run, FUNCTIONS["backtest-worker"].timeout_s)


def test_every_step_marks_the_run_failed_then_fails_with_the_cause(dev_json: dict[str, Any]) -> None:
    definition, parts = _definition(dev_json)
    states = definition["States"]
    for name in ("Validate", "Load", "RunChunks", "Aggregate"):
        (catch,) = states[name]["Catch"]
        assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MarkFailed"}, name
    mark = states["MarkFailed"]
    assert parts[int(mark["Resource"].strip("<>"))] == arn_of(_function_id(dev_json, "backtest-task"))
    assert mark["Parameters"] == {"step": "fail", "input.$": "$", "error.$": "$.error"}
    assert mark["ResultPath"] is None  # keep $.error for the Fail state
    assert mark["Next"] == "Failed"
    # Even when recording the failure fails, the execution fails with the original error.
    (catch,) = mark["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "Failed" and catch["ResultPath"] != "$.error"
    assert states["Failed"] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}


def test_state_machine_is_standard_logged_in_full_and_traced(dev_json: dict[str, Any]) -> None:
    _, machine = only(dev_json, "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_every_function_matches_its_spec(dev_json: dict[str, Any], logical: str) -> None:
    spec = FUNCTIONS[logical]
    _, function = by_property(dev_json, "AWS::Lambda::Function", "FunctionName", spec.physical(STAGE))
    props = function["Properties"]
    if spec.image:
        assert props["PackageType"] == "Image" and "ImageUri" in props["Code"]
        assert "Runtime" not in props and "Layers" not in props
    else:
        assert props["Runtime"] == "python3.11"
        assert props["Handler"] == spec.handler
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_s
    assert props["TracingConfig"] == {"Mode": "Active"}
    variables = props["Environment"]["Variables"]
    assert variables["TRADEWIND_STAGE"] == STAGE
    assert variables["TRADEWIND_ACCOUNT"] == ACCOUNT
    assert variables["POWERTOOLS_SERVICE_NAME"] == logical
    assert {"POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"} <= set(variables)
    layers = resources_of(dev_json, "AWS::Lambda::LayerVersion")
    names = {layers[layer["Ref"]]["Properties"]["LayerName"].rsplit("-", 1)[-1] for layer in props.get("Layers", [])}
    assert names == (set() if spec.image else {*spec.layers, "shared"})


def test_only_the_functions_that_need_them_get_user_pool_ids(dev_json: dict[str, Any]) -> None:
    for logical, spec in FUNCTIONS.items():
        _, function = by_property(dev_json, "AWS::Lambda::Function", "FunctionName", spec.physical(STAGE))
        variables = function["Properties"]["Environment"]["Variables"]
        wants = logical in {"api", "ws-authorizer"}
        assert ("TRADEWIND_USER_POOL_ID" in variables) == wants
        assert ("TRADEWIND_USER_POOL_CLIENT_ID" in variables) == wants


def _resources_granted(template: dict[str, Any], logical: str, resource_type: str) -> set[str]:
    _, function = by_property(template, "AWS::Lambda::Function", "FunctionName", FUNCTIONS[logical].physical(STAGE))
    statements = policy_statements_of(template, function["Properties"]["Role"]["Fn::GetAtt"][0])
    return {name for name in resources_of(template, resource_type) if mentions(statements, name)}


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_functions_reach_only_the_tables_and_buckets_granted_to_them(dev_json: dict[str, Any], logical: str) -> None:
    tables = {
        by_property(dev_json, "AWS::DynamoDB::GlobalTable", "TableName", TABLES[t].physical(STAGE))[0]
        for t in TABLE_ACCESS.get(logical, {})
    }
    buckets = {
        by_property(dev_json, "AWS::S3::Bucket", "BucketName", BUCKETS[b].physical(STAGE, ACCOUNT))[0]
        for b in BUCKET_ACCESS.get(logical, {})
    }
    assert _resources_granted(dev_json, logical, "AWS::DynamoDB::GlobalTable") == tables
    assert _resources_granted(dev_json, logical, "AWS::S3::Bucket") == buckets


def test_read_only_grants_cannot_write(dev_json: dict[str, Any]) -> None:
    orders, _ = by_property(dev_json, "AWS::DynamoDB::GlobalTable", "TableName", TABLES["orders"].physical(STAGE))
    _, api = by_property(dev_json, "AWS::Lambda::Function", "FunctionName", FUNCTIONS["api"].physical(STAGE))
    statements = policy_statements_of(dev_json, api["Properties"]["Role"]["Fn::GetAtt"][0])
    on_orders = [s for s in statements if mentions(s["Resource"], orders)]
    actions = {a for s in on_orders for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions and not any(a.startswith(("dynamodb:Put", "dynamodb:Delete", "dynamodb:Update")) for a in actions)
