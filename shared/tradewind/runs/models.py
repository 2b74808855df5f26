"""A request to run a strategy, and the run's record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RunKind = Literal["backtest"]
RunStatus = Literal["accepted", "running", "succeeded", "failed"]
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")


class InvalidRunRequestError(ValueError):
    """The request cannot be run as given. Its class name is what the workflow's Catch sees."""


class RunConflictError(Exception):
    """A run id was reused for a different request."""


class Sweep(BaseModel):
    """How the strategy's parameter ranges are searched; metric names are checked by the optimizer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["grid", "random"] = "grid"
    samples: int = Field(default=100, ge=1, le=1_000_000)
    seed: int = 1
    objective: str = "sharpe"
    constraints: tuple[str, ...] = ()
    # Parameter sets per Lambda invocation: each chunk aligns bars and computes indicators once.
    chunk_size: int = Field(default=50, ge=1, le=10_000)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,80}$")
    kind: RunKind = "backtest"
    strategy_id: str = Field(min_length=1, max_length=120)
    # The strategy document itself: a run is reproducible from its record alone.
    strategy: dict[str, Any] | None = None
    symbols: tuple[str, ...] = Field(min_length=1, max_length=100)
    timeframe: Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M"]
    start: date
    end: date
    cash: Decimal = Field(default=Decimal(10_000), gt=0, le=Decimal("1e12"), decimal_places=2)
    sweep: Sweep = Sweep()

    @model_validator(mode="after")
    def _period(self) -> RunRequest:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RunRecord(BaseModel):
    request: RunRequest
    status: RunStatus
    created_at: datetime
    updated_at: datetime | None = None
    # Headline metrics of the winning parameter set plus the overfitting guard.
    metrics: dict[str, Any] | None = None
    report_key: str | None = None
    error: str | None = None
