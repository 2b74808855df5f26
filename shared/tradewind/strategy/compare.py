"""Tolerant comparisons and crosses over aligned float arrays.

Two values tie when |a - b| <= 1e-12 * max(|a|, |b|, 1): TA-Lib's running-sum
averages differ by about 1e-14 where the exact means are equal, and that noise
must not decide a trade. `crosses_above(a, b)` fires on a bar where a > b and
the latest earlier bar with a != b had a < b (backtrader's rule), so a cross
through a tie counts once, on the bar that completes it, and a touch does not
count. A bar where either value is NaN has no side and breaks a cross.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tradewind.execution.jit import njit
from tradewind.strategy.conditions import RELATIVE_TOLERANCE

_UNKNOWN = 2.0


@njit(cache=True, nogil=True)
def _sides(a: npt.NDArray[Any], b: npt.NDArray[Any], tolerance: float, out: npt.NDArray[Any]) -> None:
    for i in range(out.size):
        x = a[i if a.size > 1 else 0]
        y = b[i if b.size > 1 else 0]
        if np.isnan(x) or np.isnan(y):
            out[i] = np.nan
        elif abs(x - y) <= tolerance * max(abs(x), abs(y), 1.0):
            out[i] = 0.0
        else:
            out[i] = 1.0 if x > y else -1.0


def sides(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """+1 where a > b, -1 where a < b, 0 on a tie, NaN where either is undefined (0-d operands broadcast)."""
    left = np.ascontiguousarray(a, dtype=np.float64).reshape(-1)
    right = np.ascontiguousarray(b, dtype=np.float64).reshape(-1)
    out = np.empty(max(left.size, right.size))
    _sides(left, right, RELATIVE_TOLERANCE, out)
    return out


def compare(op: str, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`op` (gt, ge, lt, le, eq) of a and b under the tie tolerance; False where either is NaN."""
    side = sides(a, b)
    result: npt.NDArray[Any]
    if op == "gt":
        result = side > 0.0
    elif op == "lt":
        result = side < 0.0
    elif op == "ge":
        result = side >= 0.0
    elif op == "le":
        result = side <= 0.0
    elif op == "eq":
        result = side == 0.0
    else:
        raise ValueError(f"unknown comparison {op!r}")
    return result


def crosses(a: npt.NDArray[Any], b: npt.NDArray[Any], upward: bool) -> npt.NDArray[Any]:
    side = sides(a, b)
    coded = np.where(np.isnan(side), _UNKNOWN, side)
    decided = coded != 0.0
    last = np.where(decided, np.arange(side.size), -1)
    np.maximum.accumulate(last, out=last)
    previous = np.full(side.size, _UNKNOWN)
    previous[1:] = np.where(last[:-1] >= 0, coded[np.maximum(last[:-1], 0)], _UNKNOWN)
    target = 1.0 if upward else -1.0
    result: npt.NDArray[Any] = (coded == target) & (previous == -target)
    return result


def within(flags: npt.NDArray[Any], bars: int) -> npt.NDArray[Any]:
    """True where `flags` held on this bar or on one of the `bars - 1` before it."""
    counts = np.cumsum(flags, dtype=np.int64)
    earlier = np.zeros_like(counts)
    if bars < counts.size:
        earlier[bars:] = counts[:-bars]
    result: npt.NDArray[Any] = (counts - earlier) > 0
    return result
