"""`tradewind indicators`: the indicator catalog (the one the strategy builder uses) and values on stored bars."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from tradewind.adapters.market_store_local import local_market_store
from tradewind.cli.arguments import parse_moment
from tradewind.cli.errors import CliError
from tradewind.indicators import catalog
from tradewind.indicators.errors import IndicatorError
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.models import SeriesKey
from tradewind.marketdata.timeframe import Timeframe
from tradewind.settings import get_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("indicators", help="the indicator catalog")
    commands = parser.add_subparsers(dest="indicators_command", metavar="ACTION", required=True)
    lst = commands.add_parser("list", help="list indicators, by group")
    lst.add_argument("--group", help="only this group (e.g. 'Pattern Recognition')")
    lst.set_defaults(func=_list)
    describe = commands.add_parser("describe", help="inputs, parameters and outputs of one indicator")
    describe.add_argument("name")
    describe.set_defaults(func=_describe)
    compute = commands.add_parser("compute", help="an indicator's values on stored bars")
    compute.add_argument("name")
    compute.add_argument("--symbol", required=True)
    compute.add_argument("--timeframe", required=True, choices=[t.value for t in Timeframe])
    compute.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="repeatable")
    compute.add_argument("--from", dest="start", type=parse_moment, help="first time shown (ISO, UTC)")
    compute.add_argument("--to", dest="end", type=parse_moment, help="last time shown, inclusive")
    compute.add_argument("--limit", type=int, default=20, help="rows printed from each end")
    compute.add_argument("--store", type=Path, metavar="DIR", help="store folder (default: $TRADEWIND_DATA_DIR)")
    compute.set_defaults(func=_compute)


def _params(texts: list[str]) -> dict[str, float | int]:
    params: dict[str, float | int] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name or not math.isfinite(number):
            raise CliError(f"bad --param {text!r}: expected NAME=NUMBER")
        params[name.strip()] = int(number) if number.is_integer() and "." not in value else number
    return params


def _compute(args: argparse.Namespace) -> int:
    """Computes on the whole stored history, then shows the asked range: values never depend on --from."""
    key = SeriesKey(symbol=args.symbol.upper(), timeframe=Timeframe(args.timeframe))
    try:
        bars = local_market_store(args.store or get_settings().data_dir).read(key)
        outputs = catalog.compute(args.name, catalog.bar_arrays(bars), _params(args.param))
    except (MarketDataError, IndicatorError) as exc:
        raise CliError(str(exc)) from None
    table = pd.DataFrame({"time": bars["time"], **outputs})
    if args.start is not None:
        table = table.loc[table["time"] >= pd.Timestamp(args.start)]
    if args.end is not None:
        table = table.loc[table["time"] <= pd.Timestamp(args.end)]
    limit = max(args.limit, 1)
    shown = table if len(table) <= 2 * limit else pd.concat([table.head(limit), table.tail(limit)])
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(shown.to_string(index=False))
    print(f"{len(table)} rows")
    return 0


def _list(args: argparse.Namespace) -> int:
    groups = catalog.groups()
    if args.group is not None:
        match = {g: n for g, n in groups.items() if g.lower() == args.group.lower()}
        if not match:
            raise CliError(f"unknown group {args.group!r}; groups: {', '.join(groups)}")
        groups = match
    specs = catalog.specs()
    for group, names in groups.items():
        print(f"{group} ({len(names)})")
        for name in names:
            print(f"  {name:<20} {specs[name].display_name}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    try:
        spec = catalog.get(args.name)
    except IndicatorError as exc:
        raise CliError(str(exc)) from None
    print(f"{spec.name}: {spec.display_name}")
    print(f"group:   {spec.group}  (engine: {spec.engine})")
    inputs = [i.name if i.name == i.default_source else f"{i.name}<-{i.default_source}" for i in spec.inputs]
    print(f"inputs:  {', '.join(inputs)}")
    print("parameters:" if spec.parameters else "parameters: none")
    for p in spec.parameters:
        bounds = ""
        if p.choices is not None:
            bounds = "one of " + ", ".join(f"{k}={v}" for k, v in p.choices.items())
        elif p.minimum is not None or p.maximum is not None:
            bounds = f"{p.minimum} .. {p.maximum}"
        print(f"  {p.name:<14} {p.type:<7} default {p.default!s:<8} {bounds}  -- {p.help}")
    print("outputs:")
    for o in spec.outputs:
        flags = f"  ({'; '.join(o.flags)})" if o.flags else ""
        print(f"  {o.name}{flags}")
    if spec.flags:
        print(f"flags:   {'; '.join(spec.flags)}")
    if spec.output_convention:
        print(f"reading: {spec.output_convention}")
    return 0
