"""Pivot points (classic, Fibonacci, Camarilla) from the previous session's high, low and close.

Each bar carries the levels of the session it belongs to, computed from the
last completed session before it; bars of the first session have none (NaN).
Classic and Fibonacci define three levels each side, Camarilla four: the
unused R4/S4 outputs are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.indicators.extras.base import Arrays, Params
from tradewind.indicators.extras.sessions import ANCHOR_PARAMETER, session_keys, session_starts
from tradewind.indicators.spec import Engine, IndicatorSpec, InputSpec, OutputSpec, ParameterSpec, ParameterType

CLASSIC, FIBONACCI, CAMARILLA = 0, 1, 2
OUTPUTS = ("pivot", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4")

SPEC = IndicatorSpec(
    name="PIVOTS",
    group="Overlap Studies",
    display_name="Pivot Points",
    engine=Engine.TRADEWIND,
    inputs=tuple(InputSpec(name=n, default_source=n) for n in ("time", "high", "low", "close")),
    parameters=(
        ParameterSpec(
            name="method",
            display_name="Method",
            help="How the levels are derived from the previous session",
            type=ParameterType.CHOICE,
            default=CLASSIC,
            choices={CLASSIC: "classic", FIBONACCI: "Fibonacci", CAMARILLA: "Camarilla"},
        ),
        ANCHOR_PARAMETER,
    ),
    outputs=tuple(OutputSpec(name=n, flags=("Line",)) for n in OUTPUTS),
    flags=("Output scale same as input",),
    output_convention="support/resistance levels of the current session, from the previous session's H, L, C",
)


def levels(high: Any, low: Any, close: Any, method: int) -> tuple[Any, ...]:
    """The nine outputs from a previous session's H, L, C (scalars or arrays alike)."""
    pivot = (high + low + close) / 3.0
    span = high - low
    nan = pivot * np.nan
    if method == FIBONACCI:
        return (pivot, pivot + 0.382 * span, pivot + 0.618 * span, pivot + span, nan,
                pivot - 0.382 * span, pivot - 0.618 * span, pivot - span, nan)  # fmt: skip
    if method == CAMARILLA:
        r = [close + span * 1.1 / d for d in (12.0, 6.0, 4.0, 2.0)]
        s = [close - span * 1.1 / d for d in (12.0, 6.0, 4.0, 2.0)]
        return (pivot, *r, *s)
    return (pivot, 2.0 * pivot - low, pivot + span, high + 2.0 * (pivot - low), nan,
            2.0 * pivot - high, pivot - span, low - 2.0 * (high - pivot), nan)  # fmt: skip


class _Live:
    def __init__(self, method: int, anchor: int, state: dict[str, Any] | None) -> None:
        self._method, self._anchor = method, anchor
        state = state or {}
        self._key: int | None = state.get("key")
        self._current: list[float] | None = state.get("current")
        self._previous: list[float] | None = state.get("previous")

    def update(self, row: Mapping[str, float]) -> tuple[float, ...]:
        key = int(session_keys(np.array([row["time"]]), self._anchor)[0])
        if key != self._key or self._current is None:
            self._key, self._previous = key, self._current
            self._current = [row["high"], row["low"], row["close"]]
        else:
            high, low, _ = self._current
            self._current = [max(high, row["high"]), min(low, row["low"]), row["close"]]
        if self._previous is None:
            return (float("nan"),) * len(OUTPUTS)
        high, low, close = self._previous
        return tuple(float(v) for v in levels(high, low, close, self._method))

    def state(self) -> dict[str, Any]:
        return {"key": self._key, "current": self._current, "previous": self._previous}


class Pivots:
    spec = SPEC

    def compute(self, data: Arrays, params: Params) -> dict[str, npt.NDArray[Any]]:
        high, low, close = data["high"], data["low"], data["close"]
        keys = session_keys(data["time"], int(params["anchor"]))
        starts = session_starts(keys)
        if len(starts) == 0:
            return {name: np.zeros(0) for name in OUTPUTS}
        ends = np.append(starts[1:], len(close))
        session_high = np.maximum.reduceat(high, starts)
        session_low = np.minimum.reduceat(low, starts)
        session_close = close[ends - 1]
        nan = np.array([np.nan])
        # Session k's bars use session k-1's values.
        prev = [np.concatenate((nan, a[:-1])) for a in (session_high, session_low, session_close)]
        per_session = levels(prev[0], prev[1], prev[2], int(params["method"]))
        index = np.repeat(np.arange(len(starts)), ends - starts)
        return {name: np.asarray(values)[index] for name, values in zip(OUTPUTS, per_session, strict=True)}

    def window(self, params: Params) -> int:
        return 1

    def live(self, params: Params, state: dict[str, Any] | None, window: Arrays) -> _Live:
        return _Live(int(params["method"]), int(params["anchor"]), state)
