"""One place that assembles the money services from their ports.

Handlers build it from settings (`tradewind.adapters.ledger_wiring.money_services`),
tests and notebooks from in-memory ports; either way every service shares one
ledger, one record store, one provider and one clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime

from tradewind.funds.service import FundService
from tradewind.ledger import chart
from tradewind.ledger.clock import utc_now
from tradewind.ledger.models import Frozen
from tradewind.ledger.ports import LedgerRepository
from tradewind.ledger.records import RecordStore
from tradewind.ledger.service import Ledger
from tradewind.payments.deposits import DepositService
from tradewind.payments.events import WebhookService
from tradewind.payments.provider import PaymentProvider
from tradewind.payments.reconciliation import Reconciler
from tradewind.payments.schedules import RunResult, ScheduleService
from tradewind.payments.webhooks import WebhookVerifier
from tradewind.payments.withdrawals import WithdrawalPolicy, WithdrawalService


class DueRun(Frozen):
    """What one run of the periodic money job did."""

    at: AwareDatetime
    scheduled_payments: tuple[RunResult, ...]
    expired_holds: tuple[str, ...]
    recovered_withdrawals: tuple[str, ...]


@dataclass(frozen=True)
class MoneyServices:
    ledger: Ledger
    deposits: DepositService
    withdrawals: WithdrawalService
    webhooks: WebhookService
    schedules: ScheduleService
    reconciler: Reconciler
    funds: FundService

    def run_due(self, now: datetime) -> DueRun:
        """The periodic job (EventBridge every few minutes on AWS, the scheduler thread locally).

        Runs due scheduled payments, expires lapsed holds and finishes withdrawals a crash
        or a lost webhook left open. Every part is idempotent: overlapping runs are safe.
        """
        return DueRun(
            at=now,
            scheduled_payments=tuple(self.schedules.run_due(now)),
            expired_holds=tuple(r.pending_id or r.id for r in self.ledger.expire_due(now)),
            recovered_withdrawals=tuple(w.id for w in self.withdrawals.recover(now)),
        )


def assemble(
    repository: LedgerRepository,
    store: RecordStore,
    provider: PaymentProvider,
    webhook_secrets: tuple[str, ...],
    *,
    clock: Callable[[], datetime] = utc_now,
    policy: WithdrawalPolicy | None = None,
    currencies: tuple[str, ...] = ("USD",),
) -> MoneyServices:
    ledger = Ledger(repository, clock)
    for code in currencies:
        for account in chart.platform_accounts(code):
            ledger.open_account(account)
    deposits = DepositService(ledger, provider, store, clock)
    withdrawals = WithdrawalService(ledger, provider, store, clock, policy)
    return MoneyServices(
        ledger=ledger,
        deposits=deposits,
        withdrawals=withdrawals,
        webhooks=WebhookService(WebhookVerifier(webhook_secrets, store), deposits, withdrawals, clock),
        schedules=ScheduleService(ledger, deposits, store, clock),
        reconciler=Reconciler(ledger, provider),
        funds=FundService(ledger, store, clock),
    )
