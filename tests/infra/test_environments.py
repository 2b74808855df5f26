"""Per-environment settings: what dev may destroy and prod must keep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import layers
from infra.config import (
    BUNDLE_CONTEXT_KEY,
    CDK_JSON,
    ENV_CONTEXT_KEY,
    ENVIRONMENTS_CONTEXT_KEY,
    PROJECT_ROOT,
    ConfigError,
    cdk_json_context,
    environment_config,
)
from infra.synth import Synthesis, synth_template
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


def test_prod_tables_and_user_pool_are_deletion_protected(prod_json: dict[str, Any], prod: Synthesis) -> None:
    for table in resources_of(prod_json, "AWS::DynamoDB::GlobalTable").values():
        assert all(replica["DeletionProtectionEnabled"] for replica in table["Properties"]["Replicas"])
    _, pool = only(prod_json, "AWS::Cognito::UserPool")
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    (stack,) = prod.assembly.stacks
    assert stack.termination_protection is True


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


def test_environments_come_from_cdk_json_with_account_and_region(prod: Synthesis) -> None:
    environments = cdk_json_context()[ENVIRONMENTS_CONTEXT_KEY]
    assert {"local", "dev", "prod"} <= set(environments)
    (stack,) = prod.assembly.stacks
    assert stack.environment.account == environments["prod"]["account"]
    assert stack.environment.region == environments["prod"]["region"]


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


def test_app_py_synthesizes_what_the_cdk_cli_asks_for(tmp_path: Path) -> None:
    """The CLI runs app.py with cdk.json's context (plus -c flags) in CDK_CONTEXT_JSON and the outdir in CDK_OUTDIR."""
    context = {**cdk_json_context(), ENV_CONTEXT_KEY: "prod", BUNDLE_CONTEXT_KEY: False}
    environment = {
        "PATH": os.environ["PATH"],
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "app.py")], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "tradewind-prod-app.template.json").read_text())
    assert only(template, "AWS::Kinesis::Stream")[1]["Properties"]["Name"] == "tradewind-prod-market-data"


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
