"""The strategy document: universe, indicators, entry/exit rules, execution policy and risk limits.

The document is data, not code, so admins build it in a form and the same file
drives backtests, optimization, paper and live trading. Structural rules are
checked here by pydantic; references between parts (indicator names, outputs,
parameters, timeframes) by `tradewind.strategy.validation`, which reports every
problem at once with its path.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.execution.policy import ExecutionPolicy, RiskLimits
from tradewind.marketdata.models import Symbol
from tradewind.marketdata.timeframe import Timeframe
from tradewind.strategy.conditions import Condition
from tradewind.strategy.ranges import Tunable

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
SHORTHAND_PATTERN = r"^\s*([A-Z][A-Z0-9_]*)\s*(?:\((.*)\))?\s*$"
_SHORTHAND = re.compile(SHORTHAND_PATTERN)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Direction(StrEnum):
    LONG = "long"
    SHORT = "short"
    BOTH = "both"


class Universe(_Model):
    symbols: tuple[Symbol, ...] = Field(min_length=1, max_length=100)
    timeframe: Timeframe = Timeframe.D1
    higher_timeframes: tuple[Timeframe, ...] = Field(default=(), description="timeframes conditions refer to with @")
    broker: str = Field(default="paper", description="broker profile: commissions, slippage, share granularity")
    fractional_symbols: tuple[Symbol, ...] = Field(
        default=(), description="symbols traded in fractional units whatever the broker's default (e.g. crypto)"
    )
    direction: Direction = Direction.LONG

    @model_validator(mode="after")
    def _higher(self) -> Universe:
        stray = sorted(set(self.fractional_symbols) - set(self.symbols))
        if stray:
            raise ValueError(f"fractional_symbols not in symbols: {', '.join(stray)}")
        for tf in self.higher_timeframes:
            if tf.nominal_seconds <= self.timeframe.nominal_seconds:
                raise ValueError(f"higher timeframe {tf} is not above {self.timeframe}")
            if not self.timeframe.can_resample_to(tf):
                raise ValueError(f"{self.timeframe} bars cannot be resampled to {tf}")
        return self


class Indicator(_Model):
    """An instance of a catalog entry. Also written as a string: `"STOCH(14, 3, 3)"`, `"RSI(timeperiod=14)"`."""

    function: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="catalog name, e.g. RSI, STOCH, CDLENGULFING")
    params: dict[str, Tunable] = Field(default_factory=dict, description="by parameter name; missing ones default")
    args: tuple[Tunable, ...] = Field(default=(), description="parameters by position, in catalog order")
    inputs: dict[str, str] = Field(
        default_factory=dict, description="input name -> price column, e.g. {'real': 'high'}; defaults per catalog"
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _SHORTHAND.match(value)
        if match is None:
            raise ValueError(f"cannot read indicator {value!r}: write NAME or NAME(arg, name=value, ...)")
        args: list[float] = []
        params: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in (match.group(2) or "").split(","))):
            key, sep, raw = part.partition("=")
            try:
                number = float((raw if sep else key).strip())
            except ValueError:
                raise ValueError(f"indicator argument {part!r} is not a number") from None
            if sep:
                params[key.strip()] = number
            elif params:
                raise ValueError("positional arguments must come before named ones")
            else:
                args.append(number)
        return {"function": match.group(1), "args": args, "params": params}


class Rules(_Model):
    entry: Condition
    exit: Condition | None = None


class Strategy(_Model):
    schema_version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=80)
    version: int = Field(default=1, ge=1, description="bumped on every saved change")
    description: str = Field(default="", max_length=2000)
    universe: Universe
    indicators: dict[Annotated[str, Field(pattern=NAME_PATTERN)], Indicator] = Field(default_factory=dict)
    long: Rules | None = None
    short: Rules | None = None
    execution: ExecutionPolicy = ExecutionPolicy()
    risk: RiskLimits = RiskLimits()

    @model_validator(mode="after")
    def _rules_for_direction(self) -> Strategy:
        wants_long = self.universe.direction in (Direction.LONG, Direction.BOTH)
        wants_short = self.universe.direction in (Direction.SHORT, Direction.BOTH)
        if wants_long and self.long is None:
            raise ValueError(f"direction {self.universe.direction} needs `long` rules")
        if wants_short and self.short is None:
            raise ValueError(f"direction {self.universe.direction} needs `short` rules")
        clash = sorted(set(self.indicators) & set(PRICE_COLUMNS))
        if clash:
            raise ValueError(f"indicator names may not be price columns: {', '.join(clash)}")
        return self
