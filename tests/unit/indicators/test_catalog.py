from pathlib import Path

import numpy as np
import pytest
import talib
from talib import abstract

from tradewind.cli.main import main
from tradewind.indicators import catalog
from tradewind.indicators.errors import IndicatorError
from tradewind.indicators.spec import Engine, ParameterType
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.timeframe import Timeframe


def test_every_talib_function_is_in_the_catalog_with_its_own_metadata() -> None:
    specs = catalog.specs()
    assert set(talib.get_functions()) <= set(specs)
    for name in talib.get_functions():
        info = abstract.Function(name).info
        spec = specs[name]
        assert (spec.group, spec.display_name, spec.engine) == (info["group"], info["display_name"], Engine.TALIB)
        assert spec.output_names == tuple(info["output_names"])
        assert {p.name: p.default for p in spec.parameters} == dict(info["parameters"])


def test_parameter_types_and_bounds_come_from_talib() -> None:
    rsi = catalog.get("rsi").parameter("timeperiod")
    assert rsi is not None
    assert (rsi.type, rsi.default, rsi.minimum, rsi.maximum) == (ParameterType.INT, 14, 2, 100000)
    matype = catalog.get("BBANDS").parameter("matype")
    assert matype is not None and matype.type is ParameterType.CHOICE
    assert matype.choices is not None and matype.choices[1] == "Exponential Moving Average"
    acceleration = catalog.get("SAR").parameter("acceleration")
    assert acceleration is not None and acceleration.type is ParameterType.FLOAT and acceleration.minimum == 0.0
    assert [i.name for i in catalog.get("MAVP").inputs] == ["price", "periods"]
    assert [(i.name, i.default_source) for i in catalog.get("BETA").inputs] == [("price0", "high"), ("price1", "low")]


def test_candlestick_patterns_are_all_there_and_follow_the_documented_convention(nvda) -> None:
    patterns = catalog.groups()["Pattern Recognition"]
    assert len(patterns) == len(talib.get_function_groups()["Pattern Recognition"]) == 61
    seen: set[int] = set()
    for name in patterns:
        spec = catalog.get(name)
        assert spec.is_candlestick and "bullish" in spec.output_convention
        values = catalog.compute(name, nvda)["integer"]
        seen |= set(np.unique(values).tolist())
    assert seen <= {-200, -100, -80, 0, 80, 100, 200}
    assert {-100, 0, 100} <= seen


def test_compute_returns_talib_outputs_by_name_for_every_function(nvda) -> None:
    data = {**nvda, "periods": np.full(len(nvda["close"]), 10.0)}
    for name in talib.get_functions():
        spec = catalog.get(name)
        arrays = [data[i.default_source] for i in spec.inputs]
        raw = getattr(talib, name)(*arrays)
        raw = raw if isinstance(raw, tuple) else (raw,)
        got = catalog.compute(name, data)
        assert list(got) == list(spec.output_names)
        for expected, actual in zip(raw, got.values(), strict=True):
            np.testing.assert_array_equal(actual, expected)


def test_parameters_and_sources(nvda) -> None:
    got = catalog.compute("RSI", nvda, {"timeperiod": 7}, sources={"price": "open"})["real"]
    np.testing.assert_array_equal(got, talib.RSI(nvda["open"], timeperiod=7))
    bands = catalog.compute("BBANDS", nvda, {"timeperiod": 10, "matype": 1})
    expected = talib.BBANDS(nvda["close"], timeperiod=10, matype=1)
    np.testing.assert_array_equal(bands["lowerband"], expected[2])
    assert catalog.resolve_params(catalog.get("MACD"), {"fastperiod": 5.0}) == {
        "fastperiod": 5,
        "slowperiod": 26,
        "signalperiod": 9,
    }


@pytest.mark.parametrize(
    ("name", "params", "sources", "message"),
    [
        ("NOPE", {}, {}, "unknown indicator"),
        ("RSI", {"period": 3}, {}, "has no parameter period"),
        ("RSI", {"timeperiod": 1}, {}, "between 2 and 100000"),
        ("RSI", {"timeperiod": 2.5}, {}, "whole number"),
        ("RSI", {"timeperiod": float("nan")}, {}, "must be a number"),
        ("BBANDS", {"matype": 99}, {}, "must be one of"),
        ("RSI", {}, {"real": "close"}, "has no input real"),
        ("RSI", {}, {"price": "vwap"}, "needs a 'vwap' series"),
        ("MAVP", {}, {}, "needs a 'periods' series"),
        ("MAVP", {"minperiod": 5, "maxperiod": 3}, {"periods": "close"}, "TA-Lib rejects MAVP"),
    ],
)
def test_bad_requests_are_refused(nvda, name: str, params: dict, sources: dict, message: str) -> None:
    with pytest.raises(IndicatorError, match=message):
        catalog.compute(name, nvda, params, sources)


def test_cli_list_and_describe(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "list", "--group", "pattern recognition"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pattern Recognition (61)") and "  CDLENGULFING " in out and "  RSI " not in out
    assert main(["indicators", "describe", "stoch"]) == 0
    out = capsys.readouterr().out
    assert "STOCH: Stochastic" in out and "slowk" in out and "slowd" in out and "fastk_period" in out
    assert main(["indicators", "describe", "CDLHAMMER"]) == 0
    assert "+100 bullish pattern" in capsys.readouterr().out
    assert main(["indicators", "list", "--group", "Astrology"]) == 2
    assert "unknown group" in capsys.readouterr().err


def test_cli_compute_on_stored_bars(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = Path(__file__).resolve().parents[3] / "data" / "samples"
    store = str(tmp_path)
    assert main(["data", "import", str(samples / "nvda-1d-1999-2014.csv"), "--symbol", "NVDA",
                 "--timeframe", "1d", "--store", store]) == 0  # fmt: skip
    capsys.readouterr()
    argv = ["indicators", "compute", "rsi", "--symbol", "nvda", "--timeframe", "1d", "--store", store]
    assert main([*argv, "--param", "timeperiod=14", "--from", "2014-12-30"]) == 0
    out = capsys.readouterr().out
    frame = import_file(samples / "nvda-1d-1999-2014.csv", ImportOptions(timeframe=Timeframe.D1)).frame
    expected = talib.RSI(frame["close"].to_numpy(), 14)[-2:]  # computed on the whole history, then shown
    assert f"{expected[0]:.6f}" in out and f"{expected[1]:.6f}" in out and "2 rows" in out
    assert main([*argv, "--param", "timeperiod"]) == 2
    assert "expected NAME=NUMBER" in capsys.readouterr().err
    assert main([*argv, "--param", "timeperiod=1"]) == 2
    assert "between 2 and 100000" in capsys.readouterr().err
    assert main(["indicators", "compute", "rsi", "--symbol", "AAPL", "--timeframe", "1d", "--store", store]) == 2
    assert "no stored series AAPL/1d" in capsys.readouterr().err
