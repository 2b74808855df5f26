"""The indicator catalog: every TA-Lib function plus Tradewind's numpy indicators, by name.

`compute(name, bars, params)` returns the named output series of any entry.
Bars are a mapping of column name to array (`open`, `high`, `low`, `close`,
`volume`, `time` as int64 UTC nanoseconds, and any extra series such as
MAVP's `periods`); `sources` re-routes an input (e.g. RSI of `open`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradewind.indicators._talib import abstract, talib
from tradewind.indicators.errors import IndicatorError
from tradewind.indicators.extras.base import Extra
from tradewind.indicators.extras.ichimoku import Ichimoku
from tradewind.indicators.extras.pivots import Pivots
from tradewind.indicators.extras.vwap import SessionVwap
from tradewind.indicators.spec import Engine, IndicatorSpec, ParameterType
from tradewind.indicators.talib_catalog import talib_specs

Params = Mapping[str, float | int]
EXTRAS: dict[str, Extra] = {e.spec.name: e for e in (SessionVwap(), Pivots(), Ichimoku())}


@cache
def specs() -> dict[str, IndicatorSpec]:
    catalog = talib_specs()
    clash = set(catalog) & set(EXTRAS)
    if clash:
        raise RuntimeError(f"TA-Lib now provides {sorted(clash)}: drop the Tradewind version")
    catalog.update({name: extra.spec for name, extra in EXTRAS.items()})
    return dict(sorted(catalog.items()))


def get(name: str) -> IndicatorSpec:
    try:
        return specs()[name.upper()]
    except KeyError:
        raise IndicatorError(f"unknown indicator {name!r} (see `tradewind indicators list`)") from None


def groups() -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for spec in specs().values():
        grouped.setdefault(spec.group, []).append(spec.name)
    return dict(sorted(grouped.items()))


def resolve_params(spec: IndicatorSpec, params: Params | None = None) -> dict[str, float | int]:
    """Defaults filled in, unknown names and out-of-range values refused."""
    given = dict(params or {})
    unknown = set(given) - {p.name for p in spec.parameters}
    if unknown:
        raise IndicatorError(f"{spec.name} has no parameter {', '.join(sorted(unknown))}")
    resolved: dict[str, float | int] = {}
    for p in spec.parameters:
        value = given.get(p.name, p.default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise IndicatorError(f"{spec.name}.{p.name} must be a number")
        if p.type is not ParameterType.FLOAT:
            if value != int(value):
                raise IndicatorError(f"{spec.name}.{p.name} must be a whole number")
            value = int(value)
        else:
            value = float(value)
        if p.choices is not None and value not in p.choices:
            raise IndicatorError(f"{spec.name}.{p.name} must be one of {sorted(p.choices)}")
        if (p.minimum is not None and value < p.minimum) or (p.maximum is not None and value > p.maximum):
            raise IndicatorError(f"{spec.name}.{p.name} must be between {p.minimum} and {p.maximum}")
        resolved[p.name] = value
    return resolved


def input_sources(spec: IndicatorSpec, sources: Mapping[str, str] | None = None) -> list[str]:
    """The bar column feeding each positional input, after re-routing."""
    routed = dict(sources or {})
    unknown = set(routed) - {i.name for i in spec.inputs}
    if unknown:
        raise IndicatorError(f"{spec.name} has no input {', '.join(sorted(unknown))}")
    return [routed.get(i.name, i.default_source) for i in spec.inputs]


def gather(
    spec: IndicatorSpec, data: Mapping[str, npt.NDArray[Any]], sources: Mapping[str, str] | None = None
) -> list[npt.NDArray[Any]]:
    arrays = []
    for column in input_sources(spec, sources):
        if column not in data:
            raise IndicatorError(f"{spec.name} needs a {column!r} series")
        dtype = "int64" if column == "time" else "float64"
        arrays.append(np.ascontiguousarray(data[column], dtype=dtype))
    return arrays


def lookback(spec: IndicatorSpec, params: Params) -> int:
    """Bars before the first defined output (TA-Lib's own lookback for TA-Lib functions)."""
    if spec.engine is Engine.TRADEWIND:
        return EXTRAS[spec.name].window(params) - 1
    function = abstract.Function(spec.name)
    function.set_parameters(dict(params))
    value: int = function.lookback
    if value < 0:
        raise IndicatorError(f"TA-Lib rejects {spec.name} with {dict(params)}")
    return value


def compute(
    name: str,
    data: Mapping[str, npt.NDArray[Any]],
    params: Params | None = None,
    sources: Mapping[str, str] | None = None,
) -> dict[str, npt.NDArray[Any]]:
    spec = get(name)
    resolved = resolve_params(spec, params)
    arrays = gather(spec, data, sources)
    if spec.engine is Engine.TRADEWIND:
        named = {i.name: a for i, a in zip(spec.inputs, arrays, strict=True)}
        return EXTRAS[spec.name].compute(named, resolved)
    try:
        result = getattr(talib, spec.name)(*arrays, **resolved)
    except Exception as exc:  # TA-Lib raises bare Exception, e.g. for a rejected combination of parameters
        raise IndicatorError(f"TA-Lib rejects {spec.name} with {resolved}: {exc}") from None
    outputs = result if isinstance(result, tuple) else (result,)
    return dict(zip(spec.output_names, outputs, strict=True))


def bar_arrays(frame: pd.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """Columns of a canonical bar frame as the arrays `compute` takes."""
    data: dict[str, npt.NDArray[Any]] = {c: frame[c].to_numpy(dtype="float64") for c in frame.columns if c != "time"}
    if "time" in frame.columns:
        data["time"] = pd.DatetimeIndex(frame["time"]).as_unit("ns").asi8
    return data
