"""The money services wired to DynamoDB and PelicanPay from settings, once per process."""

from __future__ import annotations

from functools import cache

from tradewind.adapters.ledger_dynamodb import DynamoLedgerRepository
from tradewind.adapters.ledger_records_dynamodb import DynamoRecordStore
from tradewind.adapters.pelicanpay import PelicanPayClient
from tradewind.payments.wiring import MoneyServices, assemble
from tradewind.settings import get_settings


@cache
def money_services() -> MoneyServices:
    settings = get_settings()
    secrets = tuple(s for s in settings.pelicanpay_webhook_secrets.get_secret_value().split(",") if s)
    return assemble(
        DynamoLedgerRepository(settings.table("ledger"), settings.table("accounts")),
        DynamoRecordStore(settings.table("ledger")),
        PelicanPayClient(settings.pelicanpay_url, settings.pelicanpay_api_key.get_secret_value()),
        secrets,
    )
