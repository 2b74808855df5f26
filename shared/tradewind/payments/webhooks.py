"""Signed webhooks: HMAC-SHA256 over `<timestamp>.<raw body>`, a tolerance window, replay refusal.

Header: `PelicanPay-Signature: t=<unix seconds>,v1=<hex digest>` (several v1 values
are allowed while a secret is rotated). A delivery is refused when the signature
does not match, when its timestamp is outside the tolerance window, or when the
very same signed delivery was already received (a replay). A provider *retry* is
signed afresh, so it passes and is then absorbed by the idempotent ledger effects.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NoReturn

from pydantic import AwareDatetime, Field, ValidationError

from tradewind.ledger.models import Frozen
from tradewind.ledger.records import RecordStore
from tradewind.payments.provider import ProviderPayment

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "PelicanPay-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=5)


class EventType(StrEnum):
    TOPUP_SUCCEEDED = "topup.succeeded"
    TOPUP_FAILED = "topup.failed"
    TOPUP_CHARGED_BACK = "topup.charged_back"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    PAYOUT_PAID = "payout.paid"
    PAYOUT_FAILED = "payout.failed"


class WebhookEvent(Frozen):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    type: EventType
    created_at: AwareDatetime
    data: ProviderPayment


class WebhookRejectedError(Exception):
    """The delivery is not authentic or not fresh; nothing was processed."""


class WebhookReplayedError(WebhookRejectedError):
    """This exact signed delivery was received before; it is not processed again.

    An attacker's replay and a provider's byte-identical duplicate look the same:
    either way the first delivery already took effect, so the endpoint acknowledges
    it (2xx, so the provider stops resending) without processing it.
    """


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for a body: used by the sandbox, and by tests to forge on purpose."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookVerifier:
    def __init__(self, secrets: tuple[str, ...], receipts: RecordStore, tolerance: timedelta = DEFAULT_TOLERANCE):
        if not secrets:
            raise ValueError("at least one webhook secret is required")
        self._secrets = secrets
        self._receipts = receipts
        self._tolerance = tolerance

    def verify(self, body: bytes, header: str | None, now: datetime) -> WebhookEvent:
        """Authenticate one delivery and parse it; raise WebhookRejectedError (logged) otherwise."""
        timestamp, digests = self._parse(header)
        try:
            sent_at = datetime.fromtimestamp(timestamp, now.tzinfo)
        except (OverflowError, OSError, ValueError):
            self._reject("malformed signature header")
        if abs(now - sent_at) > self._tolerance:
            self._reject("timestamp outside the tolerance window", sent_at=sent_at.isoformat())
        expected = [sign(secret, body, timestamp).split("v1=", 1)[1] for secret in self._secrets]
        matched = next((d for d in digests if any(hmac.compare_digest(d, e) for e in expected)), None)
        if matched is None:
            self._reject("signature does not match")
        try:
            event = WebhookEvent.model_validate_json(body)
        except ValidationError as error:
            self._reject("malformed event", errors=str(error.error_count()))
        first_time = self._receipts.create(
            f"WEBHOOK#{event.id}", f"SIG#{matched}", {"received_at": now.isoformat(), "type": event.type.value}
        )
        if not first_time:
            logger.warning("webhook rejected: replayed delivery", extra={"event_id": event.id})
            raise WebhookReplayedError("replayed delivery")
        return event

    def _parse(self, header: str | None) -> tuple[int, list[str]]:
        if not header:
            self._reject("missing signature header")
        parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
        timestamps = [v for k, v in parts if k.strip() == "t"]
        digests = [v.strip() for k, v in parts if k.strip() == "v1"]
        if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not digests:
            self._reject("malformed signature header")
        return int(timestamps[0]), digests

    @staticmethod
    def _reject(reason: str, **context: str) -> NoReturn:
        logger.warning("webhook rejected: %s", reason, extra={"reason": reason, **context})
        raise WebhookRejectedError(reason)
