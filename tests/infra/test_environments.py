"""Per-environment settings: what dev may destroy and prod must keep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import layers
from infra.config import (
    CDK_JSON,
    ENVIRONMENTS_CONTEXT_KEY,
    ConfigError,
    cdk_json_context,
    environment_config,
)
from infra.synth import synth_template
from tests.infra.helpers import by_property, only, resources_of
from tradewind.resources import FUNCTIONS

STATEFUL_TYPES = (
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::Kinesis::Stream",
    "AWS::SQS::Queue",
    "AWS::Cognito::UserPool",
    "AWS::KMS::Key",
)


@pytest.mark.parametrize("resource_type", STATEFUL_TYPES)
def test_prod_retains_stateful_resources_and_dev_destroys_them(
    prod_json: dict[str, Any], dev_json: dict[str, Any], resource_type: str
) -> None:
    assert {r["DeletionPolicy"] for r in resources_of(prod_json, resource_type).values()} == {"Retain"}
    assert {r["DeletionPolicy"] for r in resources_of(dev_json, resource_type).values()} == {"Delete"}


def test_prod_tables_and_user_pool_are_deletion_protected(
    prod_json: dict[str, Any], prod_manifest: dict[str, Any]
) -> None:
    for table in resources_of(prod_json, "AWS::DynamoDB::GlobalTable").values():
        assert all(replica["DeletionProtectionEnabled"] for replica in table["Properties"]["Replicas"])
    _, pool = only(prod_json, "AWS::Cognito::UserPool")
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    assert prod_manifest["properties"]["terminationProtection"] is True


def test_prod_keeps_logs_a_year_and_reserves_consumer_concurrency(prod_json: dict[str, Any]) -> None:
    assert {g["Properties"]["RetentionInDays"] for g in resources_of(prod_json, "AWS::Logs::LogGroup").values()} == {
        365
    }
    reserved = environment_config(cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY], "prod").reserved_concurrency
    for logical, concurrency in reserved.items():
        _, function = by_property(
            prod_json, "AWS::Lambda::Function", "FunctionName", FUNCTIONS[logical].physical("prod")
        )
        assert function["Properties"]["ReservedConcurrentExecutions"] == concurrency


def test_environments_come_from_cdk_json_with_account_and_region(prod_manifest: dict[str, Any]) -> None:
    environments = cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY]
    assert {"local", "dev", "prod"} <= set(environments)
    prod = environments["prod"]
    assert prod_manifest["environment"] == f"aws://{prod['account']}/{prod['region']}"


def test_cdk_json_runs_the_venv_python_and_enables_result_writer_v2() -> None:
    cdk = json.loads(CDK_JSON.read_text())
    assert ".venv/bin/python app.py" in cdk["app"]
    assert cdk["context"]["@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"] is True


def test_unknown_environment_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown environment 'qa'.*known environments are dev, local, prod"):
        environment_config(cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY], "qa")


def test_malformed_environment_names_the_field() -> None:
    environments = cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY]
    broken = {"dev": {**environments["dev"], "log_retention_days": 10, "account": "12"}}
    with pytest.raises(ConfigError, match=r"(?s)environment 'dev' in cdk.json is invalid.*account.*log_retention_days"):
        environment_config(broken, "dev")


def test_synth_template_gives_the_local_cloud_its_wiring_without_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pip(name: str) -> Path:
        raise AssertionError(f"bundle=False must not build layer {name}")

    monkeypatch.setattr(layers, "built_layer", no_pip)
    template = synth_template("local")
    assert set(template) >= {"Resources", "Outputs"}
    _, machine = only(template, "AWS::StepFunctions::StateMachine")
    assert machine["Properties"]["StateMachineName"] == "tradewind-local-backtest"
    _, mapping = only(template, "AWS::Lambda::EventSourceMapping")
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for function in resources_of(template, "AWS::Lambda::Function").values():
        assert function["Properties"]["Environment"]["Variables"]["TRADEWIND_STAGE"] == "local"
