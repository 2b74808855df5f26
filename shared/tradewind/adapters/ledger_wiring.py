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
    api_key, secrets = settings.pelicanpay_credentials()
    return assemble(
        DynamoLedgerRepository(settings.table("ledger"), settings.table("accounts")),
        DynamoRecordStore(settings.table("ledger")),
        PelicanPayClient(settings.pelicanpay_url, api_key),
        secrets,
    )
