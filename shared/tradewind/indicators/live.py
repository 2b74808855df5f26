"""Live indicators: as each bar closes, the latest value of a set of indicators, O(1) a bar.

TA-Lib functions run on TA-Lib 0.8's stream handles (`stream.<FN>`,
opened on the history, then `.update(bar)`), which give bit-for-bit the value
the batch function gives on the whole history. Until a handle can open (fewer
bars than its lookback) the engine reports the batch value over what it has.
Tradewind's own indicators update from their small running state.

The exception: SAR and SAREXT run on `tradewind.indicators.parabolic`, the
same recurrence in Python (bit-identical to TA-Lib's), whose state a snapshot
can carry, since a handle reopened on kept bars starts their state machine over.

`snapshot()` turns the engine into bytes for DynamoDB (an item holds 400 KB,
so the engine refuses, when built, a set of indicators whose kept window would
not fit); `LiveEngine.restore(bytes)` continues as if never stopped, using the
kept bars and the carried values (and, for SAR / SAREXT, the carried state)
described in `tradewind.indicators.memory`.
"""

from __future__ import annotations

import json
import logging
import math
import struct
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradewind.indicators import catalog, parabolic
from tradewind.indicators._talib import stream, talib
from tradewind.indicators.errors import IndicatorError
from tradewind.indicators.memory import Restore, restore_strategy, window_length
from tradewind.indicators.spec import Engine, IndicatorSpec
from tradewind.indicators.window import TIME, BarWindow
from tradewind.marketdata.models import Bar

logger = logging.getLogger(__name__)

