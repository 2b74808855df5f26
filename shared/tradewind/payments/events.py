"""The webhook entry point: verify, then route each PelicanPay event to its effect.

The Lambda behind the public webhook URL calls `WebhookService.handle` with the
raw body and the signature header and answers:

- 200 when the event took effect (or had already: effects are idempotent);
- 200 for a `WebhookReplayedError` (an identical delivery seen before: nothing
  is processed, the rejection is logged, and the provider stops resending);
- 401 for any other `WebhookRejectedError` (forged, stale, malformed);
- 422 for `DepositError`/`WithdrawalError` (authentic but inconsistent with what
  we asked for: logged for an operator);
- 500 for anything else, so the provider retries later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tradewind.ledger.models import Frozen
from tradewind.payments.deposits import DepositService
from tradewind.payments.webhooks import EventType, WebhookVerifier
from tradewind.payments.withdrawals import WithdrawalService


class WebhookOutcome(Frozen):
    event_id: str
    type: EventType
    effect: str


class WebhookService:
    def __init__(
        self,
        verifier: WebhookVerifier,
        deposits: DepositService,
        withdrawals: WithdrawalService,
        clock: Callable[[], datetime],
    ) -> None:
        self._verifier = verifier
        self._deposits = deposits
        self._withdrawals = withdrawals
        self._clock = clock

    def handle(self, body: bytes, signature: str | None) -> WebhookOutcome:
        event = self._verifier.verify(body, signature, self._clock())
        payment = event.data
        match event.type:
            case EventType.TOPUP_SUCCEEDED:
                effect = f"credited by {self._deposits.on_succeeded(payment).id}"
            case EventType.TOPUP_FAILED:
                self._deposits.on_failed(payment)
                effect = "deposit failed"
            case EventType.TOPUP_CHARGED_BACK:
                effect = f"reversed by {self._deposits.on_charged_back(payment).id}"
            case EventType.REFUND_SUCCEEDED:
                effect = f"reversed by {self._deposits.on_refund_succeeded(payment).id}"
            case EventType.REFUND_FAILED:
                effect = "refund failed: nothing to book"
            case EventType.PAYOUT_PAID | EventType.PAYOUT_FAILED:
                effect = f"withdrawal {self._withdrawals.sync(payment.reference).status.value}"
        return WebhookOutcome(event_id=event.id, type=event.type, effect=effect)
