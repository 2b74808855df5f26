"""Ichimoku Kinko Hyo, on TA-Lib's MIDPRICE ((highest high + lowest low) / 2).

Outputs are causal, so a strategy can never read the future: `senkou_a` and
`senkou_b` at bar t are the cloud plotted at t, i.e. computed `displacement`
bars earlier; `chikou` is the close, which charts draw `displacement` bars back
(libraries that shift it into the past array position leak future data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.indicators._talib import talib
from tradewind.indicators.extras.base import Arrays, Params
from tradewind.indicators.spec import Engine, IndicatorSpec, InputSpec, OutputSpec, ParameterSpec, ParameterType

OUTPUTS = ("tenkan", "kijun", "senkou_a", "senkou_b", "chikou")


def _period(name: str, display: str, default: int) -> ParameterSpec:
    return ParameterSpec(
        name=name,
        display_name=display,
        help=display,
        type=ParameterType.INT,
        default=default,
        minimum=2,
        maximum=100000,
    )


SPEC = IndicatorSpec(
    name="ICHIMOKU",
    group="Overlap Studies",
    display_name="Ichimoku Kinko Hyo",
    engine=Engine.TRADEWIND,
    inputs=tuple(InputSpec(name=n, default_source=n) for n in ("high", "low", "close")),
    parameters=(
        _period("tenkan", "Conversion line period", 9),
        _period("kijun", "Base line period", 26),
        _period("senkou", "Leading span B period", 52),
        ParameterSpec(
            name="displacement",
            display_name="Displacement",
            help="Bars the cloud is shifted forward",
            type=ParameterType.INT,
            default=26,
            minimum=0,
            maximum=100000,
        ),
    ),
    outputs=tuple(OutputSpec(name=n, flags=("Line",)) for n in OUTPUTS),
    flags=("Output scale same as input",),
    output_convention="cloud values are those plotted at the bar (computed displacement bars earlier)",
)


def _shift(values: npt.NDArray[Any], bars: int) -> npt.NDArray[Any]:
    if bars == 0:
        return values
    out = np.full_like(values, np.nan)
    out[bars:] = values[:-bars]
    return out


class _Live:
    def __init__(self, extra: Ichimoku, params: Params, window: Arrays) -> None:
        self._extra, self._params = extra, params
        self._window = window

    def update(self, row: Mapping[str, float]) -> tuple[float, ...]:
        size = self._extra.window(self._params)
        data = {k: self._window[k][-size:] for k in ("high", "low", "close")}
        out = self._extra.compute(data, self._params)
        return tuple(float(out[name][-1]) for name in OUTPUTS)

    def state(self) -> dict[str, Any]:
        return {}


class Ichimoku:
    spec = SPEC

    def compute(self, data: Arrays, params: Params) -> dict[str, npt.NDArray[Any]]:
        high, low, close = data["high"], data["low"], data["close"]
        displacement = int(params["displacement"])
        tenkan = talib.MIDPRICE(high, low, timeperiod=int(params["tenkan"]))
        kijun = talib.MIDPRICE(high, low, timeperiod=int(params["kijun"]))
        span_b = talib.MIDPRICE(high, low, timeperiod=int(params["senkou"]))
        return {
            "tenkan": tenkan,
            "kijun": kijun,
            "senkou_a": _shift((tenkan + kijun) / 2.0, displacement),
            "senkou_b": _shift(span_b, displacement),
            "chikou": close.astype("float64", copy=True),
        }

    def window(self, params: Params) -> int:
        return max(int(params["tenkan"]), int(params["kijun"]), int(params["senkou"])) + int(params["displacement"])

    def live(self, params: Params, state: dict[str, Any] | None, window: Arrays) -> _Live:
        return _Live(self, params, window)
