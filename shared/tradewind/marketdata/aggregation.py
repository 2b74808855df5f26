"""Live tick -> bar aggregation that survives real feeds.

Feeds repeat ticks, deliver them out of order and sometimes very late. A bar
[open, end) stays open until the newest tick time seen (the watermark) passes
`end + tolerance`; until then ticks for it, in any order, are merged by their
own timestamps (open = earliest tick, close = latest). Afterwards the bar is
closed and emitted once: a tick that still belongs to it is late, is counted
and logged, and is never merged into the emitted bar. Duplicates (same trade
id, or same time, price and size when the feed has no ids) count once.

The whole state is a pydantic model, so a Lambda can keep it in DynamoDB
between batches and resume exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from tradewind.marketdata.models import Bar, Symbol, Tick, UtcDatetime
from tradewind.marketdata.timeframe import Timeframe

logger = logging.getLogger(__name__)


class _OpenBar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    open_time: UtcDatetime
    first_time: UtcDatetime
    last_time: UtcDatetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    seen: set[tuple[str, ...]] = Field(default_factory=set)

    def add(self, tick: Tick) -> None:
        if tick.time < self.first_time:
            self.first_time, self.open = tick.time, tick.price
        if tick.time >= self.last_time:
            self.last_time, self.close = tick.time, tick.price
        self.high = max(self.high, tick.price)
        self.low = min(self.low, tick.price)
        self.volume += tick.size
        self.seen.add(tick.identity)


class AggregatorState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: Symbol
    timeframe: Timeframe
    tolerance: timedelta = Field(default=timedelta(0), ge=timedelta(0))
    watermark: UtcDatetime | None = None
    # Every bar opening before this time is closed; a tick for one of them is late.
    closed_until: UtcDatetime | None = None
    open_bars: list[_OpenBar] = Field(default_factory=list)
    late_ticks: int = 0
    duplicate_ticks: int = 0


class BarAggregator:
    def __init__(self, state: AggregatorState) -> None:
        self.state = state

    @classmethod
    def start(cls, symbol: str, timeframe: Timeframe, tolerance: timedelta = timedelta(0)) -> BarAggregator:
        return cls(AggregatorState(symbol=symbol, timeframe=timeframe, tolerance=tolerance))

    def add(self, tick: Tick) -> list[Bar]:
        """Take one tick; return the bars it closed, oldest first."""
        state = self.state
        if tick.symbol != state.symbol:
            raise ValueError(f"tick for {tick.symbol} given to the {state.symbol} aggregator")
        open_time = state.timeframe.floor(tick.time)
        if state.closed_until is not None and open_time < state.closed_until:
            state.late_ticks += 1
            logger.warning(
                "late tick dropped: %s %s at %s belongs to the closed %s bar opening %s",
                tick.symbol,
                tick.price,
                tick.time.isoformat(),
                state.timeframe,
                open_time.isoformat(),
            )
            return []
        bar = next((b for b in state.open_bars if b.open_time == open_time), None)
        if bar is None:
            bar = _OpenBar(
                open_time=open_time,
                first_time=tick.time,
                last_time=tick.time,
                open=tick.price,
                high=tick.price,
                low=tick.price,
                close=tick.price,
                volume=0.0,
            )
            state.open_bars.append(bar)
            state.open_bars.sort(key=lambda b: b.open_time)
        elif tick.identity in bar.seen:
            state.duplicate_ticks += 1
            return []
        bar.add(tick)
        return self.advance(tick.time)

    def advance(self, now: datetime) -> list[Bar]:
        """Move the watermark to `now` (e.g. on a clock tick) and return the bars that closed."""
        state = self.state
        if state.watermark is None or now > state.watermark:
            state.watermark = now
        cutoff = state.timeframe.floor(state.watermark - state.tolerance)
        if state.closed_until is None or cutoff > state.closed_until:
            state.closed_until = cutoff
        return self._emit(lambda b: b.open_time < cutoff)

    def flush(self) -> list[Bar]:
        """Close every open bar (end of session or of a replay)."""
        bars = self._emit(lambda _: True)
        if bars:
            last = self.state.timeframe.next_open(bars[-1].time)
            if self.state.closed_until is None or last > self.state.closed_until:
                self.state.closed_until = last
        return bars

    def _emit(self, closes: Callable[[_OpenBar], bool]) -> list[Bar]:
        state = self.state
        done = [b for b in state.open_bars if closes(b)]
        state.open_bars = [b for b in state.open_bars if not closes(b)]
        return [
            Bar(
                symbol=state.symbol,
                timeframe=state.timeframe,
                time=b.open_time,
                open=b.open,
                high=b.high,
                low=b.low,
                close=b.close,
                volume=b.volume,
            )
            for b in done
        ]
