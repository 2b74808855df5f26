"""Parabolic SAR (TA-Lib's SAR and SAREXT) as a state that can be carried across a restore.

SAR is a state machine: trend direction, stop-and-reverse level, extreme point
and acceleration factor, all depending on every bar since the first. A TA-Lib
stream handle cannot be serialised and reopening one on a kept window starts
the machine over (another direction, another acceleration), so the live engine
runs these two functions here instead: the recurrence of TA-Lib's
`ta_SAR.c` / `ta_SAREXT.c`, step for step and operation for operation, so the
values are bit-identical to `talib.SAR` / `talib.SAREXT`, and the state after
each bar is a handful of floats that a snapshot carries. TA-Lib 0.8 computes
each step, sar + af x (ep - sar), as one fused multiply-add (`fma()`, one
rounding; its library calls it explicitly, so it is the same on every CPU);
`fma` below is that operation, exact on Python 3.11 too. The offset on
reverse is a plain multiply then add, as there.

TA-Lib's start-up, mirrored here: the first bar is consumed. Unless SAREXT's
`startvalue` forces it (> 0 long at `startvalue`, < 0 short at its absolute
value), the initial direction is short when bar 1's -DM (one-bar MINUS_DM) is
positive, long otherwise (a tie is long), and the first SAR is bar 0's low
(long) or high (short); the extreme point is bar 1's high (long) or low (short).
SAR is SAREXT with the same acceleration long and short, initial = step, no
offset on reverse and positive output; SAREXT reports short values negated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

_STATE_FIELDS = ("is_long", "sar", "ep", "af_long", "af_short", "high", "low")
_MATH_FMA: Callable[[float, float, float], float] | None = getattr(math, "fma", None)  # Python 3.13+


def fma(x: float, y: float, z: float) -> float:
    """x * y + z rounded once, as C's `fma()`: exact integer arithmetic, then one correctly rounded division."""
    if _MATH_FMA is not None:
        return _MATH_FMA(x, y, z)
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
        return x * y + z
    xn, xd = x.as_integer_ratio()
    yn, yd = y.as_integer_ratio()
    zn, zd = z.as_integer_ratio()
    den = xd * yd  # the denominators are powers of two: the larger is a multiple of the smaller
    if den >= zd:
        num = xn * yn + zn * (den // zd)
    else:
        num, den = xn * yn * (zd // den) + zn, zd
    if num == 0:
        return x * y + z  # an exact zero: the plain expression is exact too, and keeps IEEE's sign of zero
    try:
        return num / den  # int / int is correctly rounded (round half to even)
    except OverflowError:
        return x * y + z


class TooFewBars(ValueError):
    """SAR consumes its first bar: it needs two to give a value."""


@dataclass(frozen=True, slots=True)
class Settings:
    """SAREXT's parameters after TA-Lib's own corrections (an acceleration above its maximum is lowered to it)."""

    start: float = 0.0
    offset: float = 0.0
    init_long: float = 0.02
    step_long: float = 0.02
    max_long: float = 0.2
    init_short: float = 0.02
    step_short: float = 0.02
    max_short: float = 0.2
    signed: bool = False  # SAREXT: a short position's SAR is reported negative

    @classmethod
    def sar(cls, acceleration: float = 0.02, maximum: float = 0.2) -> Settings:
        acceleration, maximum = float(acceleration), float(maximum)
        acceleration = min(acceleration, maximum)
        return cls(0.0, 0.0, acceleration, acceleration, maximum, acceleration, acceleration, maximum, signed=False)

    @classmethod
    def sarext(
        cls,
        *,
        startvalue: float = 0.0,
        offsetonreverse: float = 0.0,
        accelerationinitlong: float = 0.02,
        accelerationlong: float = 0.02,
        accelerationmaxlong: float = 0.2,
        accelerationinitshort: float = 0.02,
        accelerationshort: float = 0.02,
        accelerationmaxshort: float = 0.2,
    ) -> Settings:
        max_long, max_short = float(accelerationmaxlong), float(accelerationmaxshort)
        init_long, step_long = float(accelerationinitlong), float(accelerationlong)
        init_short, step_short = float(accelerationinitshort), float(accelerationshort)
        init_long = max_long if init_long > max_long else init_long
        step_long = max_long if step_long > max_long else step_long
        init_short = max_short if init_short > max_short else init_short
        step_short = max_short if step_short > max_short else step_short
        return cls(
            float(startvalue), float(offsetonreverse), init_long, step_long, max_long,
            init_short, step_short, max_short, signed=True,
        )  # fmt: skip

    @classmethod
    def of(cls, name: str, params: Mapping[str, float | int]) -> Settings:
        """The settings of `SAR` or `SAREXT` from their TA-Lib parameter names (missing ones: TA-Lib's defaults)."""
        values = {k: float(v) for k, v in params.items()}
        if name == "SAR":
            return cls.sar(**values)
        if name == "SAREXT":
            return cls.sarext(**values)
        raise ValueError(f"{name} is not a parabolic SAR")


class Parabolic:
    """The running state of one SAR: `update(high, low)` gives the next value, `state()` what a snapshot keeps.

    `sar` is the level already computed for the next bar; `high` / `low` are the
    last bar's, which bound that level on the next step.
    """

    __slots__ = ("af_long", "af_short", "ep", "high", "is_long", "low", "sar", "settings", "value")

    def __init__(
        self, settings: Settings, *, is_long: bool, sar: float, ep: float, af_long: float, af_short: float,
        high: float, low: float, value: float = math.nan,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.is_long, self.sar, self.ep = is_long, sar, ep
        self.af_long, self.af_short = af_long, af_short
        self.high, self.low = high, low
        self.value = value

    @classmethod
    def start(cls, settings: Settings, high0: float, low0: float, high1: float, low1: float) -> Parabolic:
        """The state before bar 1 is taken, from bars 0 and 1 (TA-Lib's start-up); `update(high1, low1)` follows."""
        s = settings
        if s.start == 0:
            diff_plus = high1 - high0
            diff_minus = low0 - low1
            is_long = not (diff_minus > 0 and diff_plus < diff_minus)  # one-bar MINUS_DM > 0: short
            sar = low0 if is_long else high0
        else:
            is_long = s.start > 0
            sar = math.fabs(s.start)
        ep = high1 if is_long else low1
        # TA-Lib's "cheat": bar 1 is its own previous bar on the first step.
        return cls(s, is_long=is_long, sar=sar, ep=ep, af_long=s.init_long, af_short=s.init_short, high=high1, low=low1)

    @classmethod
    def open(cls, settings: Settings, high: npt.ArrayLike, low: npt.ArrayLike) -> Parabolic:
        """Run over a whole history (at least two bars, the first of them the series' first) and stay open."""
        highs = np.asarray(high, dtype="float64")
        lows = np.asarray(low, dtype="float64")
        if len(highs) < 2 or len(lows) != len(highs):
            raise TooFewBars(f"SAR needs at least 2 bars of history, got {len(highs)}")
        machine = cls.start(settings, float(highs[0]), float(lows[0]), float(highs[1]), float(lows[1]))
        for h, lo in zip(highs[1:].tolist(), lows[1:].tolist(), strict=True):
            machine.update(h, lo)
        return machine

    def update(self, high: float, low: float) -> float:
        """Take one bar and return its SAR (negative while short for SAREXT)."""
        prev_high, prev_low = self.high, self.low
        self.high, self.low = high, low
        if self.is_long:
            if low <= self.sar:
                out = self._reverse_to_short(prev_high, high, low)
            else:
                out = self._continue_long(prev_low, high, low)
        elif high >= self.sar:
            out = self._reverse_to_long(prev_low, high, low)
        else:
            out = self._continue_short(prev_high, high, low)
        self.value = out
        return out

    def _reverse_to_short(self, prev_high: float, high: float, low: float) -> float:
        s = self.settings
        self.is_long = False
        sar = self.ep
        sar = max(sar, prev_high)
        sar = max(sar, high)
        if s.offset != 0.0:
            sar += sar * s.offset
        out = 0 - sar if s.signed else sar
        self.af_short = s.init_short
        self.ep = low
        sar = fma(self.ep - sar, self.af_short, sar)
        sar = max(sar, prev_high)
        sar = max(sar, high)
        self.sar = sar
        return out

    def _continue_long(self, prev_low: float, high: float, low: float) -> float:
        s = self.settings
        out = self.sar
        if high > self.ep:
            self.ep = high
            self.af_long += s.step_long
            self.af_long = min(self.af_long, s.max_long)
        sar = fma(self.ep - self.sar, self.af_long, self.sar)
        sar = min(sar, prev_low)
        sar = min(sar, low)
        self.sar = sar
        return out

    def _reverse_to_long(self, prev_low: float, high: float, low: float) -> float:
        s = self.settings
        self.is_long = True
        sar = self.ep
        sar = min(sar, prev_low)
        sar = min(sar, low)
        if s.offset != 0.0:
            sar -= sar * s.offset
        out = sar
        self.af_long = s.init_long
        self.ep = high
        sar = fma(self.ep - sar, self.af_long, sar)
        sar = min(sar, prev_low)
        sar = min(sar, low)
        self.sar = sar
        return out

    def _continue_short(self, prev_high: float, high: float, low: float) -> float:
        s = self.settings
        out = 0 - self.sar if s.signed else self.sar
        if low < self.ep:
            self.ep = low
            self.af_short += s.step_short
            self.af_short = min(self.af_short, s.max_short)
        sar = fma(self.ep - self.sar, self.af_short, self.sar)
        sar = max(sar, prev_high)
        sar = max(sar, high)
        self.sar = sar
        return out

    def state(self) -> dict[str, Any]:
        """Everything the next bar depends on besides the settings (exact: JSON round-trips a float)."""
        return {
            "is_long": self.is_long, "sar": self.sar, "ep": self.ep, "af_long": self.af_long,
            "af_short": self.af_short, "high": self.high, "low": self.low,
        }  # fmt: skip

    @classmethod
    def from_state(cls, settings: Settings, state: Mapping[str, Any], value: float = math.nan) -> Parabolic:
        """The machine `state()` described; a `ValueError` if the state is not one."""
        if set(state) != set(_STATE_FIELDS) or not isinstance(state["is_long"], bool):
            raise ValueError("not a parabolic SAR state")
        numbers = {}
        for name in _STATE_FIELDS[1:]:
            number = state[name]
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"parabolic SAR state {name!r} is not a number")
            numbers[name] = float(number)
        return cls(settings, is_long=state["is_long"], value=value, **numbers)


def open_stream(name: str, high: npt.ArrayLike, low: npt.ArrayLike, **params: float | int) -> Parabolic:
    """`SAR` / `SAREXT` opened on a history, like `talib.stream.<name>(high, low, **params)`."""
    return Parabolic.open(Settings.of(name, params), high, low)


def batch(name: str, high: npt.ArrayLike, low: npt.ArrayLike, **params: float | int) -> npt.NDArray[np.float64]:
    """The whole series, as `talib.<name>` gives it: NaN before the first two bars with both inputs known."""
    highs = np.asarray(high, dtype="float64")
    lows = np.asarray(low, dtype="float64")
    out = np.full(len(highs), np.nan)
    known = ~(np.isnan(highs) | np.isnan(lows))
    first = int(np.argmax(known)) if known.any() else len(highs)
    if len(highs) - first < 2:
        return out
    settings = Settings.of(name, params)
    machine = Parabolic.start(
        settings, float(highs[first]), float(lows[first]), float(highs[first + 1]), float(lows[first + 1])
    )
    for i in range(first + 1, len(highs)):
        out[i] = machine.update(float(highs[i]), float(lows[i]))
    return out
