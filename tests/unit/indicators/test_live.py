import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest
import talib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.indicators.conftest import gbm_bars
from tradewind.indicators import catalog
from tradewind.indicators.errors import IndicatorError
from tradewind.indicators.live import MAX_SNAPSHOT_BYTES, IndicatorRequest, LiveEngine, bar_row
from tradewind.indicators.memory import PATH_DEPENDENT, SETTLE_FACTOR, Restore, window_length
from tradewind.indicators.spec import Engine, ParameterType
from tradewind.marketdata.models import Bar
from tradewind.marketdata.timeframe import Timeframe

TOLERANCE = 1e-9
ALL = sorted(catalog.specs())


def rows(data: dict[str, np.ndarray], columns: list[str]):
    for i in range(len(data["close"])):
        yield i, {c: (int(data[c][i]) if c == "time" else float(data[c][i])) for c in columns}


def assert_live_equals_batch(
    name: str, data: dict[str, np.ndarray], restore_at: set[int], params: dict[str, float | int] | None = None
) -> None:
    """Live = batch within 1e-9; after a restore, within 1e-9 of the value's magnitude where it exceeds 1.

    A never-stopped engine rides TA-Lib's stream handles and is exact. A restored one reopens them on the
    kept bars, and TA-Lib's running sums (SUM, VAR, BETA, ...) then start elsewhere and round differently.
    For a finite-memory function both are the same value up to that rounding, and how far apart they are
    is a property of the function and the data, not of the engine: an ill-conditioned value (BETA of two
    bars) can differ by 1e-8. That gap, measured as full history against the batch over the kept bars
    only, is added to the bound; for well-conditioned values it is around 1e-14.
    """
    engine = LiveEngine([IndicatorRequest(name=name, params=params or {})])
    spec = catalog.get(name)
    resolved = catalog.resolve_params(spec, params)
    finite = (
        spec.engine is Engine.TALIB
        and name not in PATH_DEPENDENT
        and window_length(spec, resolved) == catalog.lookback(spec, resolved) + 1
    )
    full = catalog.compute(name, data, params)
    kept: dict[str, np.ndarray] | None = None
    start = 0
    key = engine.keys[0]
    for i, row in rows(data, engine.columns):
        if i in restore_at:
            engine = LiveEngine.restore(engine.snapshot())
            start = engine.bars_seen - engine.window.rows
            kept = catalog.compute(name, {k: v[start:] for k, v in data.items()}, params)
        for output, value in engine.update(row)[key].items():
            expected = float(full[output][i])
            bound = TOLERANCE
            if kept is not None:
                bound *= max(1.0, abs(expected))
                if finite and not math.isnan(expected):
                    bound += abs(expected - float(kept[output][i - start]))
            same = math.isnan(value) if math.isnan(expected) else abs(value - expected) <= bound
            assert same, f"{name}.{output} at bar {i}: live {value}, full history {expected}"


def parameters(name: str) -> st.SearchStrategy[dict[str, int]]:
    """Short random periods and any allowed choice (moving-average type, anchor, ...); floats keep defaults."""
    drawn: dict[str, st.SearchStrategy[int]] = {}
    for p in catalog.get(name).parameters:
        if p.type is ParameterType.INT:
            drawn[p.name] = st.integers(max(int(p.minimum or 0), 1), min(int(p.maximum or 30), 30))
        elif p.choices is not None:
            drawn[p.name] = st.sampled_from(sorted(p.choices))
    return st.fixed_dictionaries(drawn)


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=st.integers(1, 120), seed=st.integers(0, 2**32 - 1), cut=st.integers(0, 120), data=st.data())
def test_live_value_equals_full_history_value_through_a_restore(
    name: str, length: int, seed: int, cut: int, data: st.DataObject
) -> None:
    params = data.draw(parameters(name), label="params")
    spec = catalog.get(name)
    try:
        catalog.lookback(spec, catalog.resolve_params(spec, params))
    except IndicatorError:  # e.g. MAVP with minperiod > maxperiod: refused up front, never half-built
        with pytest.raises(IndicatorError, match="rejects"):
            LiveEngine([IndicatorRequest(name=name, params=params)])
        return
    assert_live_equals_batch(name, gbm_bars(length, seed), restore_at={cut}, params=params)


def test_restoring_from_a_truncated_window_still_equals_full_history() -> None:
    """Long enough that every indicator's kept window is shorter than the history before the restore."""
    data = gbm_bars(3200, seed=11)
    for name in ALL:
        assert_live_equals_batch(name, data, restore_at={3000, 3100})


def test_every_path_dependent_talib_function_has_a_restore_strategy() -> None:
    flagged = {n for n in talib.get_functions() if catalog.get(n).is_path_dependent}
    assert flagged <= set(PATH_DEPENDENT)
    assert set(PATH_DEPENDENT) <= set(talib.get_functions())


def test_window_lengths_follow_lookback_and_memory() -> None:
    sma = catalog.get("SMA")
    assert window_length(sma, {"timeperiod": 30}) == 30
    ema = catalog.get("EMA")
    assert window_length(ema, {"timeperiod": 30}) == 30 * (1 + SETTLE_FACTOR)
    obv = catalog.get("OBV")
    assert PATH_DEPENDENT["OBV"] is Restore.OFFSET and window_length(obv, {}) == 1


