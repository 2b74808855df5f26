"""End to end over HTTP: the httpx adapter against the PelicanPay sandbox, signed webhooks to a loopback
receiver that calls the webhook service, and the ledger on DynamoDB (moto)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from local.sandboxes.pelicanpay import PelicanPaySandbox
from tests.unit.ledger.moto_ledger import moto_ledger
from tradewind.adapters.pelicanpay import PelicanPayClient
from tradewind.ledger import chart
from tradewind.ledger.clock import utc_now
from tradewind.payments.deposits import DepositError, DepositRequest, DepositStatus
from tradewind.payments.provider import PaymentKind, ProviderError, TopUpRequest
from tradewind.payments.webhooks import SIGNATURE_HEADER, WebhookRejectedError, WebhookReplayedError, sign
from tradewind.payments.wiring import MoneyServices, assemble
from tradewind.payments.withdrawals import StepUpProof, WithdrawalError, WithdrawalRequest, WithdrawalStatus

API_KEY = "sandbox-key"
SECRET = "whsec-http"
CASH = chart.investor_cash("alice", "USD")


def receiver(money: MoneyServices) -> ThreadingHTTPServer:
    """What the webhook Lambda does, on loopback: raw body and header in, a status code out."""

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                money.webhooks.handle(body, self.headers.get(SIGNATURE_HEADER))
                status = 200
            except WebhookReplayedError:
                status = 200
            except WebhookRejectedError:
                status = 401
            except (DepositError, WithdrawalError):
                status = 422
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    return ThreadingHTTPServer(("127.0.0.1", 0), Webhook)


@dataclass
class World:
    money: MoneyServices
    sandbox: PelicanPaySandbox
    webhook_url: str


@pytest.fixture
def world() -> Iterator[World]:
    with moto_ledger() as (_, repository, store), PelicanPaySandbox(API_KEY, SECRET) as sandbox:
        client = PelicanPayClient(sandbox.url, API_KEY)
        money = assemble(repository, store, client, (SECRET,))
        server = receiver(money)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/pelicanpay"
        sandbox.configure(webhook_url=url)
        yield World(money, sandbox, url)
        server.shutdown()
        server.server_close()
        client.close()


def test_a_hosted_checkout_credits_once_despite_triplicate_webhooks(world: World) -> None:
    world.sandbox.configure(duplicate=3)
    deposit = world.money.deposits.start(
        DepositRequest(id="dep-1", user_id="alice", amount=4_200, currency="USD", mode="hosted")
    )
    assert deposit.checkout_url is not None
    assert httpx.post(deposit.checkout_url).status_code == 200  # the investor pays on the hosted page
    world.sandbox.wait_idle()
    assert [d["status"] for d in world.sandbox.delivered()] == [200, 200, 200]
    assert world.money.ledger.balance(CASH).posted == 4_200
    assert world.money.deposits.get("dep-1").status is DepositStatus.SUCCEEDED


def test_reordered_webhooks_converge(world: World) -> None:
    world.sandbox.configure(reorder=True)
    world.money.deposits.start(DepositRequest(id="dep-1", user_id="alice", amount=900, currency="USD", mode="direct"))
    payment_id = world.money.deposits.get("dep-1").provider_payment_id
    assert httpx.post(f"{world.sandbox.url}/sandbox/payments/{payment_id}/chargeback").status_code == 200
    assert httpx.post(f"{world.sandbox.url}/sandbox/flush").json() == {"sent": 2}  # charge-back first
    world.sandbox.wait_idle()
    assert [d["event"]["type"] for d in world.sandbox.delivered()] == ["topup.charged_back", "topup.succeeded"]
    assert world.money.ledger.balance(CASH).posted == 0
    assert world.money.ledger.balance(chart.provider_clearing("USD")).posted == 0
    assert world.money.deposits.get("dep-1").status is DepositStatus.REVERSED


def test_a_delayed_payout_webhook_settles_the_withdrawal(world: World) -> None:
    world.money.deposits.start(DepositRequest(id="dep-1", user_id="alice", amount=3_000, currency="USD", mode="direct"))
    world.sandbox.wait_idle()
    world.sandbox.configure(outcome="pending", delay_ms=200)
    proof = StepUpProof(user_id="alice", method="totp", verified_at=utc_now())
    withdrawal = world.money.withdrawals.request(
        WithdrawalRequest(id="wd-1", user_id="alice", amount=1_000, currency="USD", destination="iban", step_up=proof)
    )
    assert withdrawal.status is WithdrawalStatus.REQUESTED
    world.sandbox.simulator.complete(str(withdrawal.provider_payout_id))
    world.sandbox.wait_idle()
    assert world.money.withdrawals.get("wd-1").status is WithdrawalStatus.PAID
    assert world.money.ledger.balance(CASH).posted == 2_000


def test_forged_and_stale_deliveries_get_401_and_change_nothing(world: World) -> None:
    world.money.deposits.start(DepositRequest(id="dep-1", user_id="alice", amount=500, currency="USD", mode="hosted"))
    payment = world.sandbox.simulator.get_payment(str(world.money.deposits.get("dep-1").provider_payment_id))
    event = {
        "id": "evt_forged",
        "type": "topup.succeeded",
        "created_at": utc_now().isoformat(),
        "data": {**payment.model_dump(mode="json"), "status": "succeeded"},
    }
    body = json.dumps(event).encode()
    forged = sign("not-the-secret", body, int(time.time()))
    stale = sign(SECRET, body, int(time.time()) - 3_600)
    for header in (forged, stale, ""):
        response = httpx.post(world.webhook_url, content=body, headers={SIGNATURE_HEADER: header})
        assert response.status_code == 401
    assert world.money.ledger.balance(CASH).posted == 0


def test_the_adapter_maps_refusals_and_outages_to_provider_errors(world: World) -> None:
    client = PelicanPayClient(world.sandbox.url, API_KEY)
    client.create_topup(TopUpRequest(reference="r-1", amount=100, currency="USD"))
    with pytest.raises(ProviderError, match="409"):
        client.create_topup(TopUpRequest(reference="r-1", amount=101, currency="USD"))
    assert client.find_by_reference(PaymentKind.PAYOUT, "r-1") is None
    with pytest.raises(ProviderError, match="401"):
        PelicanPayClient(world.sandbox.url, "wrong-key").find_by_reference(PaymentKind.TOPUP, "r-1")
    with pytest.raises(ProviderError, match="unreachable"):
        PelicanPayClient("http://127.0.0.1:9", API_KEY, timeout=0.5).find_by_reference(PaymentKind.TOPUP, "r-1")
    client.close()
