"""The money state machine again, on the DynamoDB adapters in moto: the real conditions are proven too.

The repository records which accounts and transfers it wrote, so the invariants
read exactly those items back (batch reads) instead of scanning a growing table.
"""

from __future__ import annotations

from typing import Any

import boto3
from hypothesis import HealthCheck, settings
from moto import mock_aws

from tests.unit.ledger.money_machine import MoneyMachine
from tests.unit.ledger.moto_ledger import AUDIT_TABLE, LEDGER_TABLE, create_tables
from tradewind.adapters.ledger_dynamodb import DynamoLedgerRepository
from tradewind.adapters.ledger_records_dynamodb import DynamoRecordStore
from tradewind.ledger.models import Account, AuditRecord, Balance, TransferRecord
from tradewind.ledger.ports import CommitPlan


class RecordingRepository(DynamoLedgerRepository):
    def __init__(self, client: Any) -> None:
        super().__init__(LEDGER_TABLE, AUDIT_TABLE, client)
        self.client = client
        self.opened: dict[str, Account] = {}
        self.committed: list[str] = []

    def put_account(self, account: Account, audit: AuditRecord | None) -> Account:
        stored = super().put_account(account, audit)
        self.opened[stored.id] = stored
        return stored

    def get_account(self, account_id: str) -> Account | None:
        found = super().get_account(account_id)
        if found is not None:
            self.opened[found.id] = found
        return found

    def commit(self, plan: CommitPlan) -> None:
        super().commit(plan)
        self.committed.append(plan.record.id)


class DynamoMoneyMachine(MoneyMachine):
    def make_ports(self) -> tuple[DynamoLedgerRepository, DynamoRecordStore]:
        self.mock = mock_aws()
        self.mock.start()
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client)
        self.repository = RecordingRepository(client)
        self.checked = 0
        return self.repository, DynamoRecordStore(LEDGER_TABLE, client)

    def teardown(self) -> None:
        self.mock.stop()

    def all_accounts(self) -> list[Account]:
        return list(self.repository.opened.values())

    def balances(self) -> dict[str, Balance]:
        """Every shard of every account in a few consistent batch reads."""
        keys = [
            {"pk": {"S": f"ACCT#{account.id}#{shard}"}, "sk": {"S": "BAL"}}
            for account in self.repository.opened.values()
            for shard in range(account.shards)
        ]
        sums = {account_id: [0, 0, 0] for account_id in self.repository.opened}
        for start in range(0, len(keys), 100):
            request = {LEDGER_TABLE: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            response = self.repository.client.batch_get_item(RequestItems=request)
            assert not response.get("UnprocessedKeys")
            for item in response["Responses"][LEDGER_TABLE]:
                row = sums[item["pk"]["S"].removeprefix("ACCT#").rsplit("#", 1)[0]]
                row[0] += int(item["posted"]["N"])
                row[1] += int(item["pdr"]["N"])
                row[2] += int(item["pcr"]["N"])
        return {
            account_id: Balance(
                account_id=account_id,
                currency=self.repository.opened[account_id].currency,
                posted=posted,
                pending_debits=pending_debits,
                pending_credits=pending_credits,
            )
            for account_id, (posted, pending_debits, pending_credits) in sums.items()
        }

    def transfers_to_check(self) -> list[TransferRecord]:
        fresh = self.repository.committed[self.checked :]
        self.checked += len(fresh)
        found = [self.repository.get_transfer(transfer_id) for transfer_id in fresh]
        assert all(record is not None for record in found)
        return [record for record in found if record is not None]


# A few hundred operations through the real adapter: moto is slow, the in-memory run does the thousands.
DynamoMoneyMachine.TestCase.settings = settings(
    max_examples=3,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestDynamoMoney = DynamoMoneyMachine.TestCase
