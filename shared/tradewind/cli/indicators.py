"""`tradewind indicators`: browse the indicator catalog (the same one the strategy builder uses)."""

from __future__ import annotations

import argparse

from tradewind.cli.errors import CliError
from tradewind.indicators import catalog
from tradewind.indicators.errors import IndicatorError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("indicators", help="the indicator catalog")
    commands = parser.add_subparsers(dest="indicators_command", metavar="ACTION", required=True)
    lst = commands.add_parser("list", help="list indicators, by group")
    lst.add_argument("--group", help="only this group (e.g. 'Pattern Recognition')")
    lst.set_defaults(func=_list)
    describe = commands.add_parser("describe", help="inputs, parameters and outputs of one indicator")
    describe.add_argument("name")
    describe.set_defaults(func=_describe)


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
