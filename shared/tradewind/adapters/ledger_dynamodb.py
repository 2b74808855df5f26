"""The ledger on DynamoDB: one TransactWriteItems per transfer, conditions for every rule.

Item layout in the `ledger` table (pk, sk):

- `ACCT#<id>`, `META`: the account (GSI `by-owner`: `OWNER#<owner>`, `ACCT#<id>`).
- `ACCT#<id>#<shard>`, `BAL`: one balance shard: posted, pdr (pending debits),
  pcr (pending credits), avail (posted - pdr) and ver (bumped by every change).
- `ACCT#<id>#<shard>`, `E#<time>#<transfer id>`: one posted entry.
- `XFER#<id>`, `XFER`: the journal record; its conditional put is the idempotency
  key. Open pending transfers are indexed under `PENDING#<n>`, `<expires>#<id>`.

Audit records go to the `accounts` table under `AUDIT#<day>`, `<time>#<id>`, in the
same transaction as the change they explain.
"""

from __future__ import annotations

import hashlib
import time
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from tradewind.adapters import aws
from tradewind.ledger.errors import AccountNotFoundError, InsufficientFundsError, InvalidTransferError
from tradewind.ledger.models import (
    Account,
    AuditRecord,
    Balance,
    Entry,
    EntryPage,
    PendingState,
    TransferKind,
    TransferRecord,
)
from tradewind.ledger.ports import (
    BalanceDelta,
    CommitPlan,
    ConcurrentWriteError,
    PendingClosedError,
    Snapshot,
    TransferExistsError,
    entry_key,
    time_key,
)

PENDING_BUCKETS = 8
INDEX = "by-owner"
_SNAPSHOT_ATTEMPTS = 20


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _account_key(account_id: str) -> dict[str, Any]:
    return {"pk": _s(f"ACCT#{account_id}"), "sk": _s("META")}


def _balance_key(account_id: str, shard: int) -> dict[str, Any]:
    return {"pk": _s(f"ACCT#{account_id}#{shard}"), "sk": _s("BAL")}


def _transfer_key(transfer_id: str) -> dict[str, Any]:
    return {"pk": _s(f"XFER#{transfer_id}"), "sk": _s("XFER")}


def _pending_bucket(transfer_id: str) -> str:
    bucket = int.from_bytes(hashlib.sha256(transfer_id.encode()).digest()[:4], "big") % PENDING_BUCKETS
    return f"PENDING#{bucket}"


def _reasons(error: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]


