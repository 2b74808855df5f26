"""The ledger's records: accounts, legs, transfers, balances, entries, audit records.

These are the boundary models of the ledger service: API handlers, CLI commands and
the other domain services build them, and the repositories store them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tradewind.ledger import currency as currencies

# Ids end up inside DynamoDB keys joined by '#': the pattern keeps them unambiguous.
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$")]
Currency = Annotated[str, AfterValidator(currencies.validate)]
MAX_SHARDS = 64


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountType(StrEnum):
    INVESTOR_CASH = "investor_cash"
    INVESTOR_FUND_HOLDING = "investor_fund_holding"
    POOL_CASH = "pool_cash"
    POOL_POSITIONS = "pool_positions"
    POOL_FEES_ACCRUED = "pool_fees_accrued"
    POOL_UNITS_ISSUED = "pool_units_issued"
    POOL_DEALING = "pool_dealing"
    PLATFORM_OMNIBUS = "platform_omnibus"
    PROVIDER_CLEARING = "provider_clearing"
    FEE_INCOME = "fee_income"
    BROKER_CASH = "broker_cash"
    MARKET_PNL = "market_pnl"
    LOSSES = "losses"


class Account(Frozen):
    """A ledger account in one currency.

    `shards` > 1 splits a hot account (omnibus, clearing) into sub-accounts whose
    balances are summed on read, so concurrent transfers touch different items.
    A sharded account cannot be non-negative: no single item sees its whole balance.
    """

    id: Id
    owner: Id
    type: AccountType
    currency: Currency
    non_negative: bool = False
    shards: int = Field(1, ge=1, le=MAX_SHARDS)
    created_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _shards_allow_checks(self) -> Account:
        if self.non_negative and self.shards > 1:
            raise ValueError("a sharded account cannot be flagged non-negative")
        return self

    def same_attributes(self, other: Account) -> bool:
        return self.model_dump(exclude={"created_at"}) == other.model_dump(exclude={"created_at"})


class Leg(Frozen):
    """One side of a transfer: positive credits the account holder, negative debits them."""

    account_id: Id
    amount: int
    currency: Currency

    @model_validator(mode="after")
    def _non_zero(self) -> Leg:
        if self.amount == 0:
            raise ValueError("a leg must move a non-zero amount")
        return self


class TransferRequest(Frozen):
    """A balanced, all-or-nothing set of legs, idempotent by its caller-supplied id."""

    id: Id
    legs: tuple[Leg, ...] = Field(min_length=2)
    memo: str = Field("", max_length=500)
    metadata: dict[str, str] = Field(default_factory=dict)


class HoldRequest(Frozen):
    """A pending transfer: reserves `amount` of the debit account until posted, voided or expired."""

    id: Id
    debit_account: Id
    credit_account: Id
    amount: int = Field(gt=0)
    currency: Currency
    expires_at: AwareDatetime
    memo: str = Field("", max_length=500)
    metadata: dict[str, str] = Field(default_factory=dict)


class Resolution(StrEnum):
    POST = "post"
    VOID = "void"
    EXPIRE = "expire"


class ResolveRequest(Frozen):
    """Post (possibly for less), void or expire a pending transfer; idempotent by `id`."""

    id: Id
    pending_id: Id
    action: Resolution
    amount: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _amount_only_when_posting(self) -> ResolveRequest:
        if self.amount is not None and self.action is not Resolution.POST:
            raise ValueError("only a post may carry an amount")
        return self


class TransferKind(StrEnum):
    POSTED = "posted"
    PENDING = "pending"
    RESOLUTION = "resolution"


class PendingState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class TransferRecord(Frozen):
    """What the journal stores for a transfer; returned again on an idempotent replay."""

    id: Id
    kind: TransferKind
    legs: tuple[Leg, ...]
    memo: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    content_hash: str
    created_at: AwareDatetime
    # Pending transfers only:
    state: PendingState | None = None
    expires_at: AwareDatetime | None = None
    # Resolutions only:
    pending_id: str | None = None
    action: Resolution | None = None


class AuditRecord(Frozen):
    """Who did what, when and why: written in the same transaction as the change it explains."""

    id: Id
    actor: Id
    action: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=1000)
    at: AwareDatetime
    subject: dict[str, str] = Field(default_factory=dict)


class Balance(Frozen):
    account_id: str
    currency: str
    posted: int
    pending_debits: int
    pending_credits: int

    @property
    def available(self) -> int:
        """What may still be debited: holds already count against it."""
        return self.posted - self.pending_debits


class Entry(Frozen):
    """One posted movement on one account, for history and statements."""

    account_id: str
    transfer_id: str
    amount: int
    currency: str
    at: AwareDatetime
    memo: str = ""


class EntryPage(Frozen):
    entries: tuple[Entry, ...]
    cursor: str | None


class Statement(Frozen):
    account_id: str
    currency: str
    start: datetime
    end: datetime
    opening: int
    closing: int
    entries: tuple[Entry, ...]


def content_hash(payload: dict[str, Any]) -> str:
    """Fingerprint of a request's content: equal requests under one id are replays."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
