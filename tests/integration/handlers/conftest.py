"""Handlers against moto: tables created from the same specs the CDK app deploys."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from tradewind.adapters import aws, wiring
from tradewind.resources import TABLES
from tradewind.settings import get_settings

STAGE = "test"


def _clear_caches() -> None:
    get_settings.cache_clear()
    for cached in (aws.client, aws.dynamodb_table, wiring.realtime_service, wiring.ingest_service, wiring.run_service):
        cached.cache_clear()


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TRADEWIND_STAGE", STAGE)
    monkeypatch.setenv("TRADEWIND_WEBSOCKET_ENDPOINT", "https://abc123.execute-api.us-east-1.amazonaws.com/v1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    _clear_caches()
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        for spec in TABLES.values():
            dynamodb.create_table(**spec.create_table_args(STAGE))
        yield
    _clear_caches()
