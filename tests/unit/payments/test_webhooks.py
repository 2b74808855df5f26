"""Webhook authenticity: forged, replayed, stale and malformed deliveries are refused and change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local.sandboxes.pelicanpay import PelicanPaySimulator
from tests.unit.payments.conftest import SECRET, Deliver, cash
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.memory import InMemoryRecordStore
from tradewind.payments.deposits import DepositRequest
from tradewind.payments.webhooks import WebhookRejectedError, WebhookReplayedError, WebhookVerifier, sign
from tradewind.payments.wiring import MoneyServices


@pytest.fixture
def succeeded_topup(money: MoneyServices, simulator: PelicanPaySimulator) -> bytes:
    money.deposits.start(DepositRequest(id="dep-1", user_id="alice", amount=2_500, currency="USD", mode="direct"))
    [event] = simulator.take_events()
    return json.dumps(event).encode()


def now_header(body: bytes, clock: ManualClock, secret: str = SECRET, shift: timedelta = timedelta(0)) -> str:
    return sign(secret, body, int((clock() + shift).timestamp()))


def assert_refused(money: MoneyServices, body: bytes, header: str | None, reason: str) -> None:
    with pytest.raises(WebhookRejectedError, match=reason):
        money.webhooks.handle(body, header)
    assert money.ledger.balance(cash("alice")).posted == 0


def test_a_genuine_delivery_credits(money: MoneyServices, succeeded_topup: bytes, clock: ManualClock) -> None:
    outcome = money.webhooks.handle(succeeded_topup, now_header(succeeded_topup, clock))
    assert outcome.effect == "credited by dep.dep-1.credit"
    assert money.ledger.balance(cash("alice")).posted == 2_500


def test_a_forged_signature_is_refused_and_logged(
    money: MoneyServices, succeeded_topup: bytes, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert_refused(money, succeeded_topup, now_header(succeeded_topup, clock, secret="guessed"), "does not match")
    assert "webhook rejected: signature does not match" in caplog.text


def test_a_tampered_body_is_refused(money: MoneyServices, succeeded_topup: bytes, clock: ManualClock) -> None:
    header = now_header(succeeded_topup, clock)
    tampered = succeeded_topup.replace(b'"amount": 2500', b'"amount": 9500')
    assert tampered != succeeded_topup
    assert_refused(money, tampered, header, "does not match")


@pytest.mark.parametrize("shift", [timedelta(minutes=-6), timedelta(minutes=6)], ids=["stale", "from-the-future"])
def test_a_timestamp_outside_the_window_is_refused(
    money: MoneyServices, succeeded_topup: bytes, clock: ManualClock, shift: timedelta
) -> None:
    assert_refused(money, succeeded_topup, now_header(succeeded_topup, clock, shift=shift), "tolerance")


def test_a_replayed_delivery_is_refused(money: MoneyServices, succeeded_topup: bytes, clock: ManualClock) -> None:
    header = now_header(succeeded_topup, clock)
    money.webhooks.handle(succeeded_topup, header)
    with pytest.raises(WebhookReplayedError, match="replayed"):
        money.webhooks.handle(succeeded_topup, header)
    assert money.ledger.balance(cash("alice")).posted == 2_500


def test_a_provider_retry_is_accepted_and_credits_nothing_more(
    money: MoneyServices, succeeded_topup: bytes, deliver: Deliver
) -> None:
    event = json.loads(succeeded_topup)
    deliver([event, event, event])
    assert money.ledger.balance(cash("alice")).posted == 2_500


@pytest.mark.parametrize(
    "header",
    [None, "", "v1=abc", "t=notanumber,v1=abc", "t=1,t=2,v1=abc", "t=1772443800", "t=99999999999999999999,v1=abc"],
    ids=["missing", "empty", "no-timestamp", "bad-timestamp", "two-timestamps", "no-signature", "absurd-timestamp"],
)
def test_malformed_headers_are_refused(money: MoneyServices, succeeded_topup: bytes, header: str | None) -> None:
    assert_refused(money, succeeded_topup, header, "signature header")


def test_a_signed_but_malformed_event_is_refused(
    money: MoneyServices, succeeded_topup: bytes, clock: ManualClock
) -> None:
    body = b'{"id": "evt_1", "type": "topup.succeeded", "data": {"amount": -1}}'
    assert_refused(money, body, now_header(body, clock), "malformed event")


def test_during_rotation_both_secrets_verify(clock: ManualClock) -> None:
    verifier = WebhookVerifier(("new-secret", "old-secret"), InMemoryRecordStore())
    event = {
        "id": "evt_9",
        "type": "payout.paid",
        "created_at": clock().isoformat(),
        "data": {
            "id": "pp_payout_1",
            "kind": "payout",
            "status": "succeeded",
            "amount": 10,
            "currency": "USD",
            "reference": "wd-1",
            "created_at": clock().isoformat(),
        },
    }
    body = json.dumps(event).encode()
    assert verifier.verify(body, now_header(body, clock, secret="old-secret"), clock()).id == "evt_9"
    assert verifier.verify(body, now_header(body, clock, secret="new-secret"), clock()).id == "evt_9"
    with pytest.raises(ValueError, match="secret"):
        WebhookVerifier((), InMemoryRecordStore())


@settings(max_examples=300, deadline=None)
@given(header=st.one_of(st.none(), st.text(max_size=80)), body=st.binary(max_size=200))
def test_arbitrary_input_is_only_ever_rejected(header: str | None, body: bytes) -> None:
    verifier = WebhookVerifier((SECRET,), InMemoryRecordStore())
    with pytest.raises(WebhookRejectedError):
        verifier.verify(body, header, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
