"""Session-anchored VWAP: cumulative typical price x volume over cumulative volume, reset each session.

TA-Lib's VWAP accumulates from the first bar forever; intraday traders anchor
it to the session. Where a session has traded no volume yet the value is NaN.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.indicators.extras.base import Arrays, Params
from tradewind.indicators.extras.sessions import ANCHOR_PARAMETER, session_keys, session_starts
from tradewind.indicators.spec import Engine, IndicatorSpec, InputSpec, OutputSpec

SPEC = IndicatorSpec(
    name="VWAP_SESSION",
    group="Volume Indicators",
    display_name="Session-anchored Volume Weighted Average Price",
    engine=Engine.TRADEWIND,
    inputs=tuple(InputSpec(name=n, default_source=n) for n in ("time", "high", "low", "close", "volume")),
    parameters=(ANCHOR_PARAMETER,),
    outputs=(OutputSpec(name="vwap", flags=("Line",)),),
    flags=("Output scale same as input", "Output is path-dependent"),
    output_convention="typical price (high+low+close)/3 weighted by volume since the session opened",
)


def _typical(high: Any, low: Any, close: Any) -> Any:
    return (high + low + close) / 3.0


class _Live:
    def __init__(self, anchor: int, state: dict[str, Any] | None) -> None:
        self._anchor = anchor
        state = state or {}
        self._key: int | None = state.get("key")
        self._pv: float = state.get("pv", 0.0)
        self._volume: float = state.get("volume", 0.0)

    def update(self, row: Mapping[str, float]) -> tuple[float, ...]:
        key = int(session_keys(np.array([row["time"]]), self._anchor)[0])
        if key != self._key:
            self._key, self._pv, self._volume = key, 0.0, 0.0
        self._pv += _typical(row["high"], row["low"], row["close"]) * row["volume"]
        self._volume += row["volume"]
        return (self._pv / self._volume if self._volume > 0 else float("nan"),)

    def state(self) -> dict[str, Any]:
        return {"key": self._key, "pv": self._pv, "volume": self._volume}


class SessionVwap:
    spec = SPEC

    def compute(self, data: Arrays, params: Params) -> dict[str, npt.NDArray[Any]]:
        volume = data["volume"]
        pv = _typical(data["high"], data["low"], data["close"]) * volume
        starts = session_starts(session_keys(data["time"], int(params["anchor"])))
        bounds = [*starts.tolist(), len(volume)]
        cum_pv = np.empty_like(pv)
        cum_v = np.empty_like(pv)
        for begin, end in itertools.pairwise(bounds):
            np.cumsum(pv[begin:end], out=cum_pv[begin:end])
            np.cumsum(volume[begin:end], out=cum_v[begin:end])
        with np.errstate(divide="ignore", invalid="ignore"):
            vwap = np.where(cum_v > 0, cum_pv / cum_v, np.nan)
        return {"vwap": vwap}

    def window(self, params: Params) -> int:
        return 1

    def live(self, params: Params, state: dict[str, Any] | None, window: Arrays) -> _Live:
        return _Live(int(params["anchor"]), state)
