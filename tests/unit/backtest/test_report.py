"""The trade report: metrics against hand computation, the outputs, and the `tradewind backtest` command."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.market_store_local import local_market_store
from tradewind.backtest.engine import BacktestOptions
from tradewind.backtest.html import _payload, render_html
from tradewind.backtest.metrics import drawdown, probabilistic_sharpe
from tradewind.backtest.montecarlo import resample_trades
from tradewind.backtest.report import backtest
from tradewind.cli.main import main
from tradewind.marketdata.models import Adjustment, SeriesKey
from tradewind.marketdata.timeframe import Timeframe
from tradewind.strategy.validation import load_strategy, parse_strategy

from .conftest import EXAMPLES, NVDA_CSV


def _frame(closes: list[float]) -> pd.DataFrame:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    times = pd.DatetimeIndex([start + timedelta(days=i) for i in range(len(closes))])
    return pd.DataFrame({"time": times, "open": closes, "high": closes, "low": closes, "close": closes, "volume": 0.0})


def test_metrics_of_a_hand_checked_run() -> None:
    strategy = parse_strategy(
        {
            "name": "hand",
            "universe": {"symbols": ["AAA"]},
            "long": {"entry": {"lt": ["close", 10.5]}, "exit": {"gt": ["close", 11.5]}},
        }
    )
    closes = [10.0, 10.0, 11.0, 12.0, 12.0, 9.0, 10.0, 12.0, 12.0]
    report = backtest(strategy, {"AAA": _frame(closes)}, BacktestOptions(cash=1000.0))
    m = report.metrics
    # close 10 < 10.5 at bar 0: buy 100 @ 10 (open of bar 1); close 12 at bar 3: sell @ 12 (bar 4);
    # close 9 at bar 5: buy 120 @ 10 (bar 6); close 12 at bar 7: sell @ 12 (bar 8).
    assert [(t.entry_price, t.exit_price, t.size, t.exit_reason) for t in report.trades] == [
        (10.0, 12.0, 100.0, "signal"),
        (10.0, 12.0, 120.0, "signal"),
    ]
    assert m.trades == 2
    assert m.final_equity == pytest.approx(1440.0)
    assert m.return_pct == pytest.approx(44.0)
    assert m.buy_hold_return_pct == pytest.approx(20.0)
    assert m.win_rate_pct == 100.0
    assert m.profit_factor is None  # no losing trade: undefined, not infinite
    assert m.best_trade_pct == pytest.approx(20.0)
    assert m.max_drawdown_pct == pytest.approx(0.0)
    assert m.exposure_pct == pytest.approx(100 * 5 / 9)
    assert m.expectancy == pytest.approx(220.0)


def test_drawdown_and_probabilistic_sharpe() -> None:
    assert drawdown(np.array([100.0, 120.0, 90.0, 130.0])).tolist() == pytest.approx([0.0, 0.0, 0.25, 0.0])
    rng = np.random.default_rng(5)
    good = rng.normal(0.002, 0.01, 2000)
    psr = probabilistic_sharpe(good)
    assert psr is not None and psr > 0.99
    bad = probabilistic_sharpe(-good)
    assert bad is not None and bad < 0.01
    assert probabilistic_sharpe(np.zeros(10)) is None


def test_monte_carlo_is_seeded_and_ordered() -> None:
    returns = np.array([0.05, -0.02, 0.03, -0.04, 0.01])
    first, second = resample_trades(returns), resample_trades(returns)
    assert first == second and first is not None
    values = list(first.return_pct.values())
    assert values == sorted(values)
    assert resample_trades(np.array([0.1])) is None


def test_outputs_json_csv_and_offline_html(nvda: pd.DataFrame) -> None:
    strategy = load_strategy(EXAMPLES / "stoch_engulfing_ladder.json")
    report = backtest(strategy, {"NVDA": nvda}, BacktestOptions(commission=0.001))
    data = json.loads(report.to_json())
    assert data["trades"] == len(data["trade_list"]) == len(report.trades) > 0
    assert set(data["monte_carlo"]) == {"samples", "return_pct", "max_drawdown_pct", "probability_of_loss_pct"}
    trades_csv = report.trades_csv().splitlines()
    assert trades_csv[0].startswith("symbol,side,entry_time,exit_time") and len(trades_csv) == len(report.trades) + 1
    assert len(report.equity_csv().splitlines()) == len(nvda) + 1
    page = render_html(report)
    assert page.startswith("<!doctype html>") and "<canvas id='price'>" in page
    assert "src=" not in page and "http://" not in page.replace("http://www.w3", "")  # nothing fetched
    payload = json.loads(page.split("<script type='application/json' id='data'>")[1].split("</script>")[0])
    assert {s["name"] for s in payload["price"]} >= {"close"}
    assert {s["name"] for s in payload["lower"]} == {"stoch.slowk", "stoch.slowd"}
    assert len(payload["markers"]) == 2 * len(report.trades)


def test_cli_backtest_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    html_path, csv_dir = tmp_path / "r.html", tmp_path / "csv"
    code = main(
        [
            "backtest",
            str(EXAMPLES / "sma_cross.json"),
            "--data",
            str(NVDA_CSV),
            "--cash",
            "10000",
            "--commission",
            "0.002",
            "--json",
            "--report",
            str(html_path),
            "--csv",
            str(csv_dir),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in (
        "trades", "final_equity", "return_pct", "buy_hold_return_pct", "sharpe", "sortino",
        "max_drawdown_pct", "win_rate_pct", "profit_factor", "exposure_pct",
    ):  # fmt: skip
        assert isinstance(data[key], int | float) and math.isfinite(data[key]), key
    assert html_path.stat().st_size > 0 and (csv_dir / "trades.csv").exists() and (csv_dir / "equity.csv").exists()


def test_cli_from_to_limits_the_bars(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["backtest", str(EXAMPLES / "sma_cross.json"), "--data", str(NVDA_CSV), "--json"]
    assert main([*args, "--from", "2010-01-01", "--to", "2010-12-31"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["start"].startswith("2010-01-04") and data["end"].startswith("2010-12-31")


def test_cli_prints_every_strategy_problem_and_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "name": "bad",
                "universe": {"symbols": ["NVDA"]},
                "indicators": {"stoch": "STOCH"},
                "long": {"entry": {"all": [{"gt": ["rsi", 1]}, {"crosses_above": ["stoch.k", "stoch.slowd"]}]}},
            }
        )
    )
    assert main(["backtest", str(bad), "--data", str(NVDA_CSV)]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err
    assert "long.entry.all[0].gt[0]: unknown indicator 'rsi'" in err
    assert (
        "long.entry.all[1].crosses_above[0]: unknown indicator output 'stoch.k' (have: stoch.slowk, stoch.slowd)" in err
    )
    assert "Traceback" not in err


def test_cli_bad_data_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["backtest", str(EXAMPLES / "sma_cross.json"), "--data", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradewind: error: --data") and err.count("\n") == 1
    assert main(["backtest", str(EXAMPLES / "sma_cross.json"), "--data", "NOPE", "--store", str(tmp_path)]) == 2
    assert "no stored series NOPE/1d" in capsys.readouterr().err


def test_cli_timeframe_rebases_the_strategy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ladder = EXAMPLES / "stoch_engulfing_ladder.json"
    assert main(["backtest", str(ladder), "--data", str(NVDA_CSV), "--timeframe", "1w"]) == 2
    assert "higher timeframe 1w is not above 1w" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tradewind.cli import backtest as cli_backtest

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    bar = cli_backtest._progress(True)
    bar(1, 4)
    bar(4, 4)
    assert screen.getvalue() == "\r[#######.......................] 1/4\r[##############################] 4/4\n"
    quiet = Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    cli_backtest._progress(False)(1, 4)
    assert quiet.getvalue() == ""


_DOM_STUB = """
const fs = require('fs');
const html = fs.readFileSync(process.argv[2], 'utf8');
const data = html.split("<script type='application/json' id='data'>")[1].split('</script>')[0];
const script = html.split('<script>')[1].split('</script>')[0];
let segments = 0;
const context = () => new Proxy({}, {get: (t, k) => (k in t ? t[k] : (k === 'lineTo' ? () => segments++ : () => {})),
                                     set: (t, k, v) => { t[k] = v; return true; }});
