"""`tradewind backtest` and `tradewind optimize`: run a strategy file on bar files or stored symbols."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from tradewind.adapters.market_store_local import local_market_store
from tradewind.backtest.data import is_file_source, load_bars, symbol_of
from tradewind.backtest.engine import BacktestError, BacktestOptions
from tradewind.backtest.report import BacktestReport, backtest
from tradewind.cli.arguments import parse_moment
from tradewind.cli.errors import CliError
from tradewind.execution.policy import FillTiming
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.timeframe import Timeframe
from tradewind.optimize.search import Constraint, OptimizeRequest, SearchMethod, optimize
from tradewind.optimize.walkforward import WalkForward, walk_forward
from tradewind.settings import get_settings
from tradewind.strategy.model import Strategy
from tradewind.strategy.validation import StrategyInvalid, load_strategy

_SUMMARY = (
    "final_equity",
    "return_pct",
    "buy_hold_return_pct",
    "trades",
    "win_rate_pct",
    "profit_factor",
    "sharpe",
    "sortino",
    "max_drawdown_pct",
    "exposure_pct",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("strategy", type=Path, help="strategy file (JSON or YAML)")
    common.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="SOURCE",
        help="bar file (CSV/Parquet) or stored symbol; repeat or write SYMBOL=SOURCE for several symbols",
    )
    common.add_argument("--timeframe", choices=[t.value for t in Timeframe], help="default: the strategy's")
    common.add_argument("--from", dest="start", type=parse_moment, help="first bar (ISO date or datetime, UTC)")
    common.add_argument("--to", dest="end", type=parse_moment, help="last bar, inclusive")
    common.add_argument("--cash", type=float, default=10_000.0, help="starting cash (default 10000)")
    common.add_argument("--commission", type=float, help="commission rate per fill, e.g. 0.002 for 0.2%%")
    common.add_argument("--fill", choices=[f.value for f in FillTiming], help="market fills: next_open or close")
    common.add_argument("--store", type=Path, metavar="DIR", help="market-data store (default: $TRADEWIND_DATA_DIR)")
    common.add_argument("--json", action="store_true", help="print one JSON object")

    run = subparsers.add_parser("backtest", parents=[common], help="backtest a strategy and report its trades")
    run.add_argument("--report", type=Path, metavar="FILE.html", help="write the interactive HTML report")
    run.add_argument("--csv", type=Path, metavar="DIR", help="write trades.csv and equity.csv into DIR")
    run.set_defaults(func=_backtest)

    opt = subparsers.add_parser("optimize", parents=[common], help="search the strategy's parameter ranges")
    opt.add_argument("--method", choices=[m.value for m in SearchMethod], default=SearchMethod.GRID.value)
    opt.add_argument("--samples", type=int, default=100, help="parameter sets tried by random search")
    opt.add_argument("--seed", type=int, default=1)
    opt.add_argument(
        "--objective", default="sharpe", help="metric to maximise, or -metric to minimise (default sharpe)"
    )
    opt.add_argument("--constraint", action="append", default=[], metavar="EXPR", help="e.g. 'trades>=30' (repeatable)")
    opt.add_argument("--top", type=int, default=10, help="results listed")
    opt.add_argument("--workers", type=int, help="processes (default: all cores)")
    opt.add_argument(
        "--walk-forward",
        metavar="TRAIN:TEST",
        help="rolling windows in bars, e.g. 1000:250: optimize on TRAIN, score the next TEST, stitch the tests",
    )
    opt.set_defaults(func=_optimize)


def _progress(enabled: bool) -> Callable[[int, int], None]:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show if enabled and sys.stderr.isatty() else (lambda done, total: None)


def _inputs(
    args: argparse.Namespace, progress: Callable[[int, int], None] = lambda done, total: None
) -> tuple[Strategy, dict[str, pd.DataFrame], BacktestOptions]:
    try:
        strategy = load_strategy(args.strategy)
    except StrategyInvalid as exc:
        lines = [f"{args.strategy}: {len(exc.issues)} problem(s)", *(f"  {issue}" for issue in exc.issues)]
        raise CliError("\n".join(lines)) from None
    timeframe = Timeframe(args.timeframe) if args.timeframe else strategy.universe.timeframe
    if timeframe is not strategy.universe.timeframe:
        document = strategy.model_dump(by_alias=True)
        document["universe"]["timeframe"] = timeframe
        try:
            strategy = Strategy.model_validate(document)
        except ValidationError as exc:
            raise CliError(f"--timeframe {timeframe}: {_one_line(exc)}") from None
    data: dict[str, pd.DataFrame] = {}
    for loaded, item in enumerate(args.data):
        progress(loaded, len(args.data) + 1)
        symbol, sep, source = item.partition("=")
        if not sep:
            symbol, source = symbol_of(item), item
        if symbol in data:
            raise CliError(f"--data gives {symbol} twice")
        try:
            store = None if is_file_source(source) else local_market_store(args.store or get_settings().data_dir)
            data[symbol] = load_bars(source, timeframe, store, args.start, args.end)
        except (MarketDataError, ValueError, OSError) as exc:
            raise CliError(f"--data {item}: {exc}") from None
        if data[symbol].empty:
            raise CliError(f"--data {item}: no bars in the requested range")
    options = BacktestOptions(cash=args.cash, commission=args.commission, fill=args.fill)
    return strategy, data, options


def _backtest(args: argparse.Namespace) -> int:
    progress = _progress(not args.json)
    strategy, data, options = _inputs(args, progress)
    progress(len(args.data), len(args.data) + 1)
    try:
        report = backtest(strategy, data, options)
    except BacktestError as exc:
        raise CliError(str(exc)) from None
    progress(len(args.data) + 1, len(args.data) + 1)
    _write_outputs(report, args)
    if args.json:
        print(report.to_json())
        return 0
    summary = report.to_dict()
    print(f"{strategy.name} on {', '.join(data)}: {report.metrics.start:%Y-%m-%d} .. {report.metrics.end:%Y-%m-%d}")
    for key in _SUMMARY:
        value = summary[key]
        print(f"  {key:<22} {value:,.4f}" if isinstance(value, float) else f"  {key:<22} {value}")
    return 0


def _write_outputs(report: BacktestReport, args: argparse.Namespace) -> None:
    from tradewind.backtest.html import render_html

    try:
        if args.report is not None:
            args.report.write_text(render_html(report), encoding="utf-8")
        if args.csv is not None:
            args.csv.mkdir(parents=True, exist_ok=True)
            (args.csv / "trades.csv").write_text(report.trades_csv(), encoding="utf-8")
            (args.csv / "equity.csv").write_text(report.equity_csv(), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write report: {exc}") from None


def _optimize(args: argparse.Namespace) -> int:
    strategy, data, options = _inputs(args)
    try:
        request = OptimizeRequest(
            method=SearchMethod(args.method),
            samples=args.samples,
            seed=args.seed,
            objective=args.objective,
            constraints=tuple(Constraint.parse(text) for text in args.constraint),
            workers=args.workers,
        )
        windows = _windows(args.walk_forward) if args.walk_forward else None
    except ValidationError as exc:
        raise CliError(_one_line(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    progress = _progress(not args.json)
    try:
        if windows is not None:
            found = walk_forward(strategy, data, options, request, windows, progress=progress)
            result: dict[str, Any] = found.to_dict()
        else:
            result = optimize(strategy, data, options, request, progress=progress).to_dict(top=args.top)
    except (BacktestError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(result, indent=1, allow_nan=False, default=str))
    else:
        _print_optimization(result)
    return 0


def _windows(text: str) -> WalkForward:
    match = re.fullmatch(r"(\d+)(?::(\d+))?", text)
    if match is None:
        raise ValueError(f"--walk-forward {text!r}: write TRAIN:TEST in bars, e.g. 1000:250")
    return WalkForward(train_bars=int(match.group(1)), test_bars=int(match.group(2) or 0))


def _one_line(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
        if e["loc"]
        else e["msg"].removeprefix("Value error, ")
        for e in exc.errors()
    )


_COLUMNS = ("trades", "return_pct", "sharpe", "max_drawdown_pct", "win_rate_pct", "profit_factor")


def _number(value: object) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else "-" if value is None else str(value)


def _print_optimization(result: dict[str, Any]) -> None:
    if "windows" in result:
        print(f"walk-forward, objective {result['objective']}: {len(result['windows'])} windows")
        for window in result["windows"]:
            print(
                f"  test {window['test_start'][:10]} .. {window['test_end'][:10]}"
                f"  out-of-sample {window['out_of_sample_return_pct']:8.2f} %  params {window['params']}"
            )
        print(
            f"stitched out of sample: return {result['return_pct']:.2f} %, sharpe {_number(result['sharpe'])},"
            f" max drawdown {result['max_drawdown_pct']:.2f} %"
        )
        return
    print(
        f"{result['method']} search, objective {result['objective']}"
        f"{', ' + ', '.join(result['constraints']) if result['constraints'] else ''}:"
        f" {result['feasible']} of {result['evaluated']} parameter sets feasible"
    )
    names = list(result["dimensions"])
    print("  " + "  ".join(f"{n.rsplit('.', 1)[-1]:>14}" for n in names) + "".join(f"{c:>18}" for c in _COLUMNS))
    for row in result["ranked"]:
        params = "  ".join(f"{row['params'][n]:>14g}" for n in names)
        print("  " + params + "".join(f"{_number(row[c]):>18}" for c in _COLUMNS))
    guard = result["deflated_sharpe"]
    if guard is not None:
        verdict = "the winner beats luck" if guard >= 0.95 else "the winner is not distinguishable from luck"
        print(f"deflated Sharpe ratio of the winner: {guard:.3f} ({verdict} at 0.95)")
