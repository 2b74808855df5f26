"""Tradewind's numpy indicators, and TA-Lib's versions of the other popular ones, on hand-checked examples."""

import numpy as np
import pandas as pd
import pytest
import talib

from tradewind.indicators import catalog

HOUR = 3_600_000_000_000


def times(*stamps: str) -> np.ndarray:
    return pd.DatetimeIndex(list(stamps), tz="UTC").as_unit("ns").asi8


def test_session_vwap_resets_each_day() -> None:
    data = {
        "time": times(
            "2024-01-02 14:30", "2024-01-02 15:30", "2024-01-02 16:30", "2024-01-03 14:30", "2024-01-03 15:30"
        ),
        # typical prices (h + l + c) / 3: 10, 13, 16 | 20, 23
        "high": np.array([11.0, 14, 17, 21, 24]),
        "low": np.array([9.0, 12, 15, 19, 22]),
        "close": np.array([10.0, 13, 16, 20, 23]),
        "volume": np.array([100.0, 300, 0, 0, 50]),
    }
    vwap = catalog.compute("VWAP_SESSION", data)["vwap"]
    # day 1: 10, (1000 + 3900) / 400 = 12.25, unchanged by a zero-volume bar; day 2: no volume yet, then 23
    np.testing.assert_allclose(vwap, [10.0, 12.25, 12.25, np.nan, 23.0], rtol=0, atol=1e-12)


def test_session_vwap_weekly_anchor_starts_on_monday() -> None:
    data = {
        "time": times("2024-01-05", "2024-01-07", "2024-01-08"),  # Fri, Sun, Mon
        "high": np.array([10.0, 20, 30]),
        "low": np.array([10.0, 20, 30]),
        "close": np.array([10.0, 20, 30]),
        "volume": np.array([1.0, 1, 1]),
    }
    vwap = catalog.compute("VWAP_SESSION", data, {"anchor": 1})["vwap"]
    np.testing.assert_allclose(vwap, [10.0, 15.0, 30.0], atol=1e-12)


PREVIOUS_DAY = {  # yesterday: H 110, L 90, C 100 (two bars); today: two bars
    "time": times("2024-01-02 10:00", "2024-01-02 11:00", "2024-01-03 10:00", "2024-01-03 11:00"),
    "high": np.array([110.0, 105, 101, 102]),
    "low": np.array([95.0, 90, 99, 100]),
    "close": np.array([104.0, 100, 100, 101]),
}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # P = (110 + 90 + 100) / 3 = 100, range 20
        (0, [100, 110, 120, 130, np.nan, 90, 80, 70, np.nan]),
        (1, [100, 107.64, 112.36, 120, np.nan, 92.36, 87.64, 80, np.nan]),
        (2, [100, 100 + 22 / 12, 100 + 22 / 6, 100 + 22 / 4, 111, 100 - 22 / 12, 100 - 22 / 6, 100 - 22 / 4, 89]),
    ],
)
def test_pivot_points_worked_example(method: int, expected: list[float]) -> None:
    out = catalog.compute("PIVOTS", PREVIOUS_DAY, {"method": method})
    got = np.array([out[name] for name in ("pivot", "r1", "r2", "r3", "r4", "s1", "s2", "s3", "s4")])
    assert np.isnan(got[:, :2]).all()  # the first session has no previous one
    for column in (2, 3):
        np.testing.assert_allclose(got[:, column], expected, rtol=0, atol=1e-9)


def test_ichimoku_worked_example() -> None:
    high = np.array([10.0, 12, 11, 14, 13, 15])
    low = np.array([8.0, 9, 10, 11, 12, 11])
    close = np.array([9.0, 11, 10.5, 13, 12.5, 14])
    out = catalog.compute(
        "ICHIMOKU",
        {"high": high, "low": low, "close": close},
        {"tenkan": 2, "kijun": 3, "senkou": 4, "displacement": 2},
    )
    nan = np.nan
    tenkan = [nan, 10.0, 10.5, 12.0, 12.5, 13.0]  # (max H + min L) / 2 over 2 bars
    kijun = [nan, nan, 10.0, 11.5, 12.0, 13.0]  # over 3 bars
    np.testing.assert_allclose(out["tenkan"], tenkan, atol=1e-12)
    np.testing.assert_allclose(out["kijun"], kijun, atol=1e-12)
    # cloud plotted 2 bars after it is computed
    np.testing.assert_allclose(out["senkou_a"], [nan, nan, nan, nan, 10.25, 11.75], atol=1e-12)
    np.testing.assert_allclose(out["senkou_b"], [nan, nan, nan, nan, nan, 11.0], atol=1e-12)  # (14 + 8) / 2
    np.testing.assert_array_equal(out["chikou"], close)


