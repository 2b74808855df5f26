"""The numeric steps of the backtest workflow: plan the chunks, run one, aggregate them.

Each step reads what the previous one left in the artefact store (the reports
bucket on AWS) under `runs/<run_id>/`, so state-machine payloads carry only a
run id and a chunk number, far below Step Functions' 256 KiB cap. Every write
is a whole object at a key derived from the run id: a retried step rewrites the
same objects and changes nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from tradewind.backtest.engine import BacktestOptions
from tradewind.backtest.html import render_html
from tradewind.backtest.report import backtest
from tradewind.marketdata import frames
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import DataKind, SeriesKey
from tradewind.marketdata.parquet import from_parquet_bytes, to_parquet_bytes
from tradewind.marketdata.store import BlobStore, MarketStore
from tradewind.marketdata.timeframe import Timeframe
from tradewind.optimize.chunk import Row, run_chunk
from tradewind.optimize.overfitting import deflated_sharpe
from tradewind.optimize.search import Constraint, OptimizeRequest, candidates, rank
from tradewind.optimize.space import bind, dimensions
from tradewind.runs.models import InvalidRunRequestError, RunRecord, RunRequest
from tradewind.runs.service import RunService
from tradewind.runs.validation import strategy_of
from tradewind.strategy.model import Strategy

TOP_ROWS = 10


class ChunkItem(BaseModel):
    """One Distributed Map item: the worker's whole event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: Literal["chunk"] = "chunk"
    run_id: str
    chunk: int


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chunks: int
    param_sets: int


class IncompleteSweepError(RuntimeError):
    """A chunk's results are missing: aggregating now would rank a partial sweep."""


class Keys:
    """Where a run's artefacts live; the report keys are what the run record points at."""

    def __init__(self, run_id: str) -> None:
        self.root = f"runs/{run_id}"

    @property
    def plan(self) -> str:
        return f"{self.root}/plan.json"

    def bars(self, symbol: str) -> str:
        return f"{self.root}/bars/{symbol}.parquet"

    def chunk(self, number: int) -> str:
        return f"{self.root}/chunks/{number:05d}.json"

    def result(self, number: int) -> str:
        return f"{self.root}/results/{number:05d}.json"

    @property
    def report_json(self) -> str:
        return f"{self.root}/report.json"

    @property
    def report_html(self) -> str:
        return f"{self.root}/report.html"


def optimize_request(request: RunRequest) -> OptimizeRequest:
    sweep = request.sweep
    try:
        return OptimizeRequest(
            method=sweep.method,
            samples=sweep.samples,
            seed=sweep.seed,
            objective=sweep.objective,
            constraints=tuple(Constraint.parse(text) for text in sweep.constraints),
        )
    except (ValidationError, ValueError) as exc:
        raise InvalidRunRequestError(f"sweep: {exc}") from exc


def options_of(request: RunRequest) -> BacktestOptions:
    return BacktestOptions(cash=float(request.cash))


