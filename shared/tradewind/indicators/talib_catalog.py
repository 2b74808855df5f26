"""Indicator specs generated from TA-Lib's own metadata, never typed by hand.

Names, groups, inputs, outputs, flags and defaults come from `talib.abstract`.
Parameter bounds are not exposed by the Python wrapper, so they are found by
asking TA-Lib itself: its lookback function answers -1 for a parameter value
it would reject, which a short search turns into the accepted range.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tradewind.indicators._talib import abstract, talib, talib_c
from tradewind.indicators.spec import Engine, IndicatorSpec, InputSpec, OutputSpec, ParameterSpec, ParameterType

_INT_CEILING = 2**31 - 1
_REAL_LIMIT = 3e37  # TA-Lib's TA_REAL_MAX order of magnitude
# TA-Lib's parameter type codes (TA_OptInputParameterType).
_REAL_RANGE, _REAL_LIST, _INT_RANGE, _INT_LIST = 0, 1, 2, 3

CANDLESTICK_CONVENTION = (
    "+100 bullish pattern, -100 bearish pattern, 0 no pattern; one-sided patterns only ever report their "
    "own sign; doji-type patterns report +100 when present, candle-shape patterns (spinning top, high wave, "
    "long/short line, marubozu) the sign of the candle's colour; CDLENGULFING, CDLHARAMI and CDLHARAMICROSS "
    "report +/-80 for a weaker (non-strict) match, CDLHIKKAKE and CDLHIKKAKEMOD +/-200 when confirmed."
)


def talib_specs() -> dict[str, IndicatorSpec]:
    return {name: talib_spec(name) for name in sorted(talib.get_functions())}


@cache
def talib_spec(name: str) -> IndicatorSpec:
    info = abstract.Function(name).info
    flags = tuple(info["function_flags"] or ())
    candlestick = "Output is a candlestick" in flags
    return IndicatorSpec(
        name=name,
        group=info["group"],
        display_name=info["display_name"],
        engine=Engine.TALIB,
        inputs=_inputs(info["input_names"]),
        parameters=tuple(_parameter(name, i, info["parameters"]) for i in range(len(info["parameters"]))),
        outputs=tuple(OutputSpec(name=o, flags=tuple(info["output_flags"][o] or ())) for o in info["output_names"]),
        flags=flags,
        output_convention=CANDLESTICK_CONVENTION if candlestick else "",
    )


def _inputs(input_names: dict[str, Any]) -> tuple[InputSpec, ...]:
    inputs: list[InputSpec] = []
    for slot, source in input_names.items():
        if isinstance(source, list):
            inputs.extend(InputSpec(name=s, default_source=s) for s in source)
        else:
            inputs.append(InputSpec(name=slot, default_source=source))
    return tuple(inputs)


def _parameter(function: str, index: int, defaults: dict[str, Any]) -> ParameterSpec:
    raw = talib_c._ta_getOptInputParameterInfo(function.encode(), index)
    name = raw["name"]
    kind = raw["type"]
    base = {"name": name, "display_name": raw["display_name"], "help": raw["help"], "default": defaults[name]}
    if kind == _INT_LIST:
        choices = {v: d for v, d in talib.MA_Type._lookup.items() if _accepts(function, defaults, name, v)}
        return ParameterSpec(type=ParameterType.CHOICE, choices=choices, **base)
    if kind in (_INT_RANGE,):
        low = next(v for v in range(-1, 1000) if _accepts(function, defaults, name, v))
        return ParameterSpec(
            type=ParameterType.INT, minimum=low, maximum=_int_ceiling(function, defaults, name), **base
        )
    low_real = next((v for v in (-_REAL_LIMIT, -1.0, 0.0) if _accepts(function, defaults, name, v)), None)
    high_real = _REAL_LIMIT if _accepts(function, defaults, name, _REAL_LIMIT) else None
    return ParameterSpec(type=ParameterType.FLOAT, minimum=low_real, maximum=high_real, **base)


def _int_ceiling(function: str, defaults: dict[str, Any], name: str) -> int:
    low, high = int(defaults[name]), _INT_CEILING
    if _accepts(function, defaults, name, high):
        return high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if _accepts(function, defaults, name, mid) else (low, mid)
    return low


def _accepts(function: str, defaults: dict[str, Any], name: str, value: float) -> bool:
    probe = abstract.Function(function)
    probe.set_parameters({**defaults, name: value})
    lookback: int = probe.lookback
    return lookback >= 0