const elements = {};
global.devicePixelRatio = 1;
global.window = {addEventListener: () => {}};
global.document = {getElementById: id => id === 'data' ? {textContent: data} : (elements[id] ||= {
  clientWidth: 800, clientHeight: 300, getContext: context, addEventListener: () => {}, remove: () => {},
  getBoundingClientRect: () => ({left: 0, width: 800})})};
eval(script);
console.log(segments);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_report_script_draws_every_chart(nvda: pd.DataFrame, tmp_path: Path) -> None:
    report = backtest(load_strategy(EXAMPLES / "sma_cross.json"), {"NVDA": nvda}, BacktestOptions())
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    stub = tmp_path / "stub.js"
    stub.write_text(_DOM_STUB)
    out = subprocess.run(["node", str(stub), str(page)], check=True, capture_output=True, text=True, timeout=60)
    payload = _payload(report)
    series = [*payload["price"], *payload["lower"], {"v": payload["equity"]}, {"v": payload["drawdown"]}]
    # One segment per defined point but the first of each series, two that close the drawdown fill,
    # and two per trade marker (a triangle).
    expected = sum(sum(v is not None for v in s["v"]) - 1 for s in series) + 2 + 2 * len(payload["markers"])
    assert int(out.stdout) == expected


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(["sma_cross", "rsi_reversal", "stoch_engulfing_ladder"]),
    broker=st.sampled_from(["paper", "alpaca", "ibkr"]),
    fill=st.sampled_from(["next_open", "close"]),
    commission=st.sampled_from([None, 0.001]),
)
def test_trade_pnl_adds_up_to_the_equity_change(
    seed: int, name: str, broker: str, fill: str, commission: float | None
) -> None:
    """Fees split across partial exits and ladder fills must neither vanish nor count twice."""
    rng = np.random.default_rng(seed)
    n = 600
    closes = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    opens = np.concatenate([[50.0], closes[:-1]]) * np.exp(rng.normal(0, 0.005, n))
    highs = np.maximum(opens, closes) * (1 + np.abs(rng.normal(0, 0.01, n)))
    lows = np.minimum(opens, closes) * (1 - np.abs(rng.normal(0, 0.01, n)))
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2020-01-06", periods=n, freq="1D", tz="UTC"),
            "open": opens,
            "high": highs,
            "low": lows,
            "close": closes,
            "volume": 0.0,
        }
    )
    strategy = load_strategy(EXAMPLES / f"{name}.json")
    strategy = strategy.model_copy(update={"universe": strategy.universe.model_copy(update={"broker": broker})})
    report = backtest(strategy, {"X": frame}, BacktestOptions(cash=5000.0, commission=commission, fill=fill))
    assert sum(t.pnl for t in report.trades) == pytest.approx(report.metrics.final_equity - 5000.0, abs=1e-6)
    assert all(t.fees >= 0 for t in report.trades)


def test_cli_reads_stored_symbols_and_runs_a_portfolio(
    nvda: pd.DataFrame, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = local_market_store(tmp_path)
    store.write(SeriesKey(symbol="NVDA", timeframe=Timeframe.D1), nvda, source="test", adjustment=Adjustment.NONE)
    base = ["backtest", str(EXAMPLES / "sma_cross.json"), "--store", str(tmp_path), "--json"]
    assert main([*base, "--data", "NVDA"]) == 0
    from_store = json.loads(capsys.readouterr().out)
    assert main([*base, "--data", str(NVDA_CSV)]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert from_store["final_equity"] == from_file["final_equity"] and from_store["trades"] == from_file["trades"]
    # Two symbols share one account: the same bars under two names, each sized on the shared cash.
    assert main([*base, "--data", "NVDA", "--data", f"COPY={NVDA_CSV}"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert both["symbols"] == ["NVDA", "COPY"]
    assert {t["symbol"] for t in both["trade_list"]} == {"NVDA"}  # all-in on the first leaves no cash
