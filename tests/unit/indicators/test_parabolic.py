"""SAR / SAREXT in Python: bit-identical to TA-Lib's batch, and a carried state that restores exactly."""

import json
import math

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.indicators.conftest import gbm_bars
from tests.unit.indicators.test_live import assert_live_equals_batch, rows
from tradewind.indicators import parabolic
from tradewind.indicators.errors import IndicatorError
from tradewind.indicators.live import IndicatorRequest, LiveEngine
from tradewind.indicators.memory import PATH_DEPENDENT, Restore

acceleration = st.floats(0.0, 0.4, allow_nan=False)
SAR_PARAMS = st.fixed_dictionaries({"acceleration": acceleration, "maximum": acceleration})
SAREXT_PARAMS = st.fixed_dictionaries(
    {
        # 0: TA-Lib picks the direction from -DM; > 0 starts long there, < 0 short at its absolute value
        "startvalue": st.one_of(st.just(0.0), st.floats(-150.0, 150.0, allow_nan=False)),
        "offsetonreverse": st.one_of(st.just(0.0), st.floats(0.0, 0.05, allow_nan=False)),
        "accelerationinitlong": acceleration,
        "accelerationlong": acceleration,
        "accelerationmaxlong": acceleration,
        "accelerationinitshort": acceleration,
        "accelerationshort": acceleration,
        "accelerationmaxshort": acceleration,
    }
)


def same_bits(got: np.ndarray, expected: np.ndarray) -> None:
    """Equal as float64 bit patterns (NaN where TA-Lib has NaN); -0.0 and 0.0 count as different."""
    assert got.dtype == expected.dtype == np.float64
    mismatch = np.nonzero(got.view(np.uint64) != expected.view(np.uint64))[0]
    assert mismatch.size == 0, (
        f"first difference at bar {mismatch[0]}: {got[mismatch[0]]!r} != {expected[mismatch[0]]!r}"
    )


@settings(max_examples=60, deadline=None)
@given(length=st.integers(0, 300), seed=st.integers(0, 2**32 - 1), params=SAR_PARAMS)
def test_sar_recurrence_is_talib_bit_for_bit(length: int, seed: int, params: dict[str, float]) -> None:
    data = gbm_bars(length, seed)
    expected = talib.SAR(data["high"], data["low"], **params)
    same_bits(parabolic.batch("SAR", data["high"], data["low"], **params), expected)


@settings(max_examples=60, deadline=None)
@given(length=st.integers(0, 300), seed=st.integers(0, 2**32 - 1), params=SAREXT_PARAMS)
def test_sarext_recurrence_is_talib_bit_for_bit(length: int, seed: int, params: dict[str, float]) -> None:
    data = gbm_bars(length, seed)
    expected = talib.SAREXT(data["high"], data["low"], **params)
    same_bits(parabolic.batch("SAREXT", data["high"], data["low"], **params), expected)


def test_defaults_leading_nans_and_the_step_being_one_fused_multiply_add() -> None:
    data = gbm_bars(2000, seed=7)
    high, low = data["high"].copy(), data["low"].copy()
    same_bits(parabolic.batch("SAR", high, low), talib.SAR(high, low))
    same_bits(parabolic.batch("SAREXT", high, low), talib.SAREXT(high, low))
    high[:3] = np.nan  # TA-Lib starts at the first bar with every input known
    same_bits(parabolic.batch("SAR", high, low), talib.SAR(high, low))
    # the recurrence rounds sar + af * (ep - sar) once, as TA-Lib 0.8's fma(); twice it would differ here
    assert parabolic.fma(1.0 + 2**-52, 1.0 - 2**-52, -1.0) == -(2**-104)
    assert (1.0 + 2**-52) * (1.0 - 2**-52) - 1.0 == 0.0
    assert parabolic.fma(2.0, 3.0, 4.0) == 10.0 and math.isinf(parabolic.fma(1e308, 10.0, 0.0))


def test_sar_and_sarext_restore_from_their_carried_state() -> None:
    assert PATH_DEPENDENT["SAR"] is PATH_DEPENDENT["SAREXT"] is Restore.STATE
    data = gbm_bars(400, seed=137)
    for name in ("SAR", "SAREXT"):
        assert_live_equals_batch(name, data, restore_at={0, 1, 2, 3, 76, 77, 150, 151, 152, 300})


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(1, 150),
    seed=st.integers(0, 2**32 - 1),
    cuts=st.sets(st.integers(0, 150), max_size=4),
    params=SAREXT_PARAMS,
)
def test_sarext_with_any_parameters_continues_exactly_through_restores(
    length: int, seed: int, cuts: set[int], params: dict[str, float]
) -> None:
    assert_live_equals_batch("SAREXT", gbm_bars(length, seed), restore_at=cuts, params=params)


def test_the_state_survives_json_and_a_bad_state_is_refused() -> None:
    engine = LiveEngine([IndicatorRequest(name="SAREXT", params={"offsetonreverse": 0.01})])
    for _, row in rows(gbm_bars(60, seed=4), engine.columns):
        engine.update(row)
    blob = engine.snapshot()
    length = int.from_bytes(blob[4:8], "little")
    header = json.loads(blob[8 : 8 + length])
    state = header["carries"][0]["extra"]
    assert set(state) == {"is_long", "sar", "ep", "af_long", "af_short", "high", "low"}
    assert engine.window.rows == 2  # the state replaces the settled window SAR used to keep
    for bad in ({**state, "is_long": 1}, {**state, "sar": "x"}, {k: v for k, v in state.items() if k != "ep"}):
        header["carries"][0]["extra"] = bad
        forged = json.dumps(header).encode()
        with pytest.raises(IndicatorError, match="no valid SAREXT state"):
            LiveEngine.restore(blob[:4] + len(forged).to_bytes(4, "little") + forged + blob[8 + length :])


def test_a_snapshot_without_the_state_is_refused() -> None:
    engine = LiveEngine([IndicatorRequest(name="SAR")])
    for _, row in rows(gbm_bars(40, seed=9), engine.columns):
        engine.update(row)
    blob = engine.snapshot()
    length = int.from_bytes(blob[4:8], "little")
    header = json.loads(blob[8 : 8 + length])
    del header["carries"][0]["extra"]
    forged = json.dumps(header).encode()
    with pytest.raises(IndicatorError, match="no valid SAR state"):
        LiveEngine.restore(blob[:4] + len(forged).to_bytes(4, "little") + forged + blob[8 + length :])