class SweepService:
    """The load, chunk and aggregate steps over a market-data lake and an artefact store."""

    def __init__(self, runs: RunService, lake: MarketStore, artefacts: BlobStore) -> None:
        self._runs = runs
        self._lake = lake
        self._artefacts = artefacts

    def load(self, run_id: str) -> list[ChunkItem]:
        """Snapshot the bars, cut the parameter sets into chunks; returns one Map item per chunk."""
        request = self._runs.get(run_id).request
        strategy = strategy_of(request)
        keys = Keys(run_id)
        for symbol, bars in self._read_lake(request).items():
            self._artefacts.put(keys.bars(symbol), to_parquet_bytes(bars))
        param_sets = self._param_sets(strategy, request)
        size = request.sweep.chunk_size
        chunks = [param_sets[i : i + size] for i in range(0, len(param_sets), size)]
        for number, chunk in enumerate(chunks):
            self._artefacts.put(keys.chunk(number), json.dumps(chunk).encode())
        plan = Plan(chunks=len(chunks), param_sets=len(param_sets))
        self._artefacts.put(keys.plan, plan.model_dump_json().encode())
        return [ChunkItem(run_id=run_id, chunk=number) for number in range(len(chunks))]

    def run_chunk(self, item: ChunkItem) -> int:
        """Score the chunk's parameter sets and store the rows; returns how many."""
        request = self._runs.get(item.run_id).request
        keys = Keys(item.run_id)
        param_sets = json.loads(self._required(keys.chunk(item.chunk)))
        rows = run_chunk(strategy_of(request), self._bars(request), param_sets, options_of(request))
        self._artefacts.put(keys.result(item.chunk), json.dumps(rows, allow_nan=False).encode())
        return len(rows)

    def aggregate(self, run_id: str) -> RunRecord:
        """Rank every row, report the winner (JSON + HTML) and record the run as succeeded."""
        record = self._runs.get(run_id)
        request = record.request
        keys = Keys(run_id)
        plan = Plan.model_validate_json(self._required(keys.plan))
        rows: list[Row] = []
        for number in range(plan.chunks):
            data = self._artefacts.get(keys.result(number))
            if data is None:
                raise IncompleteSweepError(f"run {run_id}: chunk {number} of {plan.chunks} has no results")
            rows.extend(json.loads(data))
        optimization = optimize_request(request)
        ranked = rank(rows, optimization)
        if not ranked:
            raise InvalidRunRequestError(
                f"none of the {len(rows)} parameter sets has a {optimization.metric} meeting the constraints"
            )
        best = ranked[0]
        strategy = strategy_of(request)
        report = backtest(bind(strategy, best["params"]), self._bars(request), options_of(request))
        equity = report.run.equity
        sharpes = np.array([r["sharpe_per_bar"] for r in rows if r["sharpe_per_bar"] is not None], dtype=np.float64)
        guard = deflated_sharpe(np.diff(equity) / equity[:-1], sharpes)
        summary = {
            "objective": optimization.objective,
            "constraints": [str(c) for c in optimization.constraints],
            "evaluated": len(rows),
            "feasible": len(ranked),
            "best_params": best["params"],
            "deflated_sharpe": guard,
        }
        document = {"run_id": run_id, **summary, "ranked": ranked[:TOP_ROWS], "backtest": report.to_dict()}
        self._artefacts.put(keys.report_json, json.dumps(document, indent=1, allow_nan=False).encode())
        self._artefacts.put(keys.report_html, render_html(report).encode())
        metrics = {**report.metrics.model_dump(mode="json"), **summary}
        return self._runs.succeed(run_id, metrics, keys.report_json)

    def _read_lake(self, request: RunRequest) -> dict[str, pd.DataFrame]:
        start = datetime.combine(request.start, time.min, UTC)
        end = datetime.combine(request.end, time.max, UTC)
        data = {}
        for symbol in request.symbols:
            try:
                bars = self._lake.read(SeriesKey(symbol=symbol, timeframe=Timeframe(request.timeframe)), start, end)
            except MarketDataError as exc:
                raise InvalidRunRequestError(f"symbols: {exc}") from exc
            if bars.empty:
                raise InvalidRunRequestError(f"symbols: no {symbol} {request.timeframe} bars in the requested period")
            data[symbol] = bars
        return data

    @staticmethod
    def _param_sets(strategy: Strategy, request: RunRequest) -> list[dict[str, float]]:
        if not dimensions(strategy):
            return [{}]  # nothing to search: one backtest at the defaults
        try:
            return candidates(strategy, optimize_request(request))
        except ValueError as exc:
            raise InvalidRunRequestError(f"sweep: {exc}") from exc

    def _bars(self, request: RunRequest) -> Mapping[str, pd.DataFrame]:
        keys = Keys(request.run_id)
        return {
            symbol: frames.canonical(from_parquet_bytes(self._required(keys.bars(symbol))), DataKind.BARS)
            for symbol in request.symbols
        }

    def _required(self, key: str) -> bytes:
        data = self._artefacts.get(key)
        if data is None:
            raise IncompleteSweepError(f"{key} is missing: the load step did not finish")
        return data
