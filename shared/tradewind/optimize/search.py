"""Grid and random search over a strategy's ranges, ranked by an objective under constraints.

Parameter sets are cut into chunks and run by `run_chunk` in a process pool
(all cores by default); results come back in parameter order, so a search is
deterministic whatever the number of workers. The best set is reported with
the deflated Sharpe ratio of the whole search as the overfitting guard.
"""

from __future__ import annotations

import itertools
import math
import operator
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.backtest.engine import BacktestOptions, prepare, simulate_strategy
from tradewind.backtest.metrics import Metrics
from tradewind.optimize.chunk import Row, run_chunk
from tradewind.optimize.overfitting import deflated_sharpe
from tradewind.optimize.space import bind, dimensions
from tradewind.strategy.model import Strategy

Progress = Callable[[int, int], None]
MAX_COMBINATIONS = 1_000_000
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_CONSTRAINT = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|==|>|<)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$")
_NUMERIC = {name for name, f in Metrics.model_fields.items() if f.annotation in (float, int, float | None, int | None)}


class SearchMethod(StrEnum):
    GRID = "grid"
    RANDOM = "random"


class Constraint(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        match = _CONSTRAINT.match(text)
        if match is None:
            raise ValueError(f"constraint {text!r}: write METRIC OP NUMBER, e.g. trades>=30")
        if match.group(1) not in _NUMERIC:
            raise ValueError(f"constraint {text!r}: unknown metric {match.group(1)!r}")
        return cls(metric=match.group(1), op=match.group(2), value=float(match.group(3)))

    def holds(self, row: Row) -> bool:
        value = row.get(self.metric)
        return value is not None and _OPERATORS[self.op](value, self.value)

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


class OptimizeRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: SearchMethod = SearchMethod.GRID
    samples: int = Field(default=100, ge=1, le=MAX_COMBINATIONS)
    seed: int = 1
    objective: str = Field(
        default="sharpe", description="metric to maximise; prefix '-' to minimise (-max_drawdown_pct)"
    )
    constraints: tuple[Constraint, ...] = ()
    workers: int | None = Field(default=None, ge=1, le=256)
    chunk_size: int | None = Field(default=None, ge=1, description="sets per task; default: 4 tasks per worker")

    @field_validator("objective")
    @classmethod
    def _known(cls, value: str) -> str:
        if value.removeprefix("-") not in _NUMERIC:
            raise ValueError(
                f"unknown objective {value!r} (have: {', '.join(sorted(_NUMERIC))}, each with - to minimise)"
            )
        return value

    @property
    def metric(self) -> str:
        return self.objective.removeprefix("-")

    def score(self, row: Row) -> float:
        """Higher is better, whichever the direction of the objective."""
        value = float(row[self.metric])
        return -value if self.objective.startswith("-") else value


class Optimization(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: SearchMethod
    objective: str
    constraints: tuple[str, ...]
    dimensions: dict[str, list[float]]
    evaluated: int
    feasible: int
    best: Row | None
    deflated_sharpe: float | None
    ranked: list[Row]

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["ranked"] = data["ranked"][:top]
        return data


def candidates(strategy: Strategy, request: OptimizeRequest) -> list[dict[str, float]]:
    dims = dimensions(strategy)
    if not dims:
        raise ValueError(f"strategy {strategy.name!r} declares no parameter ranges to optimize")
    total = math.prod(len(d.values) for d in dims)
    if request.method is SearchMethod.GRID:
        if total > MAX_COMBINATIONS:
            raise ValueError(f"the grid has {total:,} combinations (limit {MAX_COMBINATIONS:,}): use --method random")
        return [
            dict(zip((d.path for d in dims), combo, strict=True))
            for combo in itertools.product(*(d.values for d in dims))
        ]
    rng = np.random.default_rng(request.seed)
    count = min(request.samples, total)
    if total <= 10 * MAX_COMBINATIONS:  # sample grid positions without repeats
        indices = [np.unravel_index(flat, [len(d.values) for d in dims]) for flat in rng.choice(total, count, False)]
    else:  # too many to enumerate: draw each dimension, skipping the rare repeat
        drawn: dict[tuple[int, ...], None] = {}
        while len(drawn) < count:
            drawn.setdefault(tuple(int(rng.integers(0, len(d.values))) for d in dims))
        indices = list(drawn)
    return [{d.path: d.values[int(k)] for d, k in zip(dims, index, strict=True)} for index in indices]


def evaluate_all(
    strategy: Strategy,
    data: Mapping[str, pd.DataFrame],
    options: BacktestOptions,
    param_sets: Sequence[dict[str, float]],
    request: OptimizeRequest,
    *,
    progress: Progress,
) -> list[Row]:
    # Each task aligns the bars and computes its indicators once: few large tasks beat many small ones,
    # while four per worker keep the progress bar moving and the load balanced.
    workers = request.workers or os.cpu_count() or 1
    size = request.chunk_size or max(1, -(-len(param_sets) // (4 * workers)))
    chunks = [param_sets[i : i + size] for i in range(0, len(param_sets), size)]
    workers = min(workers, len(chunks))
    rows: list[Row] = []
    progress(0, len(param_sets))
    if workers <= 1:
        for chunk in chunks:
            rows.extend(run_chunk(strategy, data, chunk, options))
            progress(len(rows), len(param_sets))
        return rows
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(run_chunk, *zip(*((strategy, data, c, options) for c in chunks), strict=True)):
            rows.extend(result)
            progress(len(rows), len(param_sets))
    return rows


def rank(rows: list[Row], request: OptimizeRequest) -> list[Row]:
    feasible = [r for r in rows if r.get(request.metric) is not None and all(c.holds(r) for c in request.constraints)]
    return sorted(feasible, key=lambda r: -request.score(r))


def optimize(
    strategy: Strategy,
    data: Mapping[str, pd.DataFrame],
    options: BacktestOptions,
    request: OptimizeRequest,
    *,
    progress: Progress = lambda done, total: None,
) -> Optimization:
    param_sets = candidates(strategy, request)
    rows = evaluate_all(strategy, data, options, param_sets, request, progress=progress)
    ranked = rank(rows, request)
    guard = None
    if ranked:
        best_run = simulate_strategy(bind(strategy, ranked[0]["params"]), prepare(data), options)
        equity = best_run.equity
        sharpes = np.array([r["sharpe_per_bar"] for r in rows if r["sharpe_per_bar"] is not None], dtype=np.float64)
        guard = deflated_sharpe(np.diff(equity) / equity[:-1], sharpes)
    return Optimization(
        method=request.method,
        objective=request.objective,
        constraints=tuple(str(c) for c in request.constraints),
        dimensions={d.path: list(d.values) for d in dimensions(strategy)},
        evaluated=len(rows),
        feasible=len(ranked),
        best=ranked[0] if ranked else None,
        deflated_sharpe=guard,
        ranked=ranked,
    )
