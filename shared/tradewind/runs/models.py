"""A request to run a strategy, and the run's record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RunKind = Literal["backtest"]
RunStatus = Literal["accepted", "running", "succeeded", "failed"]
TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")


class InvalidRunRequestError(ValueError):
    """The request cannot be run as given. Its class name is what the workflow's Catch sees."""


class RunConflictError(Exception):
    """A run id was reused for a different request."""


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,80}$")
    kind: RunKind = "backtest"
    strategy_id: str = Field(min_length=1, max_length=120)
    symbols: tuple[str, ...] = Field(min_length=1, max_length=100)
    timeframe: Literal["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M"]
    start: date
    end: date

    @model_validator(mode="after")
    def _period(self) -> RunRequest:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RunRecord(BaseModel):
    request: RunRequest
    status: RunStatus
    created_at: datetime
