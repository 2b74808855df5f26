"""Tolerant comparisons and backtrader's cross rule, on constructed tie cases and against a reference loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.strategy import compare


def _cross_reference(a: list[float], b: list[float], upward: bool) -> list[bool]:
    """The rule as the issue states it, bar by bar: a > b now, and the latest earlier a != b bar had a < b."""
    out = []
    last_side = None
    for x, y in zip(a, b, strict=True):
        if np.isnan(x) or np.isnan(y):
            side = None
        elif abs(x - y) <= 1e-12 * max(abs(x), abs(y), 1.0):
            side = 0
        else:
            side = 1 if x > y else -1
        want = 1 if upward else -1
        out.append(side == want and last_side == -want)
        if side != 0:
            last_side = side
    return out


def test_values_within_relative_tolerance_tie() -> None:
    a = np.array([1.0, 1e6, 1.0, 0.0, 1e-20])
    b = np.array([1.0 + 5e-13, 1e6 * (1 + 5e-13), 1.0 + 5e-12, 1e-13, 0.0])
    assert compare.sides(a, b).tolist() == [0.0, 0.0, -1.0, 0.0, 0.0]
    assert compare.compare("eq", a, b).tolist() == [True, True, False, True, True]
    assert compare.compare("lt", a, b).tolist() == [False, False, True, False, False]
    assert compare.compare("le", a, b).tolist() == [True, True, True, True, True]
    assert compare.compare("gt", a, b).tolist() == [False] * 5
    assert compare.compare("ge", a, b).tolist() == [True, True, False, True, True]


def test_cross_through_a_tie_counts_once_on_the_completing_bar() -> None:
    a = np.array([1.0, 2.0, 3.0, 3.0])
    b = np.array([2.0, 2.0, 2.0, 2.0])  # below, equal, above, above
    assert compare.crosses(a, b, upward=True).tolist() == [False, False, True, False]


def test_touch_is_no_cross() -> None:
    a = np.array([1.0, 2.0, 1.0, 2.0, 2.0, 1.5])
    b = np.full(6, 2.0)  # below, equal, below, equal, equal, below
    assert not compare.crosses(a, b, upward=True).any()
    assert not compare.crosses(a, b, upward=False).any()


def test_long_tie_then_cross() -> None:
    a = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    b = np.full(5, 2.0)  # above, equal x3, below
    assert compare.crosses(a, b, upward=False).tolist() == [False, False, False, False, True]


def test_rounding_noise_is_a_tie_not_a_cross() -> None:
    # TA-Lib's running-sum SMA differs by ~1e-14 where the exact means are equal.
    b = np.full(4, 25.3)
    a = np.array([25.0, 25.3 + 3e-14, 25.3 - 3e-14, 25.3 + 2e-14])
    assert not compare.crosses(a, b, upward=True).any()
    assert not compare.crosses(a, b, upward=False).any()


def test_undefined_bars_have_no_side() -> None:
    a = np.array([np.nan, np.nan, 3.0, 1.0, np.nan, 3.0])
    b = np.full(6, 2.0)
    assert compare.crosses(a, b, upward=True).tolist() == [False] * 6
    assert compare.crosses(a, b, upward=False).tolist() == [False, False, False, True, False, False]
    assert compare.compare("gt", a, b).tolist() == [False, False, True, False, False, True]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0, 2.0, np.nan, 1.0 + 1e-14]), st.sampled_from([1.0, 1.0 - 1e-14, 2.0])),
        min_size=1,
        max_size=40,
    )
)
def test_crosses_match_the_stated_rule(pairs: list[tuple[float, float]]) -> None:
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    for upward in (True, False):
        got = compare.crosses(np.array(a), np.array(b), upward).tolist()
        assert got == _cross_reference(a, b, upward)


def test_within_holds_for_n_bars() -> None:
    flags = np.array([False, True, False, False, False, True])
    assert compare.within(flags, 3).tolist() == [False, True, True, True, False, True]
    assert compare.within(flags, 1).tolist() == flags.tolist()
    assert compare.within(flags, 100).tolist() == [False, True, True, True, True, True]
