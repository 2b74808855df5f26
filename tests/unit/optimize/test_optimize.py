"""Parameter spaces, search, the chunk function a worker runs, the overfitting guard and walk-forward."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradewind.backtest.engine import BacktestOptions
from tradewind.backtest.report import backtest
from tradewind.cli.main import main
from tradewind.marketdata.importing import ImportOptions, import_file
from tradewind.marketdata.timeframe import Timeframe
from tradewind.optimize.chunk import run_chunk
from tradewind.optimize.overfitting import deflated_sharpe, expected_max_sharpe
from tradewind.optimize.search import Constraint, OptimizeRequest, SearchMethod, candidates, optimize
from tradewind.optimize.space import bind, dimensions
from tradewind.optimize.walkforward import WalkForward, walk_forward
from tradewind.strategy.validation import load_strategy, parse_strategy

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "strategies"
NVDA_CSV = ROOT / "data" / "samples" / "nvda-1d-1999-2014.csv"
OPTIONS = BacktestOptions(commission=0.002)


@pytest.fixture(scope="module")
def nvda() -> dict[str, pd.DataFrame]:
    frame = import_file(NVDA_CSV, ImportOptions(timeframe=Timeframe.D1)).frame
    return {"NVDA": frame.iloc[:1500].reset_index(drop=True)}


def test_dimensions_are_named_by_document_path() -> None:
    strategy = load_strategy(EXAMPLES / "rsi_reversal.json")
    assert [(d.path, len(d.values)) for d in dimensions(strategy)] == [
        ("indicators.rsi.params.timeperiod", 10),
        ("long.entry.lt[1]", 10),
        ("long.exit.gt[1]", 10),
    ]
    bound = bind(strategy, {"indicators.rsi.params.timeperiod": 12, "long.entry.lt[1]": 25})
    assert bound.indicators["rsi"].params["timeperiod"] == 12
    assert [d.path for d in dimensions(bound)] == ["long.exit.gt[1]"]
    with pytest.raises(ValueError, match="is not a parameter range"):
        bind(bound, {"long.entry.lt[1]": 20})


def test_grid_and_random_candidates() -> None:
    strategy = load_strategy(EXAMPLES / "rsi_reversal.json")
    grid = candidates(strategy, OptimizeRequest())
    assert len(grid) == 1000 and len({tuple(p.values()) for p in grid}) == 1000
    random = candidates(strategy, OptimizeRequest(method=SearchMethod.RANDOM, samples=25, seed=3))
    assert len(random) == 25 and len({tuple(p.values()) for p in random}) == 25
    assert random == candidates(strategy, OptimizeRequest(method=SearchMethod.RANDOM, samples=25, seed=3))
    assert all(p in grid for p in random)


def test_random_search_over_a_space_too_large_to_enumerate() -> None:
    wide = {"min": 0, "max": 99, "step": 1}
    strategy = parse_strategy(
        {
            "name": "wide",
            "universe": {"symbols": ["X"]},
            "long": {
                "entry": {
                    "all": [
                        {"gt": ["close", wide]},
                        {"lt": ["close", wide]},
                        {"gt": ["open", wide]},
                        {"lt": ["open", wide]},
                    ]
                }
            },
        }
    )
    with pytest.raises(ValueError, match="use --method random"):
        candidates(strategy, OptimizeRequest())
    points = candidates(strategy, OptimizeRequest(method=SearchMethod.RANDOM, samples=500, seed=9))
    assert len({tuple(p.values()) for p in points}) == 500
    assert all(
        set(p) == {f"long.entry.all[{i}].{op}[1]" for i, op in enumerate(("gt", "lt", "gt", "lt"))} for p in points
    )


def test_run_chunk_scores_equal_the_backtest(nvda: dict[str, pd.DataFrame]) -> None:
    strategy = load_strategy(EXAMPLES / "sma_cross.json")
    params = [{"indicators.sma_fast.params.timeperiod": 8, "indicators.sma_slow.params.timeperiod": 30}]
    [row] = run_chunk(strategy, nvda, params, OPTIONS)
    report = backtest(bind(strategy, params[0]), nvda, OPTIONS)
    assert row["params"] == params[0]
    assert row["final_equity"] == report.metrics.final_equity
    assert row["trades"] == report.metrics.trades
    assert json.loads(json.dumps(row)) == row  # a Lambda can return it as is


def test_constraints_parse_and_filter() -> None:
    constraint = Constraint.parse("trades>=30")
    assert (constraint.metric, constraint.op, constraint.value) == ("trades", ">=", 30.0)
    assert constraint.holds({"trades": 30}) and not constraint.holds({"trades": 29})
    assert not constraint.holds({"trades": None})
    for text, message in (("trades>=", "write METRIC OP NUMBER"), ("alpha>1", "unknown metric 'alpha'")):
        with pytest.raises(ValueError, match=message):
            Constraint.parse(text)
    with pytest.raises(ValueError, match="unknown objective"):
        OptimizeRequest(objective="alpha")


def test_optimize_ranks_feasible_sets_and_is_worker_independent(nvda: dict[str, pd.DataFrame]) -> None:
    strategy = load_strategy(EXAMPLES / "rsi_reversal.json")
    request = OptimizeRequest(
        method=SearchMethod.RANDOM,
        samples=12,
        objective="return_pct",
        constraints=(Constraint.parse("trades>=5"),),
        chunk_size=4,
    )
    single = optimize(strategy, nvda, OPTIONS, request.model_copy(update={"workers": 1}))
    pooled = optimize(strategy, nvda, OPTIONS, request.model_copy(update={"workers": 2}))
    assert single == pooled
    assert single.evaluated == 12
    returns = [r["return_pct"] for r in single.ranked]
    assert returns == sorted(returns, reverse=True)
    assert all(r["trades"] >= 5 for r in single.ranked)
    assert single.best == single.ranked[0]
    assert single.deflated_sharpe is None or 0.0 <= single.deflated_sharpe <= 1.0


def test_a_minus_objective_is_minimised(nvda: dict[str, pd.DataFrame]) -> None:
    strategy = load_strategy(EXAMPLES / "sma_cross.json")
    request = OptimizeRequest(method=SearchMethod.RANDOM, samples=6, objective="-max_drawdown_pct", workers=1)
    result = optimize(strategy, nvda, OPTIONS, request)
    drawdowns = [r["max_drawdown_pct"] for r in result.ranked]
    assert drawdowns == sorted(drawdowns) and len(drawdowns) == 6


def test_deflated_sharpe_penalises_many_trials() -> None:
    rng = np.random.default_rng(11)
    returns = rng.normal(0.0005, 0.01, 1000)
    few = deflated_sharpe(returns, rng.normal(0, 0.01, 2))
    many = deflated_sharpe(returns, rng.normal(0, 0.01, 5000))
    assert few is not None and many is not None and many < few
    assert expected_max_sharpe(np.array([0.0, 0.02, -0.02, 0.01])) > 0
    assert deflated_sharpe(returns, np.array([0.1])) is None


def test_walk_forward_stitches_out_of_sample_windows(nvda: dict[str, pd.DataFrame]) -> None:
    strategy = load_strategy(EXAMPLES / "sma_cross.json")
    request = OptimizeRequest(method=SearchMethod.RANDOM, samples=4, objective="return_pct", workers=1)
    result = walk_forward(strategy, nvda, OPTIONS, request, WalkForward(train_bars=500, test_bars=250))
    assert len(result.windows) == 4  # (1500 - 500) / 250
    assert [w.test_start for w in result.windows] == sorted(w.test_start for w in result.windows)
    chained = np.prod([1 + w.out_of_sample_return_pct / 100 for w in result.windows])
    assert result.return_pct == pytest.approx((chained - 1) * 100)
    with pytest.raises(ValueError, match="too few"):
        walk_forward(strategy, nvda, OPTIONS, request, WalkForward(train_bars=1400, test_bars=200))


def test_cli_optimize_table_and_walk_forward(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "optimize",
        str(EXAMPLES / "sma_cross.json"),
        "--data",
        str(NVDA_CSV),
        "--to",
        "2004-12-31",
        "--workers",
        "1",
    ]
    assert main([*args, "--method", "random", "--samples", "5", "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "random search, objective sharpe: 5 of 5 parameter sets feasible"
    assert lines[1].split() == [
        "timeperiod",
        "timeperiod",
        "trades",
        "return_pct",
        "sharpe",
        "max_drawdown_pct",
        "win_rate_pct",
        "profit_factor",
    ]
    assert len(lines) == 5 and lines[4].startswith("deflated Sharpe ratio of the winner: ")
    assert main([*args, "--method", "random", "--samples", "2", "--walk-forward", "600:300"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "walk-forward, objective sharpe: 2 windows"  # 1,496 bars: tests start at 600 and 900
    assert out[-1].startswith("stitched out of sample: return ")


def test_cli_optimize_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["optimize", str(EXAMPLES / "sma_cross.json"), "--data", str(NVDA_CSV), "--to", "2004-12-31"]
    code = main(
        [*args, "--method", "random", "--samples", "6", "--workers", "1", "--constraint", "trades>=3", "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["evaluated"] == 6 and data["constraints"] == ["trades>=3"]
    assert set(data["dimensions"]) == {"indicators.sma_fast.params.timeperiod", "indicators.sma_slow.params.timeperiod"}
    assert main([*args, "--objective", "alpha"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradewind: error: objective: unknown objective 'alpha'") and err.count("\n") == 1
    assert main([*args, "--walk-forward", "1000-250"]) == 2
    assert "write TRAIN:TEST in bars" in capsys.readouterr().err
    assert main([*args, "--walk-forward", "5:5"]) == 2
    assert capsys.readouterr().err.startswith(
        "tradewind: error: train_bars: Input should be greater than or equal to 20"
    )
