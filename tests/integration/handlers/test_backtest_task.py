"""The backtest workflow's validate step: validated, recorded once, conflicts refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.lambda_runtime import FakeLambdaContext
from tradewind.adapters.runs_dynamodb import DynamoRunStore
from tradewind.runs.models import InvalidRunRequestError, RunConflictError
from tradewind.settings import get_settings

pytestmark = pytest.mark.usefixtures("moto_aws")

ROOT = Path(__file__).resolve().parents[3]
REQUEST = {
    "run_id": "run-1",
    "strategy_id": "sma-cross",
    "strategy": json.loads((ROOT / "examples/strategies/sma_cross.json").read_text()),
    "symbols": ["NVDA"],
    "timeframe": "1d",
    "start": "2010-01-01",
    "end": "2014-12-31",
}


def _run(payload: dict[str, Any]) -> dict[str, Any]:
    from functions.backtest_task.handler import handler

    return handler({"step": "validate", "request": payload}, FakeLambdaContext())


def test_a_valid_request_is_accepted_and_recorded() -> None:
    assert _run(REQUEST) == {"run_id": "run-1", "status": "accepted"}
    stored = DynamoRunStore(get_settings().table("runs")).get("run-1")
    assert stored is not None
    assert stored.request.symbols == ("NVDA",)


def test_a_retry_returns_the_first_record() -> None:
    _run(REQUEST)
    first = DynamoRunStore(get_settings().table("runs")).get("run-1")
    assert _run(REQUEST) == {"run_id": "run-1", "status": "accepted"}
    assert DynamoRunStore(get_settings().table("runs")).get("run-1") == first


def test_reusing_a_run_id_for_another_request_is_a_conflict() -> None:
    _run(REQUEST)
    with pytest.raises(RunConflictError):
        _run({**REQUEST, "symbols": ["AAPL"]})


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"end": "2009-01-01"}, "end must be after start"),
        ({"timeframe": "2d"}, "timeframe"),
        ({"symbols": []}, "symbols"),
        ({"run_id": "bad id!"}, "run_id"),
    ],
)
def test_invalid_requests_name_the_field(change: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidRunRequestError, match=path):
        _run({**REQUEST, **change})
