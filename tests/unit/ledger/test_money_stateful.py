"""Thousands of random money operations on the in-memory ports, invariants checked after every step."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.unit.ledger.money_machine import MoneyMachine
from tradewind.ledger.memory import InMemoryLedgerRepository, InMemoryRecordStore
from tradewind.ledger.models import Account, TransferRecord


class InMemoryMoneyMachine(MoneyMachine):
    def make_ports(self) -> tuple[InMemoryLedgerRepository, InMemoryRecordStore]:
        self.repository = InMemoryLedgerRepository()
        return self.repository, InMemoryRecordStore()

    def all_accounts(self) -> list[Account]:
        return self.repository.accounts()

    def transfers_to_check(self) -> list[TransferRecord]:
        return self.repository.transfers()


# About 14,000 operations in all (150 runs of up to 100 steps), in a few seconds.
InMemoryMoneyMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestInMemoryMoney = InMemoryMoneyMachine.TestCase
