"""Strategy documents: every problem reported with its exact path; examples and the published schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tradewind.strategy.model import Indicator, Strategy
from tradewind.strategy.schema import render
from tradewind.strategy.validation import StrategyInvalid, load_strategy, parse_strategy

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples" / "strategies").glob("*.json"))

BASE: dict[str, Any] = {
    "name": "test",
    "universe": {"symbols": ["NVDA"]},
    "indicators": {"stoch": "STOCH(14, 3, 0, 3, 0)", "rsi": {"function": "RSI", "params": {"timeperiod": 14}}},
    "long": {"entry": {"all": [{"lt": ["rsi", 30]}, {"crosses_above": ["stoch.slowk", "stoch.slowd"]}]}},
}


def _doc(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return doc


def _issues(doc: Any) -> list[str]:
    with pytest.raises(StrategyInvalid) as caught:
        parse_strategy(doc)
    return [str(i) for i in caught.value.issues]


def test_unknown_output_names_the_path_and_the_choices() -> None:
    doc = _doc(long={"entry": {"all": [{"lt": ["rsi", 30]}, {"crosses_above": ["stoch.k", "stoch.slowd"]}]}})
    assert _issues(doc) == [
        "long.entry.all[1].crosses_above[0]: unknown indicator output 'stoch.k' (have: stoch.slowk, stoch.slowd)"
    ]


def test_every_problem_is_reported_not_just_the_first() -> None:
    doc = _doc(
        universe={"symbols": ["NVDA"], "broker": "nobody"},
        indicators={"stoch": "STOCH(14, 3, 0, 3, 0)", "rsi": "RSI(timeperiod=1)", "x": "NOSUCH(3)"},
        long={"entry": {"any": [{"gt": ["macd", 0]}, {"lt": ["stoch", 20]}, {"gt": ["close@1w", 1]}]}},
    )
    issues = _issues(doc)
    assert "universe.broker: unknown broker 'nobody' (have: alpaca, ibkr, paper)" in issues
    assert "indicators.rsi.params.timeperiod: RSI.timeperiod must be between 2 and 100000" in issues
    assert any(i.startswith("indicators.x.function: unknown indicator 'NOSUCH'") for i in issues)
    assert any(i.startswith("long.entry.any[0].gt[0]: unknown indicator 'macd'") for i in issues)
    assert (
        "long.entry.any[1].lt[0]: indicator 'stoch' has several outputs: name one (have: stoch.slowk, stoch.slowd)"
        in issues
    )
    assert "long.entry.any[2].gt[0]: timeframe '1w' is not in universe.higher_timeframes (have: 1d)" in issues
    assert len(issues) == 6


def test_structural_errors_carry_their_path() -> None:
    doc = _doc(
        long={"entry": {"all": [{"lt": ["rsi", 30]}, {"above": ["rsi", 3]}]}}, execution={"orders": {"count": 0}}
    )
    issues = _issues(doc)
    assert issues[0].startswith("long.entry.all[1]: a condition is an object with exactly one operator key")
    assert issues[1].startswith("execution.orders.count: Input should be greater than or equal to 1")


def test_pattern_needs_a_candlestick_indicator() -> None:
    doc = _doc(long={"entry": {"pattern": {"indicator": "rsi", "direction": "bullish"}}})
    assert _issues(doc) == ["long.entry.pattern.indicator: 'rsi' is not a candlestick pattern indicator"]


def test_ranges_are_checked_value_by_value() -> None:
    doc = _doc(
        indicators={**BASE["indicators"], "rsi": {"function": "RSI", "params": {"timeperiod": {"values": [14, 1]}}}}
    )
    assert _issues(doc) == ["indicators.rsi.params.timeperiod: RSI.timeperiod must be between 2 and 100000"]


def test_risk_sizing_needs_a_stop() -> None:
    doc = _doc(execution={"size": {"mode": "risk_percent", "value": 1}})
    assert _issues(doc) == ["execution: risk_percent sizing needs exits.stop_loss to measure the risk"]


def test_fractional_symbols_belong_to_the_universe() -> None:
    doc = _doc(universe={"symbols": ["NVDA"], "fractional_symbols": ["BTC-USD"]})
    assert _issues(doc) == ["universe: fractional_symbols not in symbols: BTC-USD"]


def test_shorthand_indicators() -> None:
    assert Indicator.model_validate("STOCH(14, 3, slowd_period=5)").model_dump() == {
        "function": "STOCH",
        "params": {"slowd_period": 5.0},
        "args": (14.0, 3.0),
        "inputs": {},
    }
    assert Indicator.model_validate("CDLENGULFING").function == "CDLENGULFING"
    with pytest.raises(ValueError, match="positional arguments must come before named ones"):
        Indicator.model_validate("STOCH(fastk_period=14, 3)")


def test_bad_files_are_one_issue_each(tmp_path: Path) -> None:
    broken = tmp_path / "s.json"
    broken.write_text("{not json")
    with pytest.raises(StrategyInvalid, match="is not valid JSON"):
        load_strategy(broken)
    with pytest.raises(StrategyInvalid, match="cannot read"):
        load_strategy(tmp_path / "missing.json")


def test_yaml_documents_load(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: yaml\nuniverse: {symbols: [NVDA]}\nindicators: {rsi: 'RSI(14)'}\nlong:\n  entry: {lt: [rsi, 30]}\n"
    )
    assert load_strategy(path).indicators["rsi"].args == (14.0,)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_valid_and_round_trip(path: Path) -> None:
    strategy = load_strategy(path)
    assert parse_strategy(json.loads(strategy.model_dump_json(by_alias=True))) == strategy


def test_examples_are_the_three_of_the_issue() -> None:
    assert [p.stem for p in EXAMPLES] == ["rsi_reversal", "sma_cross", "stoch_engulfing_ladder"]


def test_published_schema_is_current() -> None:
    assert (ROOT / "docs" / "strategy.schema.json").read_text() == render()
    assert "1e-12" in json.loads(render())["description"]


def test_strategy_model_is_frozen() -> None:
    strategy = parse_strategy(_doc())
    assert isinstance(strategy, Strategy)
    with pytest.raises(ValueError, match="frozen"):
        strategy.name = "x"  # type: ignore[misc]