# TA-Lib 0.8 has SuperTrend, Heikin-Ashi, Donchian and Keltner: the catalog uses them, and
# these worked examples pin down the conventions it follows.
OHLC = {
    "open": np.array([10.0, 10.5, 11.0, 10.0, 9.5]),
    "high": np.array([11.0, 11.5, 12.0, 10.5, 10.0]),
    "low": np.array([9.5, 10.0, 10.5, 9.0, 8.5]),
    "close": np.array([10.5, 11.0, 10.5, 9.5, 9.0]),
}


def test_heikin_ashi_convention() -> None:
    ha = catalog.compute("HA", OHLC)
    close = (OHLC["open"] + OHLC["high"] + OHLC["low"] + OHLC["close"]) / 4
    opens = [(10.0 + 10.5) / 2]
    for i in range(1, 5):
        opens.append((opens[-1] + close[i - 1]) / 2)
    np.testing.assert_allclose(ha["haclose"], close, atol=1e-12)
    np.testing.assert_allclose(ha["haopen"], opens, atol=1e-12)
    np.testing.assert_allclose(ha["hahigh"], np.maximum.reduce([OHLC["high"], opens, close]), atol=1e-12)
    np.testing.assert_allclose(ha["halow"], np.minimum.reduce([OHLC["low"], opens, close]), atol=1e-12)


def test_donchian_convention() -> None:
    out = catalog.compute("DONCHIAN", OHLC, {"timeperiod": 3})
    np.testing.assert_allclose(out["upperband"][2:], [12.0, 12.0, 12.0], atol=1e-12)
    np.testing.assert_allclose(out["lowerband"][2:], [9.5, 9.0, 8.5], atol=1e-12)
    np.testing.assert_allclose(out["middleband"][2:], [10.75, 10.5, 10.25], atol=1e-12)


def test_keltner_convention(nvda) -> None:
    """TA-Lib's KC: EMA(typical price, 20) +/- 2 x Wilder ATR(10) seeded on the 10 bars ending at the first output."""
    high, low, close = nvda["high"], nvda["low"], nvda["close"]
    out = catalog.compute("KC", nvda, {"timeperiod": 20, "atrperiod": 10, "nbdev": 2.0})
    middle = talib.EMA((high + low + close) / 3, 20)
    first = 19
    atr = np.full_like(close, np.nan)
    atr[first - 10 :] = talib.ATR(high[first - 10 :], low[first - 10 :], close[first - 10 :], 10)
    assert np.isnan(out["middleband"][:first]).all()
    np.testing.assert_allclose(out["middleband"][first:], middle[first:], rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["upperband"][first:], (middle + 2 * atr)[first:], rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["lowerband"][first:], (middle - 2 * atr)[first:], rtol=0, atol=1e-9)


def supertrend_reference(high, low, close, period: int, multiplier: float):
    """The textbook SuperTrend (Olivier Seban), bar by bar, on TA-Lib's Wilder ATR."""
    atr = talib.ATR(high, low, close, period)
    mid = (high + low) / 2
    line = np.full_like(close, np.nan)
    trend = np.full_like(close, np.nan)
    upper = lower = np.nan
    for i in range(len(close)):
        if np.isnan(atr[i]):
            continue
        basic_upper, basic_lower = mid[i] + multiplier * atr[i], mid[i] - multiplier * atr[i]
        if np.isnan(upper):
            upper, lower, direction = basic_upper, basic_lower, 1.0
        else:
            upper = basic_upper if basic_upper < upper or close[i - 1] > upper else upper
            lower = basic_lower if basic_lower > lower or close[i - 1] < lower else lower
            if direction > 0 and close[i] < lower:
                direction = -1.0
            elif direction < 0 and close[i] > upper:
                direction = 1.0
        line[i] = lower if direction > 0 else upper
        trend[i] = direction
    return line, trend


def test_supertrend_matches_the_textbook_definition(nvda) -> None:
    out = catalog.compute("SUPERTREND", nvda, {"timeperiod": 10, "multiplier": 3.0})
    line, trend = supertrend_reference(nvda["high"], nvda["low"], nvda["close"], 10, 3.0)
    valid = ~np.isnan(out["supertrend"])
    start = int(np.argmax(valid)) + 50  # past the first reversal, where seeding conventions no longer matter
    np.testing.assert_allclose(out["supertrend"][start:], line[start:], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(np.sign(out["trend"][start:]), trend[start:])
