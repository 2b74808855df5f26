"""The ledger service: validates requests, plans their effect, commits them idempotently.

Idempotency: a transfer id is written to the journal by a conditional put inside the
same atomic commit as the balance changes, so a retried request either finds the
first result (same content: returned as is) or a conflict (different content).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime

from pydantic import AwareDatetime, Field

from tradewind.ledger.clock import Clock, utc_now
from tradewind.ledger.errors import (
    AccountConflictError,
    AccountNotFoundError,
    InvalidTransferError,
    PendingNotOpenError,
    TransferConflictError,
    TransferNotFoundError,
)
from tradewind.ledger.models import (
    Account,
    AuditRecord,
    Balance,
    Currency,
    EntryPage,
    Frozen,
    HoldRequest,
    Id,
    Leg,
    PendingState,
    Resolution,
    ResolveRequest,
    Statement,
    TransferKind,
    TransferRecord,
    TransferRequest,
    content_hash,
)
from tradewind.ledger.ports import (
    BalanceDelta,
    CommitPlan,
    ConcurrentWriteError,
    LedgerRepository,
    PendingClosedError,
    TransferExistsError,
)

# One journal put, one audit put, one pending update, and per account a balance
# update plus an entry put: 3 + 2 * 45 stays under DynamoDB's 100 actions.
MAX_ACCOUNTS_PER_TRANSFER = 45
_COMMIT_ATTEMPTS = 8
_CLOSED_BY: dict[Resolution, PendingState] = {
    Resolution.POST: PendingState.POSTED,
    Resolution.VOID: PendingState.VOIDED,
    Resolution.EXPIRE: PendingState.EXPIRED,
}


def shard_for(account: Account, transfer_id: str) -> int:
    """Spread a hot account's writes: a stable hash of the transfer id picks the shard."""
    if account.shards == 1:
        return 0
    digest = hashlib.sha256(transfer_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % account.shards


class AdminTransferRequest(Frozen):
    """An operator moving money between any two accounts: a reason is mandatory and audited."""

    id: Id
    actor: Id
    reason: str = Field(min_length=10, max_length=1000)
    from_account: Id
    to_account: Id
    amount: int = Field(gt=0)
    currency: Currency


class AccountChange(Frozen):
    """An operator changing an account's flags; `id` names the change (and its audit record)."""

    id: Id
    account_id: Id
    actor: Id
    reason: str = Field(min_length=10, max_length=1000)
    non_negative: bool


class Ledger:
    def __init__(self, repository: LedgerRepository, clock: Clock = utc_now) -> None:
        self._repo = repository
        self._clock = clock

    # Accounts -----------------------------------------------------------------

    def open_account(self, account: Account, audit: AuditRecord | None = None) -> Account:
        """Create an account, or return it unchanged if the same account already exists."""
        stored = self._repo.get_account(account.id)  # the common case, and a cheap read
        if stored is None:
            if account.created_at is None:
                account = account.model_copy(update={"created_at": self._clock()})
            stored = self._repo.put_account(account, audit)
        if not stored.same_attributes(account):
            raise AccountConflictError(f"account {account.id!r} already exists with other attributes")
        return stored

    def change_account(self, change: AccountChange) -> Account:
        """Set an account's flags, with the audit record in the same commit; a repeat is a no-op."""
        for _ in range(_COMMIT_ATTEMPTS):
            current = self.account(change.account_id)
            if current.non_negative == change.non_negative:
                return current
            if change.non_negative:
                if current.shards > 1:
                    raise InvalidTransferError("a sharded account cannot be flagged non-negative")
                if self._repo.balance(current).available < 0:
                    raise InvalidTransferError(f"account {current.id!r} is below zero: it cannot be made non-negative")
            changed = current.model_copy(update={"non_negative": change.non_negative})
            audit = AuditRecord(
                id=f"account.{change.id}",
                actor=change.actor,
                action="ledger.account_change",
                reason=change.reason,
                at=self._clock(),
                subject={"account_id": current.id, "non_negative": str(change.non_negative).lower()},
            )
            if self._repo.replace_account(current, changed, audit):
                return changed
        raise ConcurrentWriteError(f"account {change.account_id!r} kept changing; try again")

    def find_account(self, account_id: str) -> Account | None:
        return self._repo.get_account(account_id)

    def account(self, account_id: str) -> Account:
        account = self._repo.get_account(account_id)
        if account is None:
            raise AccountNotFoundError(account_id)
        return account

    def record_audit(self, audit: AuditRecord) -> None:
        """Audit an admin action whose money movement happens later (e.g. a refund settled by webhook)."""
        self._repo.put_audit(audit)

    def audit_trail(self, day: date) -> list[AuditRecord]:
        return self._repo.audit_records(day)

    def balance(self, account_id: str) -> Balance:
        return self._repo.balance(self.account(account_id))

    # Transfers ----------------------------------------------------------------

    def transfer(self, request: TransferRequest, audit: AuditRecord | None = None) -> TransferRecord:
        digest = content_hash({"kind": "posted", **request.model_dump(mode="json")})
        existing = self._repo.get_transfer(request.id)
        if existing is not None:
            return self._replay(existing, digest)
        accounts = self._accounts_of(request.legs)
        self._check_balanced(request.legs, accounts)
        net: dict[str, int] = defaultdict(int)
        for leg in request.legs:
            net[leg.account_id] += leg.amount
        record = TransferRecord(
            id=request.id,
            kind=TransferKind.POSTED,
            legs=request.legs,
            memo=request.memo,
            metadata=request.metadata,
            content_hash=digest,
            created_at=self._clock(),
        )
        deltas = tuple(
            BalanceDelta(
                account_id=account_id,
                shard=shard_for(accounts[account_id], request.id),
                posted=amount,
                enforce_non_negative=accounts[account_id].non_negative and amount < 0,
            )
            for account_id, amount in sorted(net.items())
            if amount != 0
        )
        return self._commit(CommitPlan(record=record, deltas=deltas, audit=audit))

    def admin_transfer(self, request: AdminTransferRequest) -> TransferRecord:
        """Move money between any two accounts, with the audit record in the same commit."""
        now = self._clock()
        transfer = TransferRequest(
            id=request.id,
            legs=(
                Leg(account_id=request.from_account, amount=-request.amount, currency=request.currency),
                Leg(account_id=request.to_account, amount=request.amount, currency=request.currency),
            ),
            memo=request.reason,
            metadata={"actor": request.actor, "kind": "admin_transfer"},
        )
        audit = AuditRecord(
            id=f"transfer.{request.id}",
            actor=request.actor,
            action="ledger.admin_transfer",
            reason=request.reason,
            at=now,
            subject={
                "transfer_id": request.id,
                "from": request.from_account,
                "to": request.to_account,
                "amount": str(request.amount),
                "currency": request.currency,
            },
        )
        return self.transfer(transfer, audit=audit)

    def hold(self, request: HoldRequest) -> TransferRecord:
        """Reserve funds: the debit account's available balance drops now, its posted balance later."""
        digest = content_hash({"kind": "pending", **request.model_dump(mode="json")})
        existing = self._repo.get_transfer(request.id)
        if existing is not None:
            return self._replay(existing, digest)  # a replay succeeds even after the hold expired
        if request.debit_account == request.credit_account:
            raise InvalidTransferError("a hold needs two different accounts")
        legs = (
            Leg(account_id=request.debit_account, amount=-request.amount, currency=request.currency),
            Leg(account_id=request.credit_account, amount=request.amount, currency=request.currency),
        )
        accounts = self._accounts_of(legs)
        self._check_balanced(legs, accounts)
        if request.expires_at <= self._clock():
            raise InvalidTransferError("a hold must expire in the future")
        debit, credit = accounts[request.debit_account], accounts[request.credit_account]
        record = TransferRecord(
            id=request.id,
            kind=TransferKind.PENDING,
            legs=legs,
            memo=request.memo,
            metadata=request.metadata,
            content_hash=digest,
            created_at=self._clock(),
            state=PendingState.PENDING,
            expires_at=request.expires_at,
        )
        deltas = (
            BalanceDelta(
                account_id=debit.id,
                shard=shard_for(debit, request.id),
                pending_debits=request.amount,
                enforce_non_negative=debit.non_negative,
            ),
            BalanceDelta(account_id=credit.id, shard=shard_for(credit, request.id), pending_credits=request.amount),
        )
        return self._commit(CommitPlan(record=record, deltas=deltas))

    def resolve(self, request: ResolveRequest, now: datetime | None = None) -> TransferRecord:
        """Post (for the held amount or less), void, or expire a pending transfer.

        `now` lets a scheduled run judge expiry at its own scheduled instant.
        """
        digest = content_hash({"kind": "resolution", **request.model_dump(mode="json")})
        existing = self._repo.get_transfer(request.id)
        if existing is not None:
            return self._replay(existing, digest)
        pending = self._repo.get_transfer(request.pending_id)
        if pending is None:
            raise TransferNotFoundError(request.pending_id)
        if pending.kind is not TransferKind.PENDING or pending.state is None or pending.expires_at is None:
            raise InvalidTransferError(f"{request.pending_id!r} is not a pending transfer")
        if pending.state is not PendingState.PENDING:
            raise PendingNotOpenError(request.pending_id, pending.state.value)
        now = now or self._clock()
        expired = now >= pending.expires_at
        if request.action is Resolution.POST and expired:
            raise PendingNotOpenError(request.pending_id, "expired")
        if request.action is Resolution.EXPIRE and not expired:
            raise InvalidTransferError(f"{request.pending_id!r} expires at {pending.expires_at.isoformat()}")
        debit_leg, credit_leg = pending.legs
        held = credit_leg.amount
        posted = 0
        if request.action is Resolution.POST:
            posted = held if request.amount is None else request.amount
            if posted > held:
                raise InvalidTransferError(f"cannot post {posted}: only {held} is held")
        debit = self.account(debit_leg.account_id)
        credit = self.account(credit_leg.account_id)
        legs: tuple[Leg, ...] = ()
        if posted:
            legs = (
                Leg(account_id=debit.id, amount=-posted, currency=debit.currency),
                Leg(account_id=credit.id, amount=posted, currency=credit.currency),
            )
        record = TransferRecord(
            id=request.id,
            kind=TransferKind.RESOLUTION,
            legs=legs,
            memo=pending.memo,
            metadata=pending.metadata,
            content_hash=digest,
            created_at=now,
            pending_id=pending.id,
            action=request.action,
        )
        deltas = (
            BalanceDelta(account_id=debit.id, shard=shard_for(debit, pending.id), posted=-posted, pending_debits=-held),
            BalanceDelta(
                account_id=credit.id, shard=shard_for(credit, pending.id), posted=posted, pending_credits=-held
            ),
        )
        plan = CommitPlan(record=record, deltas=deltas, close_pending=(pending.id, _CLOSED_BY[request.action]))
        return self._commit(plan)

    def expire_due(self, now: datetime | None = None, limit: int = 100) -> list[TransferRecord]:
        """Release every hold whose time is up; safe to run concurrently and repeatedly."""
        moment = now or self._clock()
        released = []
        for pending in self._repo.pending_expiring(moment, limit):
            try:
                released.append(
                    self.resolve(
                        ResolveRequest(id=f"{pending.id}.expire", pending_id=pending.id, action=Resolution.EXPIRE),
                        moment,
                    )
                )
            except PendingNotOpenError:
                continue
        return released

    def get_transfer(self, transfer_id: str) -> TransferRecord:
        record = self._repo.get_transfer(transfer_id)
        if record is None:
            raise TransferNotFoundError(transfer_id)
        return record

    def find_transfer(self, transfer_id: str) -> TransferRecord | None:
        return self._repo.get_transfer(transfer_id)

    # History ------------------------------------------------------------------

    def history(
        self,
        account_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> EntryPage:
        if not 1 <= limit <= 1000:
            raise InvalidTransferError("limit must be between 1 and 1000")
        return self._repo.entries(
            self.account(account_id),
            start or datetime(1970, 1, 1, tzinfo=UTC),
            end or datetime(9999, 1, 1, tzinfo=UTC),
            cursor,
            limit,
        )

    def statement(self, account_id: str, start: AwareDatetime, end: AwareDatetime) -> Statement:
        """Opening balance, entries and closing balance of [start, end).

        The opening balance is the consistent current balance minus everything
        posted since `start`, so no full-history scan is needed for recent periods.
        """
        if end <= start:
            raise InvalidTransferError("a statement period must end after it starts")
        account = self.account(account_id)
        snapshot = self._repo.snapshot_since(account, start)
        opening = snapshot.balance.posted - sum(e.amount for e in snapshot.entries)
        in_period = tuple(e for e in snapshot.entries if e.at < end)
        return Statement(
            account_id=account.id,
            currency=account.currency,
            start=start,
            end=end,
            opening=opening,
            closing=opening + sum(e.amount for e in in_period),
            entries=in_period,
        )

    # Internals ----------------------------------------------------------------

    def _accounts_of(self, legs: tuple[Leg, ...]) -> dict[str, Account]:
        ids = {leg.account_id for leg in legs}
        if len(ids) > MAX_ACCOUNTS_PER_TRANSFER:
            raise InvalidTransferError(f"a transfer may touch at most {MAX_ACCOUNTS_PER_TRANSFER} accounts")
        return {account_id: self.account(account_id) for account_id in sorted(ids)}

    @staticmethod
    def _check_balanced(legs: tuple[Leg, ...], accounts: dict[str, Account]) -> None:
        totals: dict[str, int] = defaultdict(int)
        for leg in legs:
            if accounts[leg.account_id].currency != leg.currency:
                raise InvalidTransferError(
                    f"leg in {leg.currency} on account {leg.account_id!r} held in {accounts[leg.account_id].currency}"
                )
            totals[leg.currency] += leg.amount
        unbalanced = {c: t for c, t in totals.items() if t != 0}
        if unbalanced:
            raise InvalidTransferError(f"debits and credits differ: {unbalanced}")

    def _commit(self, plan: CommitPlan) -> TransferRecord:
        existing = self._repo.get_transfer(plan.record.id)
        if existing is not None:
            return self._replay(existing, plan.record.content_hash)
        try:
            self._commit_with_retries(plan)
        except TransferExistsError:
            return self._replay(self.get_transfer(plan.record.id), plan.record.content_hash)
        except PendingClosedError:
            assert plan.close_pending is not None
            state = self.get_transfer(plan.close_pending[0]).state
            raise PendingNotOpenError(plan.close_pending[0], state.value if state else "unknown") from None
        return plan.record

    def _commit_with_retries(self, plan: CommitPlan) -> None:
        """Retry a plan that lost a race: it is idempotent by its journal put, so retrying is safe."""
        for attempt in range(_COMMIT_ATTEMPTS):
            try:
                self._repo.commit(plan)
                return
            except ConcurrentWriteError:
                if attempt == _COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 - jitter, not security

    @staticmethod
    def _replay(existing: TransferRecord, digest: str) -> TransferRecord:
        if existing.content_hash != digest:
            raise TransferConflictError(existing.id)
        return existing
