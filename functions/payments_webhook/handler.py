"""PelicanPay webhooks: a public endpoint; authenticity comes from the HMAC signature, not from Cognito.

Thin on purpose: the raw body and the signature header go to the webhook service,
whose outcome maps to a status code (see `tradewind.payments.events`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradewind.adapters.ledger_wiring import money_services
from tradewind.payments.deposits import DepositError
from tradewind.payments.webhooks import SIGNATURE_HEADER, WebhookRejectedError, WebhookReplayedError
from tradewind.payments.withdrawals import WithdrawalError

logger = Logger()
tracer = Tracer()


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def _signature(event: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return headers.get(SIGNATURE_HEADER.lower())


def _answer(status: int, body: dict[str, str]) -> dict[str, Any]:
    content_type = "application/json" if status < 400 else "application/problem+json"
    return {"statusCode": status, "headers": {"Content-Type": content_type}, "body": json.dumps(body)}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        outcome = money_services().webhooks.handle(_raw_body(event), _signature(event))
    except WebhookReplayedError:
        return _answer(200, {"ignored": "replayed delivery"})
    except WebhookRejectedError as rejected:
        return _answer(401, {"title": "webhook rejected", "status": "401", "detail": str(rejected)})
    except (DepositError, WithdrawalError) as inconsistent:
        logger.error("authentic webhook refused", extra={"detail": str(inconsistent)})
        return _answer(422, {"title": "webhook not applicable", "status": "422", "detail": str(inconsistent)})
    logger.info("webhook applied", extra=outcome.model_dump(mode="json"))
    return _answer(200, {"event_id": outcome.event_id, "effect": outcome.effect})
