"""Checking a run's strategy document: kept out of `service` so functions without numpy can record runs."""

from __future__ import annotations

from typing import Any

from tradewind.runs.models import InvalidRunRequestError, RunRecord, RunRequest
from tradewind.runs.service import RunService
from tradewind.strategy.model import Strategy
from tradewind.strategy.validation import StrategyInvalid, parse_strategy


def strategy_of(request: RunRequest) -> Strategy:
    """The run's strategy on the request's timeframe, or InvalidRunRequestError listing every problem."""
    document = request.strategy
    if document is None:
        raise InvalidRunRequestError("strategy: the strategy document is required to run a backtest")
    universe = document.get("universe")
    if isinstance(universe, dict):
        document = {**document, "universe": {**universe, "timeframe": request.timeframe}}
    try:
        return parse_strategy(document)
    except StrategyInvalid as exc:
        raise InvalidRunRequestError(f"strategy: {exc}") from exc


def validate_run(runs: RunService, payload: dict[str, Any]) -> RunRecord:
    """Accept (record) the run, then check its strategy: a bad strategy leaves a run to mark failed."""
    record = runs.accept(payload)
    strategy_of(record.request)
    return record
