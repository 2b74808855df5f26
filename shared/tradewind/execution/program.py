"""Turning a strategy's execution policy, risk limits and broker costs into the loop's arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.execution import layout as L
from tradewind.execution.costs import BrokerProfile
from tradewind.execution.policy import EntryType, FillTiming, SizeMode
from tradewind.strategy.model import Direction, Strategy
from tradewind.strategy.ranges import fixed

_ENTRY_TYPES = {EntryType.MARKET: 0.0, EntryType.LIMIT: 1.0, EntryType.STOP: 2.0}
_SIZE_MODES = {
    SizeMode.ALL_IN: 0.0,
    SizeMode.FIXED_QUANTITY: 1.0,
    SizeMode.FIXED_CASH: 2.0,
    SizeMode.PERCENT_EQUITY: 3.0,
    SizeMode.RISK_PERCENT: 4.0,
}
FRACTIONAL_LOT = 1e-6


@dataclass(frozen=True)
class Program:
    params: npt.NDArray[Any]
    weights: npt.NDArray[Any]
    take_profit: npt.NDArray[Any]
    lot: float = 1.0  # the broker's share granularity
    fractional: frozenset[str] = frozenset()  # symbols traded in fractions whatever the broker's default

    def lots(self, symbols: Sequence[str]) -> npt.NDArray[Any]:
        return np.array([FRACTIONAL_LOT if s in self.fractional else self.lot for s in symbols])


def _pct(value: float | None) -> float:
    return 0.0 if value is None else value / 100.0


def compile_policy(strategy: Strategy, broker: BrokerProfile, fill: FillTiming | None = None) -> Program:
    policy = strategy.execution
    exits = policy.exits
    p = np.zeros(L.N_PARAMS)
    p[L.P_FILL_CLOSE] = 1.0 if (fill or policy.fill) is FillTiming.CLOSE else 0.0
    p[L.P_ENTRY_TYPE] = _ENTRY_TYPES[policy.entry.type]
    p[L.P_ENTRY_OFFSET] = _pct(fixed(policy.entry.offset_pct))
    p[L.P_EXPIRY] = policy.entry.expiry_bars
    p[L.P_LADDER] = policy.orders.count
    p[L.P_SPACING] = _pct(fixed(policy.orders.spacing_pct))
    p[L.P_SIZE_MODE] = _SIZE_MODES[policy.size.mode]
    p[L.P_SIZE_VALUE] = fixed(policy.size.value)
    p[L.P_COMM_PCT] = broker.commission.rate
    p[L.P_COMM_SHARE] = broker.commission.per_share
    p[L.P_COMM_ORDER] = broker.commission.per_order
    p[L.P_COMM_MIN] = broker.commission.minimum
    p[L.P_SLIP_FRAC] = broker.slippage.bps / 10_000.0
    p[L.P_SLIP_PRICE] = broker.slippage.ticks * broker.tick_size
    stop = exits.stop_loss
    if stop is not None:
        if stop.percent is not None:
            p[L.P_SL_MODE], p[L.P_SL_VALUE] = 1.0, _pct(fixed(stop.percent))
        else:
            p[L.P_SL_MODE] = 2.0 if stop.atr is not None else 3.0
    trail = exits.trailing_stop
    if trail is not None:
        if trail.percent is not None:
            p[L.P_TRAIL_MODE], p[L.P_TRAIL_VALUE] = 1.0, _pct(fixed(trail.percent))
        else:
            p[L.P_TRAIL_MODE] = 2.0
    if exits.breakeven_trigger_pct is not None:
        p[L.P_BREAKEVEN] = _pct(fixed(exits.breakeven_trigger_pct))
    p[L.P_TIME_BARS] = exits.time_exit_bars or 0
    risk = strategy.risk
    p[L.P_MAX_POSITIONS] = risk.max_open_positions or 0
    p[L.P_MAX_EXPOSURE] = _pct(risk.max_exposure_pct)
    p[L.P_DAILY_LOSS] = _pct(risk.daily_loss_limit_pct)
    p[L.P_MAX_DRAWDOWN] = _pct(risk.max_drawdown_pct)
    direction = strategy.universe.direction
    p[L.P_ALLOW_LONG] = float(direction in (Direction.LONG, Direction.BOTH))
    p[L.P_ALLOW_SHORT] = float(direction in (Direction.SHORT, Direction.BOTH))
    take_profit = np.array(
        [[_pct(fixed(level.percent)), level.close_fraction] for level in exits.take_profit], dtype=np.float64
    ).reshape(-1, 2)
    return Program(
        params=p,
        weights=np.array(policy.orders.weights()),
        take_profit=take_profit,
        lot=FRACTIONAL_LOT if broker.fractional else 1.0,
        fractional=frozenset(strategy.universe.fractional_symbols),
    )
