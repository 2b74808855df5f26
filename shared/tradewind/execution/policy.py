"""The order execution policy of a strategy: how signals become orders, sizes and exits.

These models are part of the strategy document. They are interpreted by one
compiled bar loop (`tradewind.execution.kernel`) for backtests, paper and live
trading alike, so what a backtest shows is what the live path would do.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.strategy.conditions import Reference
from tradewind.strategy.ranges import Tunable


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FillTiming(StrEnum):
    """When a market order decided on a bar's close fills: the next bar's open, or that close."""

    NEXT_OPEN = "next_open"
    CLOSE = "close"


class EntryType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class SizeMode(StrEnum):
    ALL_IN = "all_in"
    FIXED_QUANTITY = "fixed_quantity"
    FIXED_CASH = "fixed_cash"
    PERCENT_EQUITY = "percent_equity"
    RISK_PERCENT = "risk_percent"


class EntryPolicy(_Model):
    """Limit entries sit `offset_pct` below the reference (above for shorts); stop entries beyond it."""

    type: EntryType = EntryType.MARKET
    offset_pct: Tunable = Field(default=0.0)
    reference: Reference = Field(default="close", description="price column or indicator output to offset from")
    expiry_bars: int = Field(default=1, ge=1, le=10_000, description="bars an unfilled entry order stays working")


class Ladder(_Model):
    """A scale-in ladder: `count` orders, each `spacing_pct` further from the reference than the last."""

    count: int = Field(default=1, ge=1, le=10)
    spacing_pct: Tunable = Field(default=1.0)
    split: tuple[Annotated[float, Field(gt=0)], ...] | None = Field(
        default=None, description="relative size of each order; equal when omitted"
    )

    @model_validator(mode="after")
    def _split_matches(self) -> Ladder:
        if self.split is not None and len(self.split) != self.count:
            raise ValueError(f"split has {len(self.split)} weights for {self.count} orders")
        return self

    def weights(self) -> tuple[float, ...]:
        raw = self.split or (1.0,) * self.count
        total = sum(raw)
        return tuple(w / total for w in raw)


class Sizing(_Model):
    """`value` is a quantity, a cash amount or a percent, by `mode` (unused for all_in)."""

    mode: SizeMode = SizeMode.ALL_IN
    value: Tunable = Field(default=100.0)


class AtrSpec(_Model):
    period: int = Field(default=14, ge=1, le=1000)
    multiple: Tunable = Field(default=2.0)


class StopLoss(_Model):
    """Exactly one of: a percent from the fill price, an ATR multiple from it, or an indicator level."""

    percent: Tunable | None = None
    atr: AtrSpec | None = None
    indicator: Reference | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StopLoss:
        if sum(x is not None for x in (self.percent, self.atr, self.indicator)) != 1:
            raise ValueError("give exactly one of percent, atr, indicator")
        return self


class TakeProfit(_Model):
    percent: Tunable
    close_fraction: float = Field(default=1.0, gt=0, le=1, description="share of the position closed at this level")


class TrailingStop(_Model):
    percent: Tunable | None = None
    atr: AtrSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TrailingStop:
        if (self.percent is None) == (self.atr is None):
            raise ValueError("give exactly one of percent, atr")
        return self


class Exits(_Model):
    stop_loss: StopLoss | None = None
    take_profit: tuple[TakeProfit, ...] = Field(default=(), max_length=5)
    trailing_stop: TrailingStop | None = None
    breakeven_trigger_pct: Tunable | None = Field(
        default=None, description="move the stop to the entry price once the trade is this far in profit"
    )
    time_exit_bars: int | None = Field(default=None, ge=1, description="close after this many bars in the trade")


class ExecutionPolicy(_Model):
    fill: FillTiming = FillTiming.NEXT_OPEN
    entry: EntryPolicy = EntryPolicy()
    orders: Ladder = Ladder()
    size: Sizing = Sizing()
    exits: Exits = Exits()

    @model_validator(mode="after")
    def _risk_needs_stop(self) -> ExecutionPolicy:
        if self.size.mode is SizeMode.RISK_PERCENT and self.exits.stop_loss is None:
            raise ValueError("risk_percent sizing needs exits.stop_loss to measure the risk")
        return self


class RiskLimits(_Model):
    max_open_positions: int | None = Field(default=None, ge=1)
    max_exposure_pct: float | None = Field(default=None, gt=0, description="gross position value / equity, percent")
    daily_loss_limit_pct: float | None = Field(default=None, gt=0, lt=100)
    max_drawdown_pct: float | None = Field(default=None, gt=0, lt=100, description="kill switch: flatten and stop")
