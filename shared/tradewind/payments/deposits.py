"""Deposits: a PelicanPay top-up, credited exactly once when its verified webhook arrives.

Ledger effects are transfers with ids derived from the deposit, so duplicated and
reordered events converge: a charge-back or refund seen before the success first
books the (idempotent) credit, then its reversal; the late success is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from tradewind.ledger import chart
from tradewind.ledger.models import AuditRecord, Currency, Frozen, Id, Leg, TransferRecord, TransferRequest
from tradewind.ledger.records import RecordStore, load, mutate
from tradewind.ledger.service import Ledger
from tradewind.payments.provider import (
    PaymentKind,
    PaymentProvider,
    ProviderPayment,
    RefundRequest,
    TopUpRequest,
)
from tradewind.payments.reversal import take_back

logger = logging.getLogger(__name__)


class DepositStatus(StrEnum):
    INITIATED = "initiated"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REVERSED = "reversed"


class DepositRequest(Frozen):
    """What an investor asks for; `id` is their idempotency key (a retried request returns the same deposit)."""

    id: Id
    user_id: Id
    amount: int = Field(gt=0)
    currency: Currency
    mode: Literal["hosted", "direct"] = "hosted"
    payment_method: str | None = Field(None, max_length=128)
    return_url: str | None = Field(None, max_length=2048)


class Deposit(Frozen):
    id: str
    user_id: str
    amount: int
    currency: str
    mode: str
    status: DepositStatus
    created_at: AwareDatetime
    provider_payment_id: str | None = None
    checkout_url: str | None = None
    # Reversal transfer id -> amount, so a duplicated refund event counts once.
    reversals: dict[str, int] = Field(default_factory=dict)

    @property
    def reversed_amount(self) -> int:
        return sum(self.reversals.values())


class RefundCommand(Frozen):
    """An operator refunding (part of) a deposit; the money moves when the provider confirms."""

    deposit_id: Id
    refund_id: Id
    amount: int = Field(gt=0)
    actor: Id
    reason: str = Field(min_length=10, max_length=1000)


class DepositError(Exception):
    """A deposit request or event that cannot be honoured; nothing was booked."""


def _key(deposit_id: str) -> tuple[str, str]:
    return f"DEP#{deposit_id}", "DEP"


def _payment_key(provider_payment_id: str) -> tuple[str, str]:
    return f"PAYMENT#{provider_payment_id}", "DEP"


def credit_id(deposit_id: str) -> str:
    return f"dep.{deposit_id}.credit"


def refund_transfer_id(deposit_id: str, refund_reference: str) -> str:
    return f"dep.{deposit_id}.refund.{refund_reference}"


def chargeback_id(deposit_id: str) -> str:
    return f"dep.{deposit_id}.chargeback"


class DepositService:
    def __init__(
        self, ledger: Ledger, provider: PaymentProvider, store: RecordStore, clock: Callable[[], datetime]
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._store = store
        self._clock = clock

    def start(self, request: DepositRequest) -> Deposit:
        """Create the top-up at the provider; safe to retry with the same id."""
        self._ledger.open_account(chart.investor_cash_account(request.user_id, request.currency))
        pk, sk = _key(request.id)
        fresh = Deposit(
            id=request.id,
            user_id=request.user_id,
            amount=request.amount,
            currency=request.currency,
            mode=request.mode,
            status=DepositStatus.INITIATED,
            created_at=self._clock(),
        )
        if not self._store.create(pk, sk, fresh.model_dump(mode="json")):
            existing = self.get(request.id)
            same = (existing.user_id, existing.amount, existing.currency, existing.mode) == (
                request.user_id,
                request.amount,
                request.currency,
                request.mode,
            )
            if not same:
                raise DepositError(f"deposit id {request.id!r} was already used for another deposit")
            if existing.provider_payment_id is not None:
                return existing
        payment = self._provider.create_topup(
            TopUpRequest(
                reference=request.id,
                amount=request.amount,
                currency=request.currency,
                mode=request.mode,
                payment_method=request.payment_method,
                return_url=request.return_url,
            )
        )
        self._store.create(*_payment_key(payment.id), {"deposit_id": request.id})

        def attach(d: Deposit) -> Deposit:
            status = DepositStatus.PENDING if d.status is DepositStatus.INITIATED else d.status
            return d.model_copy(
                update={"provider_payment_id": payment.id, "checkout_url": payment.checkout_url, "status": status}
            )

        return mutate(self._store, pk, sk, Deposit, attach)

    def get(self, deposit_id: str) -> Deposit:
        deposit = load(self._store, *_key(deposit_id), Deposit)
        if deposit is None:
            raise DepositError(f"unknown deposit {deposit_id!r}")
        return deposit

    def refund(self, command: RefundCommand) -> ProviderPayment:
        """Ask the provider to refund; audited now, booked by the `refund.succeeded` webhook."""
        deposit = self.get(command.deposit_id)
        if deposit.status is not DepositStatus.SUCCEEDED or deposit.provider_payment_id is None:
            raise DepositError(
                f"deposit {deposit.id!r} is {deposit.status.value}: only a succeeded deposit is refunded"
            )
        if command.amount > deposit.amount - deposit.reversed_amount:
            raise DepositError(f"cannot refund {command.amount}: only {deposit.amount - deposit.reversed_amount} left")
        self._ledger.record_audit(
            AuditRecord(
                id=f"refund.{command.refund_id}",
                actor=command.actor,
                action="payments.refund",
                reason=command.reason,
                at=self._clock(),
                subject={"deposit_id": deposit.id, "amount": str(command.amount), "currency": deposit.currency},
            )
        )
        return self._provider.create_refund(
            RefundRequest(reference=command.refund_id, payment_id=deposit.provider_payment_id, amount=command.amount)
        )

    # Webhook effects -------------------------------------------------------------

    def on_succeeded(self, payment: ProviderPayment) -> TransferRecord:
        deposit = self._matching(payment)
        record = self._credit(deposit)
        mutate(self._store, *_key(deposit.id), Deposit, _advance(DepositStatus.SUCCEEDED))
        return record

    def on_failed(self, payment: ProviderPayment) -> None:
        deposit = self._matching(payment)
        if self._ledger.find_transfer(credit_id(deposit.id)) is not None:
            logger.warning("failure reported for a credited deposit %s: ignored", deposit.id)
            return
        mutate(self._store, *_key(deposit.id), Deposit, _advance(DepositStatus.FAILED))

    def on_charged_back(self, payment: ProviderPayment) -> TransferRecord:
        deposit = self._matching(payment)
        self._credit(deposit)
        return self._reverse(deposit, chargeback_id(deposit.id), deposit.amount, "charge-back")

    def on_refund_succeeded(self, refund: ProviderPayment) -> TransferRecord:
        if refund.kind is not PaymentKind.REFUND or refund.payment_id is None:
            raise DepositError(f"{refund.id!r} is not a refund")
        link = self._store.get(*_payment_key(refund.payment_id))
        if link is None:
            raise DepositError(f"refund {refund.id!r} is for unknown payment {refund.payment_id!r}")
        deposit = self.get(str(link.data["deposit_id"]))
        if refund.currency != deposit.currency or refund.amount > deposit.amount:
            raise DepositError(f"refund {refund.id!r} does not fit deposit {deposit.id!r}")
        self._credit(deposit)
        return self._reverse(deposit, refund_transfer_id(deposit.id, refund.reference), refund.amount, "refund")

    def _matching(self, payment: ProviderPayment) -> Deposit:
        """The deposit a top-up event is about; refuse events that disagree with what we asked for."""
        if payment.kind is not PaymentKind.TOPUP:
            raise DepositError(f"{payment.id!r} is not a top-up")
        deposit = load(self._store, *_key(payment.reference), Deposit)
        if deposit is None:
            raise DepositError(f"top-up {payment.id!r} has unknown reference {payment.reference!r}")
        if (payment.amount, payment.currency) != (deposit.amount, deposit.currency) or (
            deposit.provider_payment_id not in (None, payment.id)
        ):
            raise DepositError(f"top-up {payment.id!r} does not match deposit {deposit.id!r}")
        return deposit

    def _credit(self, deposit: Deposit) -> TransferRecord:
        self._ledger.open_account(chart.investor_cash_account(deposit.user_id, deposit.currency))
        return self._ledger.transfer(
            TransferRequest(
                id=credit_id(deposit.id),
                legs=(
                    Leg(
                        account_id=chart.provider_clearing(deposit.currency),
                        amount=-deposit.amount,
                        currency=deposit.currency,
                    ),
                    Leg(
                        account_id=chart.investor_cash(deposit.user_id, deposit.currency),
                        amount=deposit.amount,
                        currency=deposit.currency,
                    ),
                ),
                memo="deposit",
                metadata={"deposit_id": deposit.id, "user_id": deposit.user_id},
            )
        )

    def _reverse(self, deposit: Deposit, transfer_id: str, amount: int, memo: str) -> TransferRecord:
        record = take_back(
            self._ledger,
            transfer_id=transfer_id,
            user_id=deposit.user_id,
            amount=amount,
            currency=deposit.currency,
            memo=memo,
            metadata={"deposit_id": deposit.id, "user_id": deposit.user_id},
        )

        def add(d: Deposit) -> Deposit:
            reversals = {**d.reversals, transfer_id: amount}
            status = DepositStatus.REVERSED if sum(reversals.values()) >= d.amount else DepositStatus.SUCCEEDED
            return d.model_copy(update={"reversals": reversals, "status": status})

        mutate(self._store, *_key(deposit.id), Deposit, add)
        return record


def _advance(status: DepositStatus) -> Callable[[Deposit], Deposit]:
    """Status only moves forward: a late 'succeeded' never undoes 'reversed', 'failed' never follows success."""
    order = [
        DepositStatus.INITIATED,
        DepositStatus.PENDING,
        DepositStatus.FAILED,
        DepositStatus.SUCCEEDED,
        DepositStatus.REVERSED,
    ]

    def change(d: Deposit) -> Deposit:
        return d if order.index(d.status) >= order.index(status) else d.model_copy(update={"status": status})

    return change
