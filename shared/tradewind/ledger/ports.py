"""What the ledger needs from storage: one atomic commit of a planned change, and reads.

The service turns a request into a `CommitPlan`; a repository applies the plan all
or nothing, or refuses it with one of the errors below. Two implementations exist:
`tradewind.ledger.memory` (tests, notebooks) and `tradewind.adapters.ledger_dynamodb`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from tradewind.ledger.models import Account, AuditRecord, Balance, Entry, EntryPage, PendingState, TransferRecord


class TransferExistsError(Exception):
    """The journal already holds a transfer with this id (the service decides replay or conflict)."""


class ConcurrentWriteError(Exception):
    """A concurrent write got in the way; nothing was changed and the same plan may be retried."""


class PendingClosedError(Exception):
    """The pending transfer to close is no longer pending."""


@dataclass(frozen=True)
class BalanceDelta:
    """The net change one transfer makes to one shard of one account."""

    account_id: str
    shard: int
    posted: int = 0
    pending_debits: int = 0
    pending_credits: int = 0
    enforce_non_negative: bool = False

    @property
    def available(self) -> int:
        return self.posted - self.pending_debits


@dataclass(frozen=True)
class CommitPlan:
    """Everything one transfer writes, applied atomically.

    Each delta with a posted change also becomes one history entry, stamped with
    the record's `created_at` and memo.
    """

    record: TransferRecord
    deltas: tuple[BalanceDelta, ...]
    close_pending: tuple[str, PendingState] | None = None
    audit: AuditRecord | None = None


@dataclass(frozen=True)
class Snapshot:
    """A balance and the entries posted since a moment, read as one consistent view."""

    balance: Balance
    entries: tuple[Entry, ...]


def entry_key(entry: Entry) -> str:
    """Sort key of an entry in an account's history; also the opaque pagination cursor."""
    return f"{time_key(entry.at)}#{entry.transfer_id}"


def time_key(moment: datetime) -> str:
    """UTC, fixed width: sorts as text exactly as the instants sort in time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class LedgerRepository(Protocol):
    def put_account(self, account: Account, audit: AuditRecord | None) -> Account:
        """Create the account with zero balances; return the stored one if the id exists."""
        ...

    def get_account(self, account_id: str) -> Account | None: ...

    def replace_account(self, current: Account, changed: Account, audit: AuditRecord) -> bool:
        """Store `changed` with its audit record atomically, if the stored account is still `current`."""
        ...

    def commit(self, plan: CommitPlan) -> None:
        """Apply the plan atomically or raise TransferExistsError, InsufficientFundsError,
        AccountNotFoundError or PendingClosedError, leaving everything untouched."""
        ...

    def get_transfer(self, transfer_id: str) -> TransferRecord | None: ...

    def balance(self, account: Account) -> Balance:
        """A consistent balance: the sum over every shard, read at one instant."""
        ...

    def snapshot_since(self, account: Account, start: datetime) -> Snapshot: ...

    def entries(self, account: Account, start: datetime, end: datetime, after: str | None, limit: int) -> EntryPage: ...

    def pending_expiring(self, before: datetime, limit: int) -> list[TransferRecord]:
        """Pending transfers still open whose expiry is at or before `before`, oldest first."""
        ...

    def put_audit(self, audit: AuditRecord) -> None:
        """Store an audit record for an action that moves no money by itself; ids never overwrite."""
        ...

    def audit_records(self, day: date) -> list[AuditRecord]: ...