MAX_SNAPSHOT_BYTES = 380_000  # below DynamoDB's 400 KB item limit, leaving room for keys
_MAGIC = b"TWLE"
_HEADER = struct.Struct("<4sI")
_RESYNC_TOLERANCE = 1e-9
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class IndicatorRequest(BaseModel):
    """One indicator of a strategy: catalog name, parameters, optional input re-routing and label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=32)
    params: dict[str, float | int] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    label: str | None = Field(default=None, max_length=64)

    @property
    def key(self) -> str:
        if self.label:
            return self.label
        args = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.name.upper()}({args})"


class _Carry(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")

    opened: bool = False
    last: list[float] = Field(default_factory=list)
    cum_volume: float = 0.0
    extra: dict[str, Any] | None = None


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")

    format: Literal[1] = 1
    requests: list[IndicatorRequest]
    rows: int = Field(ge=0)
    bars_seen: int = Field(ge=0)
    carries: list[_Carry]


class _TalibLive:
    """One TA-Lib function on a stream handle, with the carry a restore may need."""

    def __init__(self, spec: IndicatorSpec, params: dict[str, float | int], columns: list[str]) -> None:
        self.spec, self.params, self.columns = spec, params, columns
        self.output_names = spec.output_names
        self.strategy = restore_strategy(spec)
        if self.strategy is Restore.STATE:
            self.factory: Any = partial(parabolic.open_stream, spec.name)
        else:
            self.factory = getattr(stream, spec.name)
        self.handle: Any = None
        self.scale: tuple[float, ...] | None = None
        self.offset: tuple[float, ...] | None = None
        self.cum_volume = 0.0
        self.last: tuple[float, ...] = ()

    def update(self, row: Mapping[str, float], window: BarWindow) -> tuple[float, ...]:
        if self.strategy is Restore.VWAP_SEED:
            self.cum_volume += row[self.columns[3]]  # VWAP's inputs: high, low, close, volume
        if self.handle is None:
            values = self._warm_up(window)
        else:
            raw = self.handle.update(*[row[c] for c in self.columns])
            values = (float(raw),) if type(raw) is not tuple else tuple(map(float, raw))
            if self.scale is not None or self.offset is not None:
                values = self._adjust(values)
        self.last = values
        return values

    def _warm_up(self, window: BarWindow) -> tuple[float, ...]:
        arrays = [window[c] for c in self.columns]
        try:
            self.handle = self.factory(*arrays, **self.params)
        except (talib.InsufficientHistory, parabolic.TooFewBars):
            routed = {i.name: c for i, c in zip(self.spec.inputs, self.columns, strict=True)}
            named = catalog.compute(self.spec.name, dict(zip(self.columns, arrays, strict=True)), self.params, routed)
            return tuple(float(named[o][-1]) for o in self.output_names)
        return _as_tuple(self.handle.value)

    def _adjust(self, values: tuple[float, ...]) -> tuple[float, ...]:
        if self.scale is not None:
            values = tuple(v * s for v, s in zip(values, self.scale, strict=True))
        if self.offset is not None:
            values = tuple(v + o for v, o in zip(values, self.offset, strict=True))
        return values

    def carry(self) -> dict[str, Any]:
        carry = {"opened": self.handle is not None, "last": self.last, "cum_volume": self.cum_volume}
        if self.strategy is Restore.STATE and self.handle is not None:
            carry["extra"] = self.handle.state()
        return carry

    def resume(self, carry: _Carry, window: BarWindow) -> None:
        self.cum_volume, self.last = carry.cum_volume, tuple(carry.last)
        if not carry.opened:
            return
        if self.strategy is Restore.STATE:
            settings = parabolic.Settings.of(self.spec.name, self.params)
            value = carry.last[0] if carry.last else math.nan
            try:
                self.handle = parabolic.Parabolic.from_state(settings, carry.extra or {}, value)
            except (ValueError, KeyError, TypeError):
                raise IndicatorError(f"snapshot holds no valid {self.spec.name} state") from None
            return
        if self.strategy is Restore.VWAP_SEED and carry.cum_volume > 0:
            seed = np.array([carry.last[0]])
            self.handle = self.factory(seed, seed, seed, np.array([carry.cum_volume]))
            return
        self.handle = self.factory(*[window[c] for c in self.columns], **self.params)
        reopened = _as_tuple(self.handle.value)
        if self.strategy is Restore.OFFSET:
            self.offset = tuple(t - r for t, r in zip(self.last, reopened, strict=True))
        elif self.strategy is Restore.SCALE:
            self.scale = tuple(t / r if r != 0 else 1.0 for t, r in zip(self.last, reopened, strict=True))
        elif not all(_close(t, r) for t, r in zip(self.last, reopened, strict=True)):
            logger.warning(
                "%s restored %s, was %s: it resynchronises on a later bar", self.spec.name, reopened, self.last
            )


class _ExtraLive:
    """One Tradewind indicator: its own live form over the engine's window."""

    def __init__(self, spec: IndicatorSpec, params: dict[str, float | int], columns: list[str]) -> None:
        self.spec, self.params, self.columns = spec, params, columns
        self.output_names = spec.output_names
        self.extra = catalog.EXTRAS[spec.name]
        self.live: Any = None
        self.last: tuple[float, ...] = ()

    def bind(self, window: BarWindow, state: dict[str, Any] | None) -> None:
        named = _RenamedWindow(window, {i.name: c for i, c in zip(self.spec.inputs, self.columns, strict=True)})
        self.live = self.extra.live(self.params, state, named)

    def update(self, row: Mapping[str, float], window: BarWindow) -> tuple[float, ...]:
        renamed = {i.name: row[c] for i, c in zip(self.spec.inputs, self.columns, strict=True)}
        self.last = self.live.update(renamed)
        return self.last

    def carry(self) -> dict[str, Any]:
        return {"opened": True, "last": self.last, "extra": self.live.state()}


