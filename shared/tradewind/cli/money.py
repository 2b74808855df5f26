"""`tradewind money ...` and `tradewind pelicanpay-sandbox`: operate the money services from a shell.

`run-due` is the same job EventBridge runs on AWS; `value` values a pool on demand
(the daily schedule does it on AWS); `reconcile` exits 1 when it finds mismatches,
so a cron job or CI step can alert on it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from pydantic import BaseModel

from tradewind.cli.arguments import parse_moment
from tradewind.cli.errors import CliError
from tradewind.funds.service import FundError
from tradewind.ledger.clock import utc_now
from tradewind.ledger.errors import LedgerError
from tradewind.payments.provider import ProviderError
from tradewind.payments.wiring import MoneyServices


def _services() -> MoneyServices:
    """The money services on the configured tables and provider (AWS_ENDPOINT_URL for the local cloud)."""
    from tradewind.adapters.ledger_wiring import money_services

    return money_services()


def _print(model: BaseModel) -> None:
    print(model.model_dump_json(indent=2))


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Refusals of the money services are user-facing: one line, exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (LedgerError, FundError, ProviderError) as error:
            raise CliError(str(error)) from None

    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    money = subparsers.add_parser("money", help="ledger balances, statements, pool valuations, reconciliation")
    commands = money.add_subparsers(dest="money_command", metavar="COMMAND", required=True)

    balance = commands.add_parser("balance", help="posted, pending and available balance of an account")
    balance.add_argument("account")
    balance.set_defaults(func=_guarded(_balance))

    statement = commands.add_parser("statement", help="opening balance, entries and closing balance of a period")
    statement.add_argument("account")
    statement.add_argument("--from", dest="start", type=parse_moment, required=True)
    statement.add_argument("--to", dest="end", type=parse_moment, required=True)
    statement.set_defaults(func=_guarded(_statement))

    due = commands.add_parser("run-due", help="scheduled payments, hold expiry and withdrawal recovery, once")
    due.add_argument("--at", type=parse_moment, help="the instant to run for (default: now)")
    due.set_defaults(func=_guarded(_run_due))

    value = commands.add_parser("value", help="value a strategy pool: mark, fees, NAV, dealing")
    value.add_argument("pool")
    value.add_argument("--positions", type=int, required=True, help="market value of the positions, minor units")
    value.add_argument("--at", type=parse_moment, help="valuation instant (default: now)")
    value.set_defaults(func=_guarded(_value))

    reconcile = commands.add_parser("reconcile", help="compare the ledger with PelicanPay's payments")
    reconcile.add_argument("--currency", default="USD")
    reconcile.add_argument("--from", dest="start", type=parse_moment, required=True)
    reconcile.add_argument("--to", dest="end", type=parse_moment, required=True)
    reconcile.set_defaults(func=_guarded(_reconcile))

    sandbox = subparsers.add_parser("pelicanpay-sandbox", help="serve the PelicanPay sandbox on loopback")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8790)
    sandbox.add_argument("--api-key", default="sandbox-api-key")
    sandbox.add_argument("--webhook-secret", default="sandbox-webhook-secret")
    sandbox.add_argument("--webhook-url", help="where to POST signed webhooks")
    sandbox.set_defaults(func=_sandbox)


def _balance(args: argparse.Namespace) -> int:
    _print(_services().ledger.balance(args.account))
    return 0


def _statement(args: argparse.Namespace) -> int:
    _print(_services().ledger.statement(args.account, args.start, args.end))
    return 0


def _run_due(args: argparse.Namespace) -> int:
    _print(_services().run_due(args.at or utc_now()))
    return 0


def _value(args: argparse.Namespace) -> int:
    _print(_services().funds.value(args.pool, args.at or utc_now(), args.positions))
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    report = _services().reconciler.reconcile(args.currency, args.start, args.end)
    _print(report)
    return 1 if report.mismatches else 0


def _sandbox(args: argparse.Namespace) -> int:
    try:
        from local.sandboxes.pelicanpay import PelicanPaySandbox
    except ModuleNotFoundError:
        raise CliError("the sandbox ships with the development install (pip install -e '.[dev]')") from None
    try:
        server = PelicanPaySandbox(args.api_key, args.webhook_secret, args.host, args.port)
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    with server as sandbox:
        sandbox.configure(webhook_url=args.webhook_url)
        print(json.dumps({"url": sandbox.url, "webhook_url": args.webhook_url}))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