class DynamoLedgerRepository:
    def __init__(self, ledger_table: str, audit_table: str, client: Any = None) -> None:
        self._table = ledger_table
        self._audit_table = audit_table
        self._db = client if client is not None else aws.client("dynamodb")

    # Accounts -----------------------------------------------------------------

    def put_account(self, account: Account, audit: AuditRecord | None) -> Account:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **_account_key(account.id),
                        "doc": _s(account.model_dump_json()),
                        "gsi1pk": _s(f"OWNER#{account.owner}"),
                        "gsi1sk": _s(f"ACCT#{account.id}"),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        items += [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **_balance_key(account.id, shard),
                        "posted": _n(0),
                        "pdr": _n(0),
                        "pcr": _n(0),
                        "avail": _n(0),
                        "ver": _n(0),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for shard in range(account.shards)
        ]
        if audit is not None:
            items.append(self._audit_put(audit))
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            existing = self.get_account(account.id)
            if existing is None:
                raise
            return existing
        return account

    def get_account(self, account_id: str) -> Account | None:
        item = self._db.get_item(TableName=self._table, Key=_account_key(account_id), ConsistentRead=True).get("Item")
        return None if item is None else Account.model_validate_json(item["doc"]["S"])

    def replace_account(self, current: Account, changed: Account, audit: AuditRecord) -> bool:
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _account_key(current.id),
                            "UpdateExpression": "SET doc = :new",
                            "ConditionExpression": "doc = :old",
                            "ExpressionAttributeValues": {
                                ":new": _s(changed.model_dump_json()),
                                ":old": _s(current.model_dump_json()),
                            },
                        }
                    },
                    self._audit_put(audit),
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = _reasons(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return False
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                raise InvalidTransferError(f"audit record id {audit.id!r} is already used") from None
            raise ConcurrentWriteError(f"account {current.id!r} collided with a concurrent write: {reasons}") from None
        return True

    # Transfers ----------------------------------------------------------------

    def commit(self, plan: CommitPlan) -> None:
        record = plan.record
        journal: dict[str, Any] = {**_transfer_key(record.id), "doc": _s(record.model_dump_json())}
        if record.kind is TransferKind.PENDING and record.expires_at is not None:
            journal["state"] = _s(PendingState.PENDING.value)
            journal["gsi1pk"] = _s(_pending_bucket(record.id))
            journal["gsi1sk"] = _s(f"{time_key(record.expires_at)}#{record.id}")
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": journal, "ConditionExpression": "attribute_not_exists(pk)"}}
        ]
        items += [self._balance_update(delta) for delta in plan.deltas]
        currency_of = {leg.account_id: leg.currency for leg in record.legs}
        for delta in plan.deltas:
            if delta.posted:
                entry = Entry(
                    account_id=delta.account_id,
                    transfer_id=record.id,
                    amount=delta.posted,
                    currency=currency_of[delta.account_id],
                    at=record.created_at,
                    memo=record.memo,
                )
                items.append(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                "pk": _s(f"ACCT#{delta.account_id}#{delta.shard}"),
                                "sk": _s(f"E#{entry_key(entry)}"),
                                "doc": _s(entry.model_dump_json()),
                            },
                        }
                    }
                )
        pending_index = len(items)
        if plan.close_pending is not None:
            pending_id, state = plan.close_pending
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _transfer_key(pending_id),
                        "UpdateExpression": "SET #st = :new REMOVE gsi1pk, gsi1sk",
                        "ConditionExpression": "#st = :open",
                        "ExpressionAttributeNames": {"#st": "state"},
                        "ExpressionAttributeValues": {":new": _s(state.value), ":open": _s(PendingState.PENDING.value)},
                    }
                }
            )
        if plan.audit is not None:
            items.append(self._audit_put(plan.audit))
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            self._raise_cancellation(plan, _reasons(error), pending_index)

    def _raise_cancellation(self, plan: CommitPlan, reasons: list[str], pending_index: int) -> None:
        """Turn DynamoDB's per-item cancellation reasons (one per action, in order) into the port's errors."""
        failed = {i for i, reason in enumerate(reasons) if reason == "ConditionalCheckFailed"}
        if 0 in failed:
            raise TransferExistsError(plan.record.id)
        for i, delta in enumerate(plan.deltas, start=1):
            if i in failed:
                if self.get_account(delta.account_id) is None:
                    raise AccountNotFoundError(delta.account_id)
                raise InsufficientFundsError(delta.account_id)
        if plan.close_pending is not None and pending_index in failed:
            raise PendingClosedError(plan.close_pending[0])
        if failed:  # only the audit put remains: its id was used by another change
            raise InvalidTransferError(f"audit record id {plan.audit.id if plan.audit else ''!r} is already used")
        # TransactionConflict: another transaction held one of the items. Retrying is
        # safe (the journal put makes it idempotent); the caller decides when.
        raise ConcurrentWriteError(f"transfer {plan.record.id!r} collided with a concurrent write: {reasons}")

    def _balance_update(self, delta: BalanceDelta) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": _balance_key(delta.account_id, delta.shard),
            "UpdateExpression": "ADD posted :p, pdr :d, pcr :c, avail :a, ver :one",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {
                ":p": _n(delta.posted),
                ":d": _n(delta.pending_debits),
                ":c": _n(delta.pending_credits),
                ":a": _n(delta.available),
                ":one": _n(1),
            },
        }
        if delta.enforce_non_negative and delta.available < 0:
            update["ConditionExpression"] = "attribute_exists(pk) AND avail >= :need"
            update["ExpressionAttributeValues"][":need"] = _n(-delta.available)
        return {"Update": update}

    def _audit_put(self, audit: AuditRecord) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._audit_table,
                "Item": {
                    "pk": _s(f"AUDIT#{audit.at.date().isoformat()}"),
                    "sk": _s(f"{time_key(audit.at)}#{audit.id}"),
                    "doc": _s(audit.model_dump_json()),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        item = self._db.get_item(TableName=self._table, Key=_transfer_key(transfer_id), ConsistentRead=True).get("Item")
        return None if item is None else self._transfer_of(item)

    @staticmethod
    def _transfer_of(item: dict[str, Any]) -> TransferRecord:
        record = TransferRecord.model_validate_json(item["doc"]["S"])
        if "state" in item:
            record = record.model_copy(update={"state": PendingState(item["state"]["S"])})
        return record

    # Reads --------------------------------------------------------------------

    def _balance_rows(self, account: Account) -> list[dict[str, Any]]:
        if account.shards == 1:
            item = self._db.get_item(TableName=self._table, Key=_balance_key(account.id, 0), ConsistentRead=True).get(
                "Item"
            )
            if item is None:
                raise AccountNotFoundError(account.id)
            return [item]
        # TransactGetItems reads every shard at one instant: a consistent sum.
        response = self._db.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": self._table, "Key": _balance_key(account.id, shard)}}
                for shard in range(account.shards)
            ]
        )
        return [r["Item"] for r in response["Responses"]]

    @staticmethod
    def _sum(account: Account, rows: list[dict[str, Any]]) -> Balance:
        return Balance(
            account_id=account.id,
            currency=account.currency,
            posted=sum(int(r["posted"]["N"]) for r in rows),
            pending_debits=sum(int(r["pdr"]["N"]) for r in rows),
            pending_credits=sum(int(r["pcr"]["N"]) for r in rows),
        )

    def balance(self, account: Account) -> Balance:
        return self._sum(account, self._balance_rows(account))

    def snapshot_since(self, account: Account, start: datetime) -> Snapshot:
        """Read versions, entries, versions again: equal versions prove no commit slipped between."""
        for _ in range(_SNAPSHOT_ATTEMPTS):
            before = self._balance_rows(account)
            entries = [
                entry
                for shard in range(account.shards)
                for entry in self._query_entries(account.id, shard, f"E#{time_key(start)}", "E#~", None)
            ]
            after = self._balance_rows(account)
            if [r["ver"]["N"] for r in before] == [r["ver"]["N"] for r in after]:
                entries.sort(key=entry_key)
                return Snapshot(balance=self._sum(account, after), entries=tuple(entries))
            time.sleep(0.01)
        raise ConcurrentWriteError(f"account {account.id!r} kept changing while its statement was read")

    def _query_entries(self, account_id: str, shard: int, low: str, high: str, limit: int | None) -> list[Entry]:
        entries: list[Entry] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {":pk": _s(f"ACCT#{account_id}#{shard}"), ":lo": _s(low), ":hi": _s(high)},
            "ConsistentRead": True,
        }
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(entries)
            page = self._db.query(**kwargs)
            entries += [Entry.model_validate_json(item["doc"]["S"]) for item in page["Items"]]
            if "LastEvaluatedKey" not in page or (limit is not None and len(entries) >= limit):
                return entries
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def entries(self, account: Account, start: datetime, end: datetime, after: str | None, limit: int) -> EntryPage:
        low = f"E#{max(time_key(start), after or '')}"
        merged = [
            entry
            for shard in range(account.shards)
            for entry in self._query_entries(account.id, shard, low, f"E#{time_key(end)}", limit + 1)
            if entry_key(entry) != after
        ]
        merged.sort(key=entry_key)
        page = merged[:limit]
        cursor = entry_key(page[-1]) if len(merged) > limit else None
        return EntryPage(entries=tuple(page), cursor=cursor)

    def pending_expiring(self, before: datetime, limit: int) -> list[TransferRecord]:
        keys: list[str] = []
        for bucket in range(PENDING_BUCKETS):
            page = self._db.query(
                TableName=self._table,
                IndexName=INDEX,
                KeyConditionExpression="gsi1pk = :b AND gsi1sk <= :t",
                ExpressionAttributeValues={":b": _s(f"PENDING#{bucket}"), ":t": _s(f"{time_key(before)}#~")},
                Limit=limit,
            )
            keys += [item["gsi1sk"]["S"] for item in page["Items"]]
        keys.sort()
        due = []
        for key in keys[:limit]:
            record = self.get_transfer(key.split("#", 1)[1])
            if record is not None and record.state is PendingState.PENDING:
                due.append(record)
        return due

    def put_audit(self, audit: AuditRecord) -> None:
        try:
            self._db.put_item(**self._audit_put(audit)["Put"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def audit_records(self, day: date) -> list[AuditRecord]:
        records: list[AuditRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": self._audit_table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(f"AUDIT#{day.isoformat()}")},
        }
        while True:
            page = self._db.query(**kwargs)
            records += [AuditRecord.model_validate_json(item["doc"]["S"]) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return records
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
