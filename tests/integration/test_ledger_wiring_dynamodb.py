"""The money services wired from settings (DynamoDB tables by stage, PelicanPay by URL), driven by the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from local.sandboxes.pelicanpay import PelicanPaySandbox
from tests.unit.ledger.moto_ledger import STAGE, create_tables
from tradewind.adapters import aws, ledger_wiring
from tradewind.cli.main import main
from tradewind.ledger import chart
from tradewind.ledger.clock import utc_now
from tradewind.ledger.service import AdminTransferRequest
from tradewind.payments.withdrawals import StepUpProof, WithdrawalRequest
from tradewind.settings import get_settings


def _clear() -> None:
    for cached in (get_settings, aws.client, ledger_wiring.money_services):
        cached.cache_clear()


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[PelicanPaySandbox]:
    with PelicanPaySandbox("key-1", "secret-1") as running, mock_aws():
        monkeypatch.setenv("TRADEWIND_STAGE", STAGE)
        monkeypatch.setenv("TRADEWIND_PELICANPAY_URL", running.url)
        monkeypatch.setenv("TRADEWIND_PELICANPAY_API_KEY", "key-1")
        monkeypatch.setenv("TRADEWIND_PELICANPAY_WEBHOOK_SECRETS", "secret-1,secret-0")
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        _clear()
        create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        yield running
    _clear()


def test_run_due_recovers_a_withdrawal_through_the_configured_adapters(
    sandbox: PelicanPaySandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    money = ledger_wiring.money_services()
    money.ledger.open_account(chart.investor_cash_account("alice", "USD"))
    money.ledger.admin_transfer(
        AdminTransferRequest(
            id="seed",
            actor="ops-1",
            reason="opening balance for the test",
            from_account=chart.omnibus("USD"),
            to_account=chart.investor_cash("alice", "USD"),
            amount=5_000,
            currency="USD",
        )
    )
    sandbox.configure(outcome="pending", drop=True)
    proof = StepUpProof(user_id="alice", method="totp", verified_at=utc_now())
    payout_id = money.withdrawals.request(
        WithdrawalRequest(id="wd-1", user_id="alice", amount=2_000, currency="USD", destination="iban", step_up=proof)
    ).provider_payout_id
    sandbox.simulator.complete(str(payout_id))  # paid, but the webhook is lost

    later = (utc_now() + timedelta(minutes=10)).isoformat()
    assert main(["money", "run-due", "--at", later]) == 0
    assert json.loads(capsys.readouterr().out)["recovered_withdrawals"] == ["wd-1"]
    assert main(["money", "balance", chart.investor_cash("alice", "USD")]) == 0
    balance = json.loads(capsys.readouterr().out)
    assert (balance["posted"], balance["pending_debits"]) == (3_000, 0)
