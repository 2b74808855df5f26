"""Withdrawals: hold the money, ask PelicanPay to pay out, then settle or release the hold.

The hold (a pending ledger transfer) is taken before the provider is asked, so the
investor can never spend the money twice. The payout's reference is the withdrawal
id, which the provider treats as an idempotency key: a retried request, a crash
between the payout and the settle, or a recovery run can never pay twice. The
provider's current payout status (not the order in which webhooks arrive) decides
whether the hold is posted or voided.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from tradewind.ledger import chart
from tradewind.ledger.errors import InsufficientFundsError, PendingNotOpenError, TransferConflictError
from tradewind.ledger.models import Currency, Frozen, HoldRequest, Id, Resolution, ResolveRequest
from tradewind.ledger.ports import time_key
from tradewind.ledger.records import IndexKey, RecordStore, load, mutate
from tradewind.ledger.service import Ledger
from tradewind.payments.provider import (
    PaymentKind,
    PaymentProvider,
    PaymentStatus,
    PayoutRequest,
    ProviderError,
    ProviderPayment,
)
from tradewind.payments.reversal import take_back

logger = logging.getLogger(__name__)

HOLD_LIFETIME = timedelta(days=30)
OPEN_INDEX = "WITHDRAWALS-OPEN"


class StepUpProof(Frozen):
    """Evidence of a fresh MFA step-up, produced by the API layer after verifying the factor."""

    user_id: Id
    method: Literal["totp", "webauthn"]
    verified_at: AwareDatetime
    purpose: Literal["withdrawal"] = "withdrawal"


class Limit(Frozen):
    per_withdrawal: int = Field(gt=0)
    per_day: int = Field(gt=0)


class WithdrawalPolicy(Frozen):
    """Per-user limits by currency (minor units; a calendar day in UTC) and the step-up freshness."""

    limits: dict[str, Limit] = Field(
        default_factory=lambda: {"USD": Limit(per_withdrawal=1_000_000, per_day=2_500_000)}
    )
    step_up_max_age: timedelta = timedelta(minutes=5)


class WithdrawalRequest(Frozen):
    id: Id
    user_id: Id
    amount: int = Field(gt=0)
    currency: Currency
    destination: str = Field(min_length=1, max_length=128)
    step_up: StepUpProof


class WithdrawalStatus(StrEnum):
    HELD = "held"
    REQUESTED = "requested"
    PAID = "paid"
    FAILED = "failed"


class Withdrawal(Frozen):
    id: str
    user_id: str
    amount: int
    currency: str
    destination: str
    status: WithdrawalStatus
    created_at: AwareDatetime
    provider_payout_id: str | None = None


class WithdrawalError(Exception):
    """The withdrawal is refused (limits, step-up, funds, reuse of an id); nothing was booked."""


class DailyUsage(Frozen):
    withdrawals: dict[str, int] = Field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.withdrawals.values())


def hold_id(withdrawal_id: str) -> str:
    return f"wd.{withdrawal_id}.hold"


def _key(withdrawal_id: str) -> tuple[str, str]:
    return f"WD#{withdrawal_id}", "WD"


def _open_index(w: Withdrawal) -> IndexKey | None:
    if w.status in (WithdrawalStatus.HELD, WithdrawalStatus.REQUESTED):
        return IndexKey(OPEN_INDEX, f"{time_key(w.created_at)}#{w.id}")
    return None


class WithdrawalService:
    def __init__(
        self,
        ledger: Ledger,
        provider: PaymentProvider,
        store: RecordStore,
        clock: Callable[[], datetime],
        policy: WithdrawalPolicy | None = None,
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._store = store
        self._clock = clock
        self._policy = policy or WithdrawalPolicy()

    def request(self, request: WithdrawalRequest) -> Withdrawal:
        """Hold the funds and request the payout; a retry with the same id resumes where it stopped."""
        now = self._clock()
        self._check_step_up(request, now)
        pk, sk = _key(request.id)
        existing = load(self._store, pk, sk, Withdrawal)
        if existing is None:
            withdrawal = self._hold(request, now)
        else:
            same = (existing.user_id, existing.amount, existing.currency, existing.destination) == (
                request.user_id,
                request.amount,
                request.currency,
                request.destination,
            )
            if not same:
                raise WithdrawalError(f"withdrawal id {request.id!r} was already used for another withdrawal")
            withdrawal = existing
        if withdrawal.status is WithdrawalStatus.HELD:
            withdrawal = self._request_payout(withdrawal)
        return withdrawal

    def get(self, withdrawal_id: str) -> Withdrawal:
        withdrawal = load(self._store, *_key(withdrawal_id), Withdrawal)
        if withdrawal is None:
            raise WithdrawalError(f"unknown withdrawal {withdrawal_id!r}")
        return withdrawal

    def sync(self, withdrawal_id: str) -> Withdrawal:
        """Make the ledger agree with the provider's payout status (webhook and recovery both call this)."""
        withdrawal = self.get(withdrawal_id)
        if withdrawal.status in (WithdrawalStatus.PAID, WithdrawalStatus.FAILED):
            return withdrawal
        payout = self._provider.find_by_reference(PaymentKind.PAYOUT, withdrawal.id)
        if payout is None:
            # Never reached the provider (crash or outage before the call): ask again, same reference.
            return self._request_payout(withdrawal)
        return self._apply(withdrawal, payout)

    def _apply(self, withdrawal: Withdrawal, payout: ProviderPayment) -> Withdrawal:
        """Post the hold for a paid payout, void it for a failed one, wait for a pending one."""
        if (payout.amount, payout.currency) != (withdrawal.amount, withdrawal.currency):
            raise WithdrawalError(f"payout {payout.id!r} does not match withdrawal {withdrawal.id!r}")
        if payout.status is PaymentStatus.SUCCEEDED:
            self._settle(withdrawal)
            return self._set_status(withdrawal.id, WithdrawalStatus.PAID, payout.id)
        if payout.status is PaymentStatus.FAILED:
            self._release(withdrawal)
            return self._set_status(withdrawal.id, WithdrawalStatus.FAILED, payout.id)
        return self._set_status(withdrawal.id, WithdrawalStatus.REQUESTED, payout.id)

    def recover(
        self, now: datetime, older_than: timedelta = timedelta(minutes=5), limit: int = 100
    ) -> list[Withdrawal]:
        """Finish withdrawals left open by a crash or a lost webhook; idempotent, run on a schedule."""
        cutoff = time_key(now - older_than)
        return [self.sync(str(record.data["id"])) for record in self._store.query_index(OPEN_INDEX, cutoff, limit)]

    # Steps ------------------------------------------------------------------------

    def _check_step_up(self, request: WithdrawalRequest, now: datetime) -> None:
        proof = request.step_up
        age = now - proof.verified_at
        if proof.user_id != request.user_id:
            raise WithdrawalError("the MFA step-up belongs to another user")
        if age > self._policy.step_up_max_age or age < -timedelta(seconds=30):
            raise WithdrawalError("a fresh MFA step-up is required for a withdrawal")

    def _hold(self, request: WithdrawalRequest, now: datetime) -> Withdrawal:
        self._reserve_limit(request, now)
        debit = chart.investor_cash(request.user_id, request.currency)
        try:
            self._ledger.hold(
                HoldRequest(
                    id=hold_id(request.id),
                    debit_account=debit,
                    credit_account=chart.provider_clearing(request.currency),
                    amount=request.amount,
                    currency=request.currency,
                    expires_at=now + HOLD_LIFETIME,
                    memo="withdrawal",
                    metadata={"withdrawal_id": request.id, "user_id": request.user_id},
                )
            )
        except InsufficientFundsError:
            self._release_limit(request.user_id, request.currency, request.id, now)
            raise WithdrawalError("insufficient available balance") from None
        except TransferConflictError:
            # A retry after a crash between the hold and the record: the hold's expiry differs, not its money.
            held = self._ledger.get_transfer(hold_id(request.id))
            if held.legs[0].account_id != debit or held.legs[1].amount != request.amount:
                raise WithdrawalError(f"withdrawal id {request.id!r} was already used for another withdrawal") from None
        withdrawal = Withdrawal(
            id=request.id,
            user_id=request.user_id,
            amount=request.amount,
            currency=request.currency,
            destination=request.destination,
            status=WithdrawalStatus.HELD,
            created_at=now,
        )
        self._store.create(*_key(request.id), withdrawal.model_dump(mode="json"), _open_index(withdrawal))
        return self.get(request.id)

    def _request_payout(self, withdrawal: Withdrawal) -> Withdrawal:
        try:
            payout = self._provider.create_payout(
                PayoutRequest(
                    reference=withdrawal.id,
                    amount=withdrawal.amount,
                    currency=withdrawal.currency,
                    destination=withdrawal.destination,
                )
            )
        except ProviderError:
            logger.warning("payout for withdrawal %s not requested yet; recovery will retry", withdrawal.id)
            return withdrawal
        return self._apply(withdrawal, payout)

    def _settle(self, withdrawal: Withdrawal) -> None:
        try:
            self._ledger.resolve(
                ResolveRequest(
                    id=f"wd.{withdrawal.id}.settle", pending_id=hold_id(withdrawal.id), action=Resolution.POST
                )
            )
        except PendingNotOpenError as error:
            if error.state == "posted":
                return
            # The hold lapsed before the provider paid: the money left anyway, take it now.
            take_back(
                self._ledger,
                transfer_id=f"wd.{withdrawal.id}.late-settle",
                user_id=withdrawal.user_id,
                amount=withdrawal.amount,
                currency=withdrawal.currency,
                memo="withdrawal settled after its hold lapsed",
                metadata={"withdrawal_id": withdrawal.id, "user_id": withdrawal.user_id},
            )

    def _release(self, withdrawal: Withdrawal) -> None:
        try:
            self._ledger.resolve(
                ResolveRequest(
                    id=f"wd.{withdrawal.id}.release", pending_id=hold_id(withdrawal.id), action=Resolution.VOID
                )
            )
        except PendingNotOpenError as error:
            if error.state not in ("voided", "expired"):
                raise
        self._release_limit(withdrawal.user_id, withdrawal.currency, withdrawal.id, withdrawal.created_at)

    def _set_status(self, withdrawal_id: str, status: WithdrawalStatus, payout_id: str) -> Withdrawal:
        final = (WithdrawalStatus.PAID, WithdrawalStatus.FAILED)

        def change(w: Withdrawal) -> Withdrawal:
            if w.status in final:
                return w
            return w.model_copy(update={"status": status, "provider_payout_id": payout_id})

        return mutate(self._store, *_key(withdrawal_id), Withdrawal, change, index_of=_open_index)

    # Limits -------------------------------------------------------------------------

    def _reserve_limit(self, request: WithdrawalRequest, now: datetime) -> None:
        limit = self._policy.limits.get(request.currency)
        if limit is None:
            raise WithdrawalError(f"withdrawals in {request.currency} are not offered")
        if request.amount > limit.per_withdrawal:
            raise WithdrawalError(f"a withdrawal may not exceed {limit.per_withdrawal} minor units")
        pk, sk = _usage_key(request.user_id, request.currency, now)
        self._store.create(pk, sk, DailyUsage().model_dump(mode="json"))

        def reserve(usage: DailyUsage) -> DailyUsage:
            if request.id in usage.withdrawals:
                return usage
            if usage.total + request.amount > limit.per_day:
                raise WithdrawalError(f"the daily withdrawal limit of {limit.per_day} minor units is reached")
            return usage.model_copy(update={"withdrawals": {**usage.withdrawals, request.id: request.amount}})

        mutate(self._store, pk, sk, DailyUsage, reserve)

    def _release_limit(self, user_id: str, currency: str, withdrawal_id: str, day: datetime) -> None:
        def release(usage: DailyUsage) -> DailyUsage:
            remaining = {k: v for k, v in usage.withdrawals.items() if k != withdrawal_id}
            return usage.model_copy(update={"withdrawals": remaining})

        pk, sk = _usage_key(user_id, currency, day)
        if self._store.get(pk, sk) is not None:
            mutate(self._store, pk, sk, DailyUsage, release)


def _usage_key(user_id: str, currency: str, day: datetime) -> tuple[str, str]:
    return f"WDLIMIT#{user_id}#{currency}", day.date().isoformat()
