"""Entry point of the `tradewind` console script.

Each area registers its own sub-commands (`register(subparsers)`), so this file
stays a table of contents. Errors a user can fix print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from tradewind import __version__
from tradewind.cli.errors import CliError

# Modules that add sub-commands; `local.cli` ships only with the development install.
COMMAND_MODULES: tuple[str, ...] = (
    "local.cli",
    "tradewind.cli.data",
    "tradewind.cli.indicators",
    "tradewind.cli.backtest",
    "tradewind.cli.money",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradewind",
        description="Tradewind: automated trading and investment platform.",
    )
    parser.add_argument("--version", action="version", version=f"tradewind {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        module.register(subparsers)
    return parser


def _first_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "input"
        lines.append(f"{path}: {err['msg']}")
    return "; ".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int | None = args.func(args)
    except CliError as exc:
        print(f"tradewind: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:
        print(f"tradewind: error: {_first_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
