"""How much past each indicator needs, so a live engine can be stopped and restored.

TA-Lib stream handles cannot be serialised, so a restored engine reopens them
on the bars it kept. How many bars that takes follows from each function:

- finite memory (a moving window: SMA, MAX, candlesticks, ...): lookback + 1
  bars reproduce the value exactly. Whether a function has finite memory is
  asked of TA-Lib itself: it must not declare an unstable period, and on a
  probe series the last lookback + 1 bars alone must reproduce the
  full-history value at every one of 32 positions.
- infinite but fading memory (EMA, RSI, ADX, MACD, KAMA, Hilbert transforms,
  ...): reopening on lookback + 1 + 32 x (lookback + 1) bars leaves the
  start-up difference below e^-32 of its initial size (an EMA of period p
  decays by (p-1)/(p+1) a bar, Wilder smoothing by (p-1)/p, and the lookback
  is at least p-1).
- path-dependent functions (TA-Lib's "Output is path-dependent" flag) carry
  running state: cumulative sums get back their offset, NVI/PVI their scale,
  VWAP its running sums (through a one-bar synthetic history); SAR and
  SAREXT their whole state (direction, SAR, extreme point, acceleration
  factors, last bar's high and low: `tradewind.indicators.parabolic`, which
  runs them live instead of a handle), so they continue exactly; SUPERTREND
  (a state machine too) and ADOSC (an EMA of AD, which cancels the offset)
  reopen on a settled window.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

import numpy as np

from tradewind.indicators import catalog
from tradewind.indicators.spec import IndicatorSpec

SETTLE_FACTOR = 32
# Running sums in TA-Lib (SMA, SUM, ...) drift by a few ulps over a long history: not memory.
_ROUNDING = 1e-12
_PROBES = 32


class Restore(StrEnum):
    WINDOW = "window"
    OFFSET = "offset"
    SCALE = "scale"
    VWAP_SEED = "vwap-seed"
    STATE = "state"  # the indicator's own state is carried whole (SAR, SAREXT: `parabolic`)


# Every TA-Lib function flagged path-dependent (and the positional ones), and how its running state is carried.
# A test fails when TA-Lib adds a path-dependent function that is not listed here.
PATH_DEPENDENT: dict[str, Restore] = {
    "AD": Restore.OFFSET,
    "CUMSUM": Restore.OFFSET,
    "OBV": Restore.OFFSET,
    "PVT": Restore.OFFSET,
    "WAD": Restore.OFFSET,
    "NVI": Restore.SCALE,
    "PVI": Restore.SCALE,
    "VWAP": Restore.VWAP_SEED,
    "ADOSC": Restore.WINDOW,
    "SAR": Restore.STATE,
    "SAREXT": Restore.STATE,
    "SUPERTREND": Restore.WINDOW,
    # Not path-dependent, but their outputs are positions in the history, which a
    # reopened handle counts from its own first bar: carried as an offset too.
    "MAXINDEX": Restore.OFFSET,
    "MININDEX": Restore.OFFSET,
    "MINMAXINDEX": Restore.OFFSET,
}


def restore_strategy(spec: IndicatorSpec) -> Restore:
    return PATH_DEPENDENT.get(spec.name, Restore.WINDOW)


def window_length(spec: IndicatorSpec, params: catalog.Params) -> int:
    """Bars a restored engine must have kept for this indicator to continue as if never stopped."""
    lookback = catalog.lookback(spec, params)
    if spec.name in catalog.EXTRAS:
        return lookback + 1
    strategy = PATH_DEPENDENT.get(spec.name)
    if strategy is not None and strategy is not Restore.WINDOW:
        return lookback + 1
    unstable = "Function has an unstable period" in spec.flags
    if strategy is None and not unstable and has_finite_memory(spec.name, tuple(sorted(params.items())), lookback):
        return lookback + 1
    return (lookback + 1) * (1 + SETTLE_FACTOR)


@cache
def has_finite_memory(name: str, params: tuple[tuple[str, float | int], ...], lookback: int) -> bool:
    """Whether the last lookback + 1 bars alone give the full-history value (to rounding)."""
    spec = catalog.get(name)
    span = lookback + 1
    size = 4 * span + 64
    rng = np.random.default_rng(20_240_601)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, size)))
    opens = np.concatenate(([close[0]], close[:-1]))
    data = {
        "open": opens,
        "high": np.maximum(opens, close) * 1.01,
        "low": np.minimum(opens, close) * 0.99,
        "close": close,
        "volume": rng.uniform(100.0, 10_000.0, size),
        "periods": rng.integers(2, 30, size).astype("float64"),
    }
    full = catalog.compute(name, data, dict(params))
    for end in range(size - _PROBES + 1, size + 1):
        part = catalog.compute(name, {k: v[end - span : end] for k, v in data.items()}, dict(params))
        for output in spec.output_names:
            a, b = float(full[output][end - 1]), float(part[output][-1])
            if not (a == b or (np.isnan(a) and np.isnan(b)) or abs(a - b) <= _ROUNDING * max(1.0, abs(a))):
                return False
    return True
