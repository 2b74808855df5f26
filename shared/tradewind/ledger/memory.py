"""In-memory ledger repository and record store: the same ports, one lock.

Used by the property-based tests and by notebooks; it applies a plan with exactly
the checks the DynamoDB adapter expresses as condition expressions.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from datetime import date, datetime
from typing import Any

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
    CommitPlan,
    PendingClosedError,
    Snapshot,
    TransferExistsError,
    entry_key,
    time_key,
)
from tradewind.ledger.records import IndexKey, StoredRecord


class InMemoryLedgerRepository:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._balances: dict[tuple[str, int], list[int]] = {}
        self._transfers: dict[str, TransferRecord] = {}
        self._entries: dict[str, list[tuple[str, Entry]]] = defaultdict(list)
        self._audit: dict[str, AuditRecord] = {}

    def put_account(self, account: Account, audit: AuditRecord | None) -> Account:
        with self._lock:
            existing = self._accounts.get(account.id)
            if existing is not None:
                return existing
            self._accounts[account.id] = account
            for shard in range(account.shards):
                self._balances[(account.id, shard)] = [0, 0, 0]
            if audit is not None:
                self._audit[audit.id] = audit
            return account

    def accounts(self) -> list[Account]:
        """Every account: for invariant checks in tests and for notebooks."""
        with self._lock:
            return list(self._accounts.values())

    def transfers(self) -> list[TransferRecord]:
        with self._lock:
            return list(self._transfers.values())

    def get_account(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def replace_account(self, current: Account, changed: Account, audit: AuditRecord) -> bool:
        with self._lock:
            if self._accounts.get(current.id) != current:
                return False
            if audit.id in self._audit:
                raise InvalidTransferError(f"audit record id {audit.id!r} is already used")
            self._accounts[current.id] = changed
            self._audit[audit.id] = audit
            return True

    def commit(self, plan: CommitPlan) -> None:
        with self._lock:
            if plan.record.id in self._transfers:
                raise TransferExistsError(plan.record.id)
            for delta in plan.deltas:
                row = self._balances.get((delta.account_id, delta.shard))
                if row is None:
                    raise AccountNotFoundError(delta.account_id)
                if delta.enforce_non_negative and row[0] - row[1] + delta.available < 0:
                    raise InsufficientFundsError(delta.account_id)
            if plan.audit is not None and plan.audit.id in self._audit:
                raise InvalidTransferError(f"audit record id {plan.audit.id!r} is already used")
            if plan.close_pending is not None:
                pending = self._transfers.get(plan.close_pending[0])
                if pending is None or pending.state is not PendingState.PENDING:
                    raise PendingClosedError(plan.close_pending[0])
                self._transfers[pending.id] = pending.model_copy(update={"state": plan.close_pending[1]})
            self._transfers[plan.record.id] = plan.record
            for delta in plan.deltas:
                row = self._balances[(delta.account_id, delta.shard)]
                row[0] += delta.posted
                row[1] += delta.pending_debits
                row[2] += delta.pending_credits
                if delta.posted:
                    entry = Entry(
                        account_id=delta.account_id,
                        transfer_id=plan.record.id,
                        amount=delta.posted,
                        currency=self._accounts[delta.account_id].currency,
                        at=plan.record.created_at,
                        memo=plan.record.memo,
                    )
                    bisect.insort(self._entries[delta.account_id], (entry_key(entry), entry), key=lambda e: e[0])
            if plan.audit is not None:
                self._audit[plan.audit.id] = plan.audit

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        return self._transfers.get(transfer_id)

    def balance(self, account: Account) -> Balance:
        with self._lock:
            return self._balance(account)

    def _balance(self, account: Account) -> Balance:
        rows = [self._balances[(account.id, shard)] for shard in range(account.shards)]
        return Balance(
            account_id=account.id,
            currency=account.currency,
            posted=sum(r[0] for r in rows),
            pending_debits=sum(r[1] for r in rows),
            pending_credits=sum(r[2] for r in rows),
        )

    def snapshot_since(self, account: Account, start: datetime) -> Snapshot:
        with self._lock:
            low = time_key(start)
            entries = tuple(e for k, e in self._entries[account.id] if k >= low)
            return Snapshot(balance=self._balance(account), entries=entries)

    def entries(self, account: Account, start: datetime, end: datetime, after: str | None, limit: int) -> EntryPage:
        with self._lock:
            low, high = time_key(start), time_key(end)
            rows = [(k, e) for k, e in self._entries[account.id] if low <= k < high and (after is None or k > after)]
        page = rows[:limit]
        cursor = page[-1][0] if len(rows) > limit else None
        return EntryPage(entries=tuple(e for _, e in page), cursor=cursor)

    def pending_expiring(self, before: datetime, limit: int) -> list[TransferRecord]:
        with self._lock:
            due = [
                t
                for t in self._transfers.values()
                if t.kind is TransferKind.PENDING
                and t.state is PendingState.PENDING
                and t.expires_at is not None
                and t.expires_at <= before
            ]
        due.sort(key=lambda t: (t.expires_at, t.id))
        return due[:limit]

    def put_audit(self, audit: AuditRecord) -> None:
        with self._lock:
            self._audit.setdefault(audit.id, audit)

    def audit_records(self, day: date) -> list[AuditRecord]:
        with self._lock:
            return sorted((a for a in self._audit.values() if a.at.date() == day), key=lambda a: (a.at, a.id))


class InMemoryRecordStore:
    """Versioned documents under (pk, sk) with one optional secondary index, like the ledger table."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[dict[str, Any], int, IndexKey | None]] = {}

    def create(self, pk: str, sk: str, data: dict[str, Any], index: IndexKey | None = None) -> bool:
        with self._lock:
            if (pk, sk) in self._items:
                return False
            self._items[(pk, sk)] = (dict(data), 1, index)
            return True

    def get(self, pk: str, sk: str) -> StoredRecord | None:
        with self._lock:
            item = self._items.get((pk, sk))
            return None if item is None else StoredRecord(pk, sk, dict(item[0]), item[1])

    def update(
        self, pk: str, sk: str, data: dict[str, Any], expected_version: int, index: IndexKey | None = None
    ) -> bool:
        with self._lock:
            item = self._items.get((pk, sk))
            if item is None or item[1] != expected_version:
                return False
            self._items[(pk, sk)] = (dict(data), expected_version + 1, index)
            return True

    def query(self, pk: str, sk_prefix: str = "") -> list[StoredRecord]:
        with self._lock:
            rows = [
                StoredRecord(p, s, dict(d), v)
                for (p, s), (d, v, _) in self._items.items()
                if p == pk and s.startswith(sk_prefix)
            ]
        return sorted(rows, key=lambda r: r.sk)

    def query_index(self, index_pk: str, upto: str, limit: int) -> list[StoredRecord]:
        with self._lock:
            rows = [
                (i.sk, StoredRecord(p, s, dict(d), v))
                for (p, s), (d, v, i) in self._items.items()
                if i is not None and i.pk == index_pk and i.sk <= upto
            ]
        rows.sort(key=lambda r: r[0])
        return [r for _, r in rows[:limit]]
