"""The money state machine again, on the DynamoDB adapters in moto: the real conditions are proven too.

Inspection reads the table with scans (test-side), one per kind of item and step,
because moto's scans dominate the run time.
"""

from __future__ import annotations

from typing import Any

import boto3
from hypothesis import HealthCheck, settings
from moto import mock_aws

from tests.unit.ledger.money_machine import MoneyMachine
from tests.unit.ledger.moto_ledger import create_tables, ports, scan_balance_items, scan_transfer_items
from tradewind.adapters.ledger_dynamodb import DynamoLedgerRepository
from tradewind.adapters.ledger_records_dynamodb import DynamoRecordStore
from tradewind.ledger.models import Account, Balance, TransferRecord


class DynamoMoneyMachine(MoneyMachine):
    def make_ports(self) -> tuple[DynamoLedgerRepository, DynamoRecordStore]:
        self.mock = mock_aws()
        self.mock.start()
        self.client: Any = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(self.client)
        self.repository, store = ports(self.client)
        self.accounts: dict[str, Account] = {}
        self.checked: set[str] = set()
        return self.repository, store

    def teardown(self) -> None:
        self.mock.stop()

    def balances(self) -> dict[str, Balance]:
        sums: dict[str, list[int]] = {}
        for item in scan_balance_items(self.client):
            account_id = item["pk"]["S"].removeprefix("ACCT#").rsplit("#", 1)[0]
            row = sums.setdefault(account_id, [0, 0, 0])
            row[0] += int(item["posted"]["N"])
            row[1] += int(item["pdr"]["N"])
            row[2] += int(item["pcr"]["N"])
        for account_id in sums.keys() - self.accounts.keys():
            account = self.repository.get_account(account_id)
            assert account is not None, account_id
            self.accounts[account_id] = account
        return {
            account_id: Balance(
                account_id=account_id,
                currency=self.accounts[account_id].currency,
                posted=posted,
                pending_debits=pending_debits,
                pending_credits=pending_credits,
            )
            for account_id, (posted, pending_debits, pending_credits) in sums.items()
        }

    def all_accounts(self) -> list[Account]:
        self.balances()
        return list(self.accounts.values())

    def transfers_to_check(self) -> list[TransferRecord]:
        fresh = [item for item in scan_transfer_items(self.client) if item["pk"]["S"] not in self.checked]
        self.checked.update(item["pk"]["S"] for item in fresh)
        return [TransferRecord.model_validate_json(item["doc"]["S"]) for item in fresh]


# A few hundred operations through the real adapter: moto is slow, the in-memory run does the thousands.
DynamoMoneyMachine.TestCase.settings = settings(
    max_examples=6,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestDynamoMoney = DynamoMoneyMachine.TestCase