class _RenamedWindow(Mapping[str, npt.NDArray[Any]]):
    """The window seen through an indicator's input names (e.g. `high` fed from `open`)."""

    def __init__(self, window: BarWindow, names: dict[str, str]) -> None:
        self._window, self._names = window, names

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self._window[self._names[name]]

    def __iter__(self) -> Any:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class LiveEngine:
    def __init__(self, requests: Sequence[IndicatorRequest]) -> None:
        if not requests:
            raise IndicatorError("a live engine needs at least one indicator")
        self.requests = list(requests)
        self._keys = [r.key for r in self.requests]
        if len(set(self._keys)) != len(self._keys):
            raise IndicatorError("two indicators have the same label; give them distinct labels")
        self._requests_json = json.dumps([r.model_dump(exclude_defaults=True) for r in self.requests])
        self._items: list[_TalibLive | _ExtraLive] = []
        columns: set[str] = {TIME}
        keep = 1
        for request in self.requests:
            spec = catalog.get(request.name)
            params = catalog.resolve_params(spec, request.params)
            sources = catalog.input_sources(spec, request.sources)
            columns.update(sources)
            keep = max(keep, window_length(spec, params))
            item_type = _ExtraLive if spec.engine is Engine.TRADEWIND else _TalibLive
            self._items.append(item_type(spec, params, sources))
        self.columns = sorted(columns)
        size = keep * 8 * len(self.columns)
        if size > MAX_SNAPSHOT_BYTES:
            raise IndicatorError(
                f"these indicators need {keep} bars of state ({size // 1000} KB), more than a DynamoDB item holds; "
                "use shorter periods or split the strategy"
            )
        self.window = BarWindow(self.columns, keep)
        self.bars_seen = 0
        for item in self._items:
            if isinstance(item, _ExtraLive):
                item.bind(self.window, None)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def update(self, row: Mapping[str, float]) -> dict[str, dict[str, float]]:
        """Take one closed bar (`time` in UTC ns plus the input columns); return every indicator's outputs."""
        try:
            values = {c: row[c] for c in self.columns}
        except KeyError as exc:
            raise IndicatorError(f"the bar has no {exc.args[0]!r} value") from None
        if not all(map(math.isfinite, values.values())):
            raise IndicatorError("bar values must be finite")
        self.window.append(values)
        self.bars_seen += 1
        return {
            key: dict(zip(item.output_names, item.update(values, self.window), strict=True))
            for key, item in zip(self._keys, self._items, strict=True)
        }

    def snapshot(self) -> bytes:
        """The engine as bytes; written with json (fast, NaN-aware) and read back through `_Header`."""
        carries = json.dumps([item.carry() for item in self._items], separators=(",", ":"))
        header = (
            f'{{"format":1,"requests":{self._requests_json},"rows":{self.window.rows},'
            f'"bars_seen":{self.bars_seen},"carries":{carries}}}'
        ).encode()
        return _HEADER.pack(_MAGIC, len(header)) + header + self.window.to_bytes()

    @classmethod
    def restore(cls, data: bytes) -> LiveEngine:
        if len(data) < _HEADER.size:
            raise IndicatorError("not a live-engine snapshot")
        magic, length = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise IndicatorError("not a live-engine snapshot")
        try:
            header = _Header.model_validate_json(data[_HEADER.size : _HEADER.size + length])
        except ValidationError as exc:
            raise IndicatorError(f"snapshot header is invalid: {exc.error_count()} error(s)") from None
        engine = cls(header.requests)
        if len(header.carries) != len(engine._items):
            raise IndicatorError("snapshot does not match its indicators")
        try:
            engine.window.load(data[_HEADER.size + length :], header.rows)
        except ValueError as exc:
            raise IndicatorError(str(exc)) from None
        engine.bars_seen = header.bars_seen
        for item, carry in zip(engine._items, header.carries, strict=True):
            if isinstance(item, _ExtraLive):
                item.bind(engine.window, carry.extra)
                item.last = tuple(carry.last)
            else:
                try:
                    item.resume(carry, engine.window)
                except (talib.InsufficientHistory, parabolic.TooFewBars):
                    raise IndicatorError("snapshot does not hold the bars its indicators need") from None
        return engine


def bar_row(bar: Bar) -> dict[str, float]:
    """A closed `Bar` as the row `LiveEngine.update` takes (`time` in UTC nanoseconds)."""
    return {
        "time": (bar.time - _EPOCH) // timedelta(microseconds=1) * 1_000,
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
    }


def _as_tuple(value: Any) -> tuple[float, ...]:
    if type(value) is tuple:
        return tuple(map(float, value))
    return (float(value),)


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= _RESYNC_TOLERANCE * max(1.0, abs(a))