def strategy() -> list[IndicatorRequest]:
    return [
        IndicatorRequest(name="RSI", params={"timeperiod": 14}),
        IndicatorRequest(name="MACD"),
        IndicatorRequest(name="BBANDS", params={"timeperiod": 20, "nbdevup": 2, "nbdevdn": 2}),
        IndicatorRequest(name="ATR", label="atr"),
        IndicatorRequest(name="VWAP_SESSION", label="vwap"),
    ]


def test_a_strategy_engine_names_its_outputs_and_fits_in_a_dynamodb_item() -> None:
    data = gbm_bars(1500, seed=5)
    engine = LiveEngine(strategy())
    assert engine.keys == ["RSI(timeperiod=14)", "MACD()", "BBANDS(nbdevdn=2,nbdevup=2,timeperiod=20)", "atr", "vwap"]
    last: dict[str, dict[str, float]] = {}
    for _, row in rows(data, engine.columns):
        last = engine.update(row)
    assert set(last["MACD()"]) == {"macd", "macdsignal", "macdhist"}
    assert last["atr"]["real"] == pytest.approx(talib.ATR(data["high"], data["low"], data["close"])[-1], abs=1e-12)
    snapshot = engine.snapshot()
    assert len(snapshot) < MAX_SNAPSHOT_BYTES
    restored = LiveEngine.restore(snapshot)
    assert restored.bars_seen == 1500 and restored.keys == engine.keys


def test_bars_from_the_aggregator_feed_the_engine() -> None:
    engine = LiveEngine([IndicatorRequest(name="VWAP_SESSION"), IndicatorRequest(name="SMA", params={"timeperiod": 2})])
    first = Bar(symbol="NVDA", timeframe=Timeframe.H1, time=datetime(2024, 1, 2, 23, tzinfo=UTC),
                open=10, high=12, low=9, close=11, volume=10)  # fmt: skip
    second = first.model_copy(update={"time": datetime(2024, 1, 3, 0, tzinfo=UTC), "close": 13.0, "high": 13.0})
    assert bar_row(first)["time"] == 1_704_236_400 * 1_000_000_000
    engine.update(bar_row(first))
    out = engine.update(bar_row(second))
    assert out["SMA(timeperiod=2)"]["real"] == 12.0
    assert out["VWAP_SESSION()"]["vwap"] == pytest.approx((13 + 9 + 13) / 3)  # a new UTC day: the session reset


def test_rerouted_inputs_warm_up_stream_and_restore() -> None:
    data = gbm_bars(300, seed=3)
    request = IndicatorRequest(name="RSI", params={"timeperiod": 9}, sources={"price": "open"}, label="rsi-open")
    engine = LiveEngine([request])
    expected = talib.RSI(data["open"], 9)
    got = []
    for i, row in rows(data, engine.columns):
        if i == 150:
            engine = LiveEngine.restore(engine.snapshot())
        got.append(engine.update(row)["rsi-open"]["real"])
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)
    assert engine.columns == ["open", "time"]


def test_a_snapshot_without_the_bars_its_handles_need_is_refused() -> None:
    engine = LiveEngine([IndicatorRequest(name="SMA", params={"timeperiod": 5})])
    for _, row in rows(gbm_bars(10, seed=1), engine.columns):
        engine.update(row)
    blob = engine.snapshot()
    length = int.from_bytes(blob[4:8], "little")
    header = json.loads(blob[8 : 8 + length])
    header["rows"] = 2
    forged = json.dumps(header).encode()
    window = blob[8 + length :]
    columns = len(engine.columns)
    rows_kept = len(window) // (8 * columns)
    short = b"".join(window[c * rows_kept * 8 : c * rows_kept * 8 + 16] for c in range(columns))
    with pytest.raises(IndicatorError, match="does not hold the bars"):
        LiveEngine.restore(blob[:4] + len(forged).to_bytes(4, "little") + forged + short)


def test_the_engine_refuses_what_it_could_not_persist_or_compute() -> None:
    with pytest.raises(IndicatorError, match="DynamoDB item"):
        LiveEngine([IndicatorRequest(name="EMA", params={"timeperiod": 5000})])
    with pytest.raises(IndicatorError, match="same label"):
        LiveEngine([IndicatorRequest(name="RSI"), IndicatorRequest(name="rsi")])
    with pytest.raises(IndicatorError, match="at least one"):
        LiveEngine([])
    engine = LiveEngine([IndicatorRequest(name="OBV")])
    with pytest.raises(IndicatorError, match="no 'volume' value"):
        engine.update({"time": 0, "close": 1.0})
    with pytest.raises(IndicatorError, match="finite"):
        engine.update({"time": 0, "close": float("nan"), "volume": 1.0})
    assert engine.bars_seen == 0


@pytest.mark.parametrize("blob", [b"", b"XXXX\x00\x00\x00\x00", b"TWLE\x02\x00\x00\x00{}"])
def test_a_corrupt_snapshot_is_refused(blob: bytes) -> None:
    with pytest.raises(IndicatorError):
        LiveEngine.restore(blob)


def test_a_truncated_snapshot_is_refused() -> None:
    engine = LiveEngine([IndicatorRequest(name="SMA")])
    for _, row in rows(gbm_bars(50, seed=1), engine.columns):
        engine.update(row)
    with pytest.raises(IndicatorError, match="does not match"):
        LiveEngine.restore(engine.snapshot()[:-8])
