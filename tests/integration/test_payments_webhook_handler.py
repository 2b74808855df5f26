"""The payments-webhook Lambda on moto: API Gateway events in, status codes out, the ledger credited once."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.sandboxes.pelicanpay import PelicanPaySandbox
from tests.support.lambda_runtime import FakeLambdaContext
from tests.unit.ledger.moto_ledger import STAGE, create_tables
from tradewind.adapters import aws, ledger_wiring
from tradewind.ledger import chart
from tradewind.ledger.clock import utc_now
from tradewind.payments.deposits import DepositRequest
from tradewind.payments.webhooks import SIGNATURE_HEADER, sign
from tradewind.settings import get_settings

SECRET = "whsec-lambda"


def _clear() -> None:
    for cached in (get_settings, aws.client, ledger_wiring.money_services):
        cached.cache_clear()


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[PelicanPaySandbox]:
    with PelicanPaySandbox("key-1", SECRET) as running, mock_aws():
        monkeypatch.setenv("TRADEWIND_STAGE", STAGE)
        monkeypatch.setenv("TRADEWIND_PELICANPAY_URL", running.url)
        monkeypatch.setenv("TRADEWIND_PELICANPAY_API_KEY", "key-1")
        monkeypatch.setenv("TRADEWIND_PELICANPAY_WEBHOOK_SECRETS", SECRET)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        _clear()
        create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        yield running
    _clear()


def webhook_event(body: bytes, signature: str | None, base64_encoded: bool = False) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER.lower()] = signature  # API Gateway may lower-case header names
    return {
        "resource": "/webhooks/pelicanpay",
        "path": "/webhooks/pelicanpay",
        "httpMethod": "POST",
        "headers": headers,
        "requestContext": {"stage": "v1", "requestId": "req-1", "identity": {"sourceIp": "203.0.113.9"}},
        "body": base64.b64encode(body).decode() if base64_encoded else body.decode(),
        "isBase64Encoded": base64_encoded,
    }


def test_the_webhook_lambda_credits_once_and_refuses_forgeries(sandbox: PelicanPaySandbox) -> None:
    from functions.payments_webhook.handler import handler

    money = ledger_wiring.money_services()
    money.deposits.start(DepositRequest(id="dep-1", user_id="alice", amount=1_500, currency="USD", mode="hosted"))
    payment = sandbox.simulator.complete(str(money.deposits.get("dep-1").provider_payment_id))
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "topup.succeeded",
            "created_at": utc_now().isoformat(),
            "data": payment.model_dump(mode="json"),
        }
    ).encode()
    signature = sign(SECRET, body, int(time.time()))

    def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answer = handler(event, FakeLambdaContext(function_name="tradewind-test-payments-webhook"))
        return answer["statusCode"], json.loads(answer["body"])

    assert call(webhook_event(body, sign("guess", body, int(time.time()))))[0] == 401
    assert call(webhook_event(body, None))[0] == 401
    status, answer = call(webhook_event(body, signature, base64_encoded=True))
    assert (status, answer["effect"]) == (200, "credited by dep.dep-1.credit")
    assert call(webhook_event(body, signature)) == (200, {"ignored": "replayed delivery"})
    mismatched = body.replace(b'"amount": 1500', b'"amount": 9999').replace(b"evt_1", b"evt_2")
    status, problem = call(webhook_event(mismatched, sign(SECRET, mismatched, int(time.time()))))
    assert (status, problem["title"]) == (422, "webhook not applicable")
    assert money.ledger.balance(chart.investor_cash("alice", "USD")).posted == 1_500
