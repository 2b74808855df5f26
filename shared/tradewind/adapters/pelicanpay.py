"""PelicanPay over HTTP (httpx): the `PaymentProvider` port for the real service and its sandbox.

Creates carry `Idempotency-Key: <reference>`, and the service is idempotent by
reference anyway, so transport errors and 5xx answers are retried safely. A 4xx
answer is a refusal and is not retried.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tradewind.payments.provider import (
    PaymentKind,
    PayoutRequest,
    ProviderError,
    ProviderPayment,
    RefundRequest,
    TopUpRequest,
)

_ATTEMPTS = 3
M = TypeVar("M", bound=BaseModel)


class _Page(BaseModel):
    data: list[ProviderPayment]
    next_cursor: str | None = None


class PelicanPayClient:
    def __init__(
        self, base_url: str, api_key: str, timeout: float = 10.0, transport: httpx.BaseTransport | None = None
    ):
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def create_topup(self, request: TopUpRequest) -> ProviderPayment:
        return self._create("/v1/topups", request)

    def create_payout(self, request: PayoutRequest) -> ProviderPayment:
        return self._create("/v1/payouts", request)

    def create_refund(self, request: RefundRequest) -> ProviderPayment:
        return self._create("/v1/refunds", request)

    def get_payment(self, payment_id: str) -> ProviderPayment:
        return _parse(ProviderPayment, self._call("GET", f"/v1/payments/{payment_id}"))

    def find_by_reference(self, kind: PaymentKind, reference: str) -> ProviderPayment | None:
        page = _parse(_Page, self._call("GET", "/v1/payments", params={"kind": kind.value, "reference": reference}))
        return page.data[0] if page.data else None

    def list_payments(self, start: datetime, end: datetime) -> list[ProviderPayment]:
        payments: list[ProviderPayment] = []
        params = {"created_from": start.isoformat(), "created_to": end.isoformat()}
        while True:
            page = _parse(_Page, self._call("GET", "/v1/payments", params=params))
            payments += page.data
            if page.next_cursor is None:
                return payments
            params["cursor"] = page.next_cursor

    def _create(self, path: str, request: TopUpRequest | PayoutRequest | RefundRequest) -> ProviderPayment:
        body = request.model_dump(mode="json", exclude_none=True)
        return _parse(
            ProviderPayment, self._call("POST", path, json=body, headers={"Idempotency-Key": request.reference})
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(_ATTEMPTS):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as error:
                failure = f"PelicanPay unreachable: {error}"
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError as error:
                        raise ProviderError(f"PelicanPay sent malformed JSON: {error}") from None
                if response.status_code < 500:
                    raise ProviderError(f"PelicanPay refused {method} {path}: {response.status_code} {response.text}")
                failure = f"PelicanPay failed {method} {path}: {response.status_code}"
            if attempt < _ATTEMPTS - 1:
                time.sleep(0.1 * 2**attempt)
        raise ProviderError(failure)


def _parse(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise ProviderError(f"PelicanPay sent an unexpected {model.__name__}: {error.error_count()} errors") from None
