"""Ledger throughput: the core on the in-memory repository, Beancount as a peer, the DynamoDB adapter on moto.

    .venv/bin/python benchmarks/ledger.py [--transfers 20000] [--dynamo-transfers 400] [--repeat 3]

The workload is the same everywhere: every investor is credited by a deposit from
the provider clearing account, then random investor-to-investor transfers
follow. Our ledger commits each transfer on its own (validation, idempotency
key, per-account netting, non-negative checks, history entry); Beancount parses,
books and validates the same transactions as one batch (balance checks of every
transaction), which is its only mode. moto measures the adapter's own cost
(request building, serialization, condition mapping) plus moto's own cost, which
grows with the table (it copies tables to make transactions atomic), not AWS latency.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from tradewind.adapters.ledger_dynamodb import DynamoLedgerRepository
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.errors import InsufficientFundsError
from tradewind.ledger.memory import InMemoryLedgerRepository
from tradewind.ledger.models import Leg, TransferRequest
from tradewind.ledger.ports import LedgerRepository
from tradewind.ledger.service import Ledger
from tradewind.resources import TABLES

START = datetime(2026, 1, 1, tzinfo=UTC)


def workload(transfers: int, investors: int, seed: int = 7) -> list[tuple[str, str, int]]:
    """(sender, receiver, amount) in minor units; 'clearing' funds each investor first."""
    rng = random.Random(seed)
    steps = [("clearing", f"u{i}", 1_000_000) for i in range(investors)]
    while len(steps) < transfers:
        a, b = rng.sample(range(investors), 2)
        steps.append((f"u{a}", f"u{b}", rng.randint(1, 20_000)))
    return steps


def investors_of(steps: list[tuple[str, str, int]]) -> int:
    return sum(1 for sender, _, _ in steps if sender == "clearing")


def run_tradewind(repository: LedgerRepository, steps: list[tuple[str, str, int]]) -> float:
    investors = investors_of(steps)
    clock = ManualClock(START)
    ledger = Ledger(repository, clock)
    for account in chart.platform_accounts("USD"):
        ledger.open_account(account)
    for i in range(investors):
        ledger.open_account(chart.investor_cash_account(f"u{i}", "USD"))
    account_of = {f"u{i}": chart.investor_cash(f"u{i}", "USD") for i in range(investors)}
    account_of["clearing"] = chart.provider_clearing("USD")
    started = time.perf_counter()
    for n, (sender, receiver, amount) in enumerate(steps):
        clock.advance(timedelta(milliseconds=1))
        request = TransferRequest(
            id=f"t-{n}",
            legs=(
                Leg(account_id=account_of[sender], amount=-amount, currency="USD"),
                Leg(account_id=account_of[receiver], amount=amount, currency="USD"),
            ),
        )
        try:
            ledger.transfer(request)
        except InsufficientFundsError:
            continue
    return time.perf_counter() - started


def run_beancount(steps: list[tuple[str, str, int]]) -> float:
    from beancount import loader

    names = {f"u{i}": f"Liabilities:Investors:U{i}" for i in range(investors_of(steps))}
    names["clearing"] = "Assets:Clearing"
    lines = [f"2026-01-01 open {name} USD" for name in names.values()]
    for n, (sender, receiver, amount) in enumerate(steps):
        lines += [
            f'2026-01-02 * "t-{n}"',
            f"  {names[sender]}  {amount / 100:.2f} USD",
            f"  {names[receiver]}  -{amount / 100:.2f} USD",
        ]
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    _, errors, _ = loader.load_string(text)
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"beancount refused the workload: {errors[0]}")
    return elapsed


def run_dynamo(steps: list[tuple[str, str, int]]) -> float:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for logical in ("ledger", "accounts"):
            client.create_table(**TABLES[logical].create_table_args("bench"))
        repository = DynamoLedgerRepository(
            TABLES["ledger"].physical("bench"), TABLES["accounts"].physical("bench"), client
        )
        return run_tradewind(repository, steps)


def best(runs: int, measure: Callable[[], float]) -> tuple[float, float]:
    times = [measure() for _ in range(runs)]
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=20_000)
    parser.add_argument("--dynamo-transfers", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    steps = workload(args.transfers, investors=200)
    dynamo_steps = workload(args.dynamo_transfers, investors=20)
    rows = [
        (
            "tradewind, in-memory repository",
            len(steps),
            *best(args.repeat, lambda: run_tradewind(InMemoryLedgerRepository(), steps)),
        ),
        ("beancount 3.2.3 load_string (peer)", len(steps), *best(args.repeat, lambda: run_beancount(steps))),
        ("tradewind, DynamoDB adapter on moto", len(dynamo_steps), *best(1, lambda: run_dynamo(dynamo_steps))),
    ]
    print("| ledger | transfers | best s | median s | transfers/s (best) |")
    print("|---|---|---|---|---|")
    for name, count, fastest, median in rows:
        print(f"| {name} | {count} | {fastest:.3f} | {median:.3f} | {count / fastest:,.0f} |")


if __name__ == "__main__":
    main()
