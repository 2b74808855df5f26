from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.memory import InMemoryLedgerRepository
from tradewind.ledger.service import Ledger


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture
def repository() -> InMemoryLedgerRepository:
    return InMemoryLedgerRepository()


@pytest.fixture
def ledger(repository: InMemoryLedgerRepository, clock: ManualClock) -> Ledger:
    ledger = Ledger(repository, clock)
    for account in chart.platform_accounts("USD"):
        ledger.open_account(account)
    for user in ("alice", "bob"):
        ledger.open_account(chart.investor_cash_account(user, "USD"))
    return ledger
