"""The backtest workflow's steps, handler by handler, on moto (runs table, reports bucket)
and a local-folder lake holding the real NVDA daily sample."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.lambda_runtime import FakeLambdaContext
from tradewind.adapters import backtest_wiring
from tradewind.adapters.market_store_local import local_market_store
from tradewind.adapters.runs_dynamodb import DynamoRunStore
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.models import SeriesKey
from tradewind.marketdata.timeframe import Timeframe
from tradewind.runs.models import InvalidRunRequestError, RunConflictError, RunRecord
from tradewind.runs.sweep import IncompleteSweepError, Keys
from tradewind.settings import get_settings

ROOT = Path(__file__).resolve().parents[3]
STRATEGY = json.loads((ROOT / "examples/strategies/rsi_reversal.json").read_text())
REQUEST: dict[str, Any] = {
    "run_id": "sweep-1",
    "strategy_id": "rsi-reversal",
    "strategy": STRATEGY,
    "symbols": ["NVDA"],
    "timeframe": "1d",
    "start": "2008-01-01",
    "end": "2013-12-31",
    "sweep": {"method": "random", "samples": 7, "seed": 3, "chunk_size": 3},
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lake")
    options = ImportOptions(timeframe=Timeframe.D1, adjust=True)
    result = import_file(ROOT / "data/samples/nvda-1d-1999-2014.csv", options)
    key = SeriesKey(symbol="NVDA", timeframe=Timeframe.D1)
    local_market_store(folder).write(key, result.frame, source="sample", adjustment=result.adjustment)
    return folder


@pytest.fixture
def workflow(moto_aws: None, lake: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TRADEWIND_MARKET_LAKE_DIR", str(lake))
    get_settings.cache_clear()
    backtest_wiring.sweep_service.cache_clear()
    boto3.client("s3").create_bucket(Bucket=get_settings().bucket("reports"))
    yield
    backtest_wiring.sweep_service.cache_clear()


def _task(event: dict[str, Any]) -> dict[str, Any]:
    from functions.backtest_task.handler import handler

    return handler(event, FakeLambdaContext())


def _worker(event: dict[str, Any]) -> dict[str, Any]:
    from functions.backtest_worker.handler import handler

    return handler(event, FakeLambdaContext())


def _record(run_id: str) -> RunRecord:
    record = DynamoRunStore(get_settings().table("runs")).get(run_id)
    assert record is not None
    return record


def _object(key: str) -> bytes:
    body: bytes = boto3.client("s3").get_object(Bucket=get_settings().bucket("reports"), Key=key)["Body"].read()
    return body


def _through_load(request: dict[str, Any]) -> list[dict[str, Any]]:
    assert _task({"step": "validate", "request": request}) == {"run_id": request["run_id"], "status": "accepted"}
    chunks: list[dict[str, Any]] = _worker({"step": "load", "run_id": request["run_id"]})["chunks"]
    return chunks


@pytest.mark.usefixtures("workflow")
def test_a_sweep_runs_chunk_by_chunk_and_the_aggregate_records_the_winner() -> None:
    chunks = _through_load(REQUEST)
    assert chunks == [{"step": "chunk", "run_id": "sweep-1", "chunk": n} for n in range(3)]
    assert [_worker(item)["rows"] for item in chunks] == [3, 3, 1]

    result = _worker({"step": "aggregate", "run_id": "sweep-1"})
    assert result == {"run_id": "sweep-1", "status": "succeeded", "report_key": Keys("sweep-1").report_json}
    record = _record("sweep-1")
    assert record.status == "succeeded" and record.report_key == Keys("sweep-1").report_json
    assert record.metrics is not None
    assert record.metrics["evaluated"] == 7
    report = json.loads(_object(Keys("sweep-1").report_json))
    ranked = report["ranked"]
    assert [r["sharpe"] for r in ranked] == sorted((r["sharpe"] for r in ranked), reverse=True)
    # The recorded metrics are the winner's full backtest, which must agree with its sweep row.
    assert report["best_params"] == ranked[0]["params"] == record.metrics["best_params"]
    assert record.metrics["sharpe"] == pytest.approx(ranked[0]["sharpe"])
    assert record.metrics["trades"] == ranked[0]["trades"] == len(report["backtest"]["trade_list"])
    assert 0.0 <= record.metrics["deflated_sharpe"] <= 1.0
    assert _object(Keys("sweep-1").report_html).lower().startswith(b"<!doctype html>")


@pytest.mark.usefixtures("workflow")
def test_a_strategy_without_ranges_is_one_backtest_at_its_defaults() -> None:
    fixed = {"rsi": {**STRATEGY["indicators"]["rsi"], "params": {"timeperiod": 14}}}
    document = {**STRATEGY, "indicators": fixed, "long": {"entry": {"lt": ["rsi", 30]}, "exit": {"gt": ["rsi", 70]}}}
    request = {**REQUEST, "run_id": "single", "strategy": document, "sweep": {}}
    chunks = _through_load(request)
    assert len(chunks) == 1
    assert _worker(chunks[0])["rows"] == 1
    _worker({"step": "aggregate", "run_id": "single"})
    metrics = _record("single").metrics
    assert metrics is not None and metrics["evaluated"] == 1 and metrics["best_params"] == {}


@pytest.mark.usefixtures("workflow")
def test_aggregating_before_every_chunk_ran_is_refused_and_records_nothing() -> None:
    chunks = _through_load(REQUEST)
    _worker(chunks[0])
    with pytest.raises(IncompleteSweepError, match="chunk 1 of 3"):
        _worker({"step": "aggregate", "run_id": "sweep-1"})
    assert _record("sweep-1").status == "accepted"


@pytest.mark.usefixtures("workflow")
def test_a_bad_strategy_is_recorded_then_marked_failed_with_the_error() -> None:
    request = {**REQUEST, "run_id": "bad", "strategy": {**STRATEGY, "indicators": {}}}
    with pytest.raises(InvalidRunRequestError, match="strategy") as caught:
        _task({"step": "validate", "request": request})
    assert _record("bad").status == "accepted"
    error = {"Error": "InvalidRunRequestError", "Cause": str(caught.value)}
    assert _task({"step": "fail", "input": {**request, "error": error}, "error": error})["recorded"] is True
    record = _record("bad")
    assert record.status == "failed"
    assert record.error is not None and record.error.startswith("InvalidRunRequestError: strategy")
    assert record.request.strategy == request["strategy"]  # the request is kept whole


@pytest.mark.usefixtures("workflow")
def test_a_lambda_error_is_recorded_by_its_message_not_the_runtime_json() -> None:
    _task({"step": "validate", "request": REQUEST})
    cause = json.dumps({"errorType": "IncompleteSweepError", "errorMessage": "chunk 1 is missing", "stackTrace": []})
    error = {"Error": "IncompleteSweepError", "Cause": cause}
    _task({"step": "fail", "input": {**REQUEST, "error": error}, "error": error})
    assert _record("sweep-1").error == "IncompleteSweepError: chunk 1 is missing"


@pytest.mark.usefixtures("workflow")
@pytest.mark.parametrize("chunk_size", [1, 2, 5, 8, 50])
def test_the_chunks_partition_the_parameter_sets_in_order(chunk_size: int) -> None:
    request = {**REQUEST, "sweep": {"method": "random", "samples": 8, "seed": 9, "chunk_size": chunk_size}}
    chunks = _through_load(request)
    assert len(chunks) == -(-8 // chunk_size)
    keys = Keys("sweep-1")
    parts = [json.loads(_object(keys.chunk(item["chunk"]))) for item in chunks]
    assert all(len(part) == chunk_size for part in parts[:-1]) and 0 < len(parts[-1]) <= chunk_size
    sets = [tuple(sorted(p.items())) for part in parts for p in part]
    assert len(sets) == len(set(sets)) == 8
    assert json.loads(_object(keys.plan)) == {"chunks": len(chunks), "param_sets": 8}


@pytest.mark.usefixtures("workflow")
def test_a_request_reusing_a_run_id_fails_without_touching_that_run() -> None:
    _task({"step": "validate", "request": REQUEST})
    other = {**REQUEST, "end": "2012-12-31"}
    with pytest.raises(RunConflictError) as caught:
        _task({"step": "validate", "request": other})
    error = {"Error": "RunConflictError", "Cause": str(caught.value)}
    assert _task({"step": "fail", "input": {**other, "error": error}, "error": error})["recorded"] is False
    record = _record("sweep-1")
    assert record.status == "accepted" and record.error is None


@pytest.mark.usefixtures("workflow")
def test_marking_an_unreadable_request_failed_records_nothing() -> None:
    error = {"Error": "InvalidRunRequestError", "Cause": "run_id: bad"}
    assert _task({"step": "fail", "input": {"run_id": 7, "error": error}, "error": error})["recorded"] is False


@pytest.mark.usefixtures("workflow")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"symbols": ["ZZZZ"]}, "no stored series"),
        ({"start": "1980-01-01", "end": "1985-01-01"}, "no NVDA 1d bars"),
        ({"sweep": {"objective": "luck"}}, "unknown objective"),
        ({"sweep": {"constraints": ["trades>>3"]}}, "METRIC OP NUMBER"),
    ],
)
def test_load_refuses_what_cannot_be_run_by_name(change: dict[str, Any], message: str) -> None:
    request = {**REQUEST, **change}
    _task({"step": "validate", "request": request})
    with pytest.raises(InvalidRunRequestError, match=message):
        _worker({"step": "load", "run_id": "sweep-1"})


@pytest.mark.usefixtures("workflow")
def test_an_unknown_step_is_refused() -> None:
    with pytest.raises(ValueError, match="step"):
        _worker({"step": "launch", "run_id": "sweep-1"})
