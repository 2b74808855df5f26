"""`tradewind data`: import files into the market-data lake, list what it holds, show a range."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from tradewind.adapters.market_store_local import local_market_store
from tradewind.cli.arguments import parse_moment
from tradewind.cli.errors import CliError
from tradewind.marketdata.errors import MarketDataError
from tradewind.marketdata.importing import ImportOptions, ImportRejected, import_file, mapping_from_text
from tradewind.marketdata.models import DataKind, SeriesKey
from tradewind.marketdata.store import MarketStore
from tradewind.marketdata.timeframe import Timeframe
from tradewind.settings import get_settings

_SHOW_LIMIT = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", type=Path, metavar="DIR", help="store folder (default: $TRADEWIND_DATA_DIR)")
    series = argparse.ArgumentParser(add_help=False)
    series.add_argument("--timeframe", choices=[t.value for t in Timeframe], help="bar timeframe")
    series.add_argument("--kind", choices=[k.value for k in DataKind], default=DataKind.BARS.value)

    data = subparsers.add_parser("data", help="market data: import, list, show")
    commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    imp = commands.add_parser("import", parents=[store, series], help="import a CSV or Parquet file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--symbol", required=True)
    imp.add_argument("--columns", default="", metavar="MAP", help="column mapping, e.g. time=Datetime,close=Last")
    imp.add_argument("--time-format", help="strptime format of the timestamps (default: inferred)")
    imp.add_argument("--dayfirst", action="store_true", help="read 02/03/2010 as 2 March")
    imp.add_argument("--tz", default="UTC", help="time zone of timestamps without one (default UTC)")
    imp.add_argument("--adjust", action="store_true", help="back-adjust OHLC with the Adj Close column")
    imp.add_argument("--repair", action="store_true", help="drop or fix bad rows instead of rejecting the file")
    imp.set_defaults(func=_import)

    lst = commands.add_parser("list", parents=[store], help="list stored series")
    lst.set_defaults(func=_list)

    show = commands.add_parser("show", parents=[store, series], help="print stored rows")
    show.add_argument("symbol")
    show.add_argument("--from", dest="start", type=parse_moment, help="first time (ISO date or datetime, UTC)")
    show.add_argument("--to", dest="end", type=parse_moment, help="last time, inclusive")
    show.add_argument("--limit", type=int, default=_SHOW_LIMIT, help="rows printed from each end")
    show.set_defaults(func=_show)


def _store(args: argparse.Namespace) -> MarketStore:
    return local_market_store(args.store or get_settings().data_dir)


def _key(args: argparse.Namespace, symbol: str) -> SeriesKey:
    kind = DataKind(args.kind)
    timeframe = Timeframe(args.timeframe) if args.timeframe else None
    if kind is DataKind.BARS and timeframe is None:
        raise CliError("bars need --timeframe")
    if kind is not DataKind.BARS and timeframe is not None:
        raise CliError(f"{kind} have no timeframe")
    return SeriesKey(symbol=symbol.upper(), kind=kind, timeframe=timeframe)


def _import(args: argparse.Namespace) -> int:
    key = _key(args, args.symbol)
    try:
        options = ImportOptions(
            kind=key.kind,
            timeframe=key.timeframe,
            columns=dict(mapping_from_text(args.columns)),
            time_format=args.time_format,
            dayfirst=args.dayfirst,
            timezone=args.tz,
            adjust=args.adjust,
            repair=args.repair,
        )
        result = import_file(args.file, options)
        meta = _store(args).write(key, result.frame, source=args.file.name, adjustment=result.adjustment)
    except ImportRejected as exc:
        print(exc.report.summary(), file=sys.stderr)
        raise CliError(str(exc)) from None
    except MarketDataError as exc:
        raise CliError(str(exc)) from None
    if result.report.issues:
        print(result.report.summary())
        print(f"repaired: {len(result.report.issues)} bad row(s) dropped or fixed")
    print(
        f"imported {result.report.rows_kept} of {result.report.rows_read} rows into {key}; "
        f"{key} now holds {meta.rows} rows {meta.first:%Y-%m-%d %H:%M} .. {meta.last:%Y-%m-%d %H:%M} UTC "
        f"(adjustment: {meta.adjustment})"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    series = _store(args).list_series()
    if not series:
        print("no series stored")
        return 0
    print(f"{'SERIES':<24} {'ROWS':>9}  {'FIRST (UTC)':<17} {'LAST (UTC)':<17} {'ADJUSTMENT':<24} SOURCE")
    for meta in series:
        print(
            f"{meta.key!s:<24} {meta.rows:>9}  {meta.first:%Y-%m-%d %H:%M} {'':<0}{meta.last:%Y-%m-%d %H:%M}"
            f"  {meta.adjustment!s:<24} {meta.source}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    key = _key(args, args.symbol)
    if args.start and args.end and args.start > args.end:
        raise CliError("--from is after --to")
    try:
        frame = _store(args).read(key, args.start, args.end)
    except MarketDataError as exc:
        raise CliError(str(exc)) from None
    if frame.empty:
        print(f"no rows of {key} in that range")
        return 0
    limit = max(args.limit, 1)
    shown = frame if len(frame) <= 2 * limit else pd.concat([frame.head(limit), frame.tail(limit)])
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(shown.to_string(index=False))
    print(f"{len(frame)} rows")
    return 0
