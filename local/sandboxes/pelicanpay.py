"""The PelicanPay sandbox: the documented HTTP contract (docs/integrations/pelicanpay.md) on loopback.

It keeps payments in memory, is idempotent by `reference` like the real service,
and sends signed webhooks. Tests and the local cloud steer it through
`POST /sandbox/config` (or `configure()` in-process): succeed or fail, leave
payments pending, delay, duplicate, drop or reorder webhooks, force a charge-back.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradewind.payments.provider import (
    PaymentKind,
    PaymentStatus,
    PayoutRequest,
    ProviderPayment,
    RefundRequest,
    TopUpRequest,
)
from tradewind.payments.webhooks import SIGNATURE_HEADER, EventType, sign

logger = logging.getLogger(__name__)


class Behaviour(BaseModel):
    """How the sandbox treats what is created from now on, and how it delivers webhooks."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["succeed", "fail", "pending"] = "succeed"
    delay_ms: int = Field(0, ge=0, le=60_000)
    duplicate: int = Field(1, ge=1, le=10)
    reorder: bool = False
    drop: bool = False
    webhook_url: str | None = None


@dataclass
class _State:
    behaviour: Behaviour
    payments: dict[str, ProviderPayment] = field(default_factory=dict)
    by_reference: dict[tuple[PaymentKind, str], str] = field(default_factory=dict)
    held: list[dict[str, Any]] = field(default_factory=list)


class RefusedError(Exception):
    """What PelicanPay answers with a 4xx problem document."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class PelicanPaySimulator:
    """PelicanPay's behaviour in-process: the `PaymentProvider` port with no network.

    Events are handed to `on_event`; by default they are kept until `take_events()`,
    so a test can deliver them in any order, any number of times.
    """

    def __init__(self, on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._state = _State(behaviour=Behaviour())
        self._ids = itertools.count(1)
        self._on_event = on_event or self._keep
        self.base_url = "https://checkout.pelicanpay.invalid"

    @property
    def behaviour(self) -> Behaviour:
        with self._lock:
            return self._state.behaviour

    def configure(self, **changes: Any) -> Behaviour:
        with self._lock:
            self._state.behaviour = Behaviour.model_validate({**self._state.behaviour.model_dump(), **changes})
            return self._state.behaviour

    def payments(self) -> list[ProviderPayment]:
        with self._lock:
            return list(self._state.payments.values())

    def take_events(self) -> list[dict[str, Any]]:
        with self._lock:
            held, self._state.held = self._state.held, []
        return held

    def _keep(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._state.held.append(event)

    def complete(self, payment_id: str, outcome: Literal["succeed", "fail"] = "succeed") -> ProviderPayment:
        """What the investor finishing (or abandoning) the hosted checkout does."""
        return self._finish(payment_id, PaymentStatus.SUCCEEDED if outcome == "succeed" else PaymentStatus.FAILED)

    def charge_back(self, payment_id: str) -> ProviderPayment:
        with self._lock:
            payment = self._state.payments.get(payment_id)
            if (
                payment is None
                or payment.kind is not PaymentKind.TOPUP
                or payment.status is not PaymentStatus.SUCCEEDED
            ):
                raise RefusedError(409, "only a succeeded top-up can be charged back")
            payment = payment.model_copy(update={"status": PaymentStatus.CHARGED_BACK})
            self._state.payments[payment_id] = payment
        self._emit(EventType.TOPUP_CHARGED_BACK, payment)
        return payment

    # The port -------------------------------------------------------------------------

    def create_topup(self, request: TopUpRequest) -> ProviderPayment:
        payment = self._create(PaymentKind.TOPUP, request.reference, request.amount, request.currency)
        if request.mode == "hosted":
            if payment.checkout_url is None and payment.status is PaymentStatus.PENDING:
                with self._lock:
                    payment = payment.model_copy(update={"checkout_url": f"{self.base_url}/checkout/{payment.id}"})
                    self._state.payments[payment.id] = payment
            return payment
        return self._settle_new(payment)

    def create_payout(self, request: PayoutRequest) -> ProviderPayment:
        return self._settle_new(self._create(PaymentKind.PAYOUT, request.reference, request.amount, request.currency))

    def create_refund(self, request: RefundRequest) -> ProviderPayment:
        with self._lock:
            parent = self._state.payments.get(request.payment_id)
            if parent is None or parent.kind is not PaymentKind.TOPUP or parent.status is not PaymentStatus.SUCCEEDED:
                raise RefusedError(409, "only a succeeded top-up can be refunded")
            refunded = sum(
                p.amount
                for p in self._state.payments.values()
                if p.payment_id == parent.id
                and p.status is not PaymentStatus.FAILED
                and p.reference != request.reference
            )
            if refunded + request.amount > parent.amount:
                raise RefusedError(409, "refunds would exceed the payment")
        payment = self._create(PaymentKind.REFUND, request.reference, request.amount, parent.currency, parent.id)
        return self._settle_new(payment)

    def get_payment(self, payment_id: str) -> ProviderPayment:
        with self._lock:
            payment = self._state.payments.get(payment_id)
        if payment is None:
            raise RefusedError(404, f"no payment {payment_id!r}")
        return payment

    def find_by_reference(self, kind: PaymentKind, reference: str) -> ProviderPayment | None:
        with self._lock:
            payment_id = self._state.by_reference.get((kind, reference))
            return None if payment_id is None else self._state.payments[payment_id]

    def list_payments(self, start: datetime, end: datetime) -> list[ProviderPayment]:
        with self._lock:
            return [p for p in self._state.payments.values() if start <= p.created_at < end]

    # Internals --------------------------------------------------------------------------

    def _create(
        self, kind: PaymentKind, reference: str, amount: int, currency: str, parent: str | None = None
    ) -> ProviderPayment:
        with self._lock:
            existing_id = self._state.by_reference.get((kind, reference))
            if existing_id is not None:
                existing = self._state.payments[existing_id]
                if (existing.amount, existing.currency, existing.payment_id) != (amount, currency, parent):
                    raise RefusedError(409, f"reference {reference!r} was used for a different {kind.value}")
                return existing
            payment = ProviderPayment(
                id=f"pp_{kind.value}_{next(self._ids):06d}",
                kind=kind,
                status=PaymentStatus.PENDING,
                amount=amount,
                currency=currency,
                reference=reference,
                created_at=datetime.now(UTC),
                payment_id=parent,
            )
            self._state.payments[payment.id] = payment
            self._state.by_reference[(kind, reference)] = payment.id
            return payment

    def _settle_new(self, payment: ProviderPayment) -> ProviderPayment:
        """Apply the configured outcome to a freshly created payment (a replayed create changes nothing)."""
        outcome = self.behaviour.outcome
        if payment.status is not PaymentStatus.PENDING or outcome == "pending":
            return payment
        return self._finish(payment.id, PaymentStatus.SUCCEEDED if outcome == "succeed" else PaymentStatus.FAILED)

    def _finish(self, payment_id: str, status: PaymentStatus) -> ProviderPayment:
        with self._lock:
            payment = self._state.payments.get(payment_id)
            if payment is None:
                raise RefusedError(404, f"no payment {payment_id!r}")
            if payment.status is not PaymentStatus.PENDING:
                return payment
            payment = payment.model_copy(update={"status": status})
            self._state.payments[payment_id] = payment
        succeeded = status is PaymentStatus.SUCCEEDED
        event = {
            PaymentKind.TOPUP: (EventType.TOPUP_SUCCEEDED, EventType.TOPUP_FAILED),
            PaymentKind.PAYOUT: (EventType.PAYOUT_PAID, EventType.PAYOUT_FAILED),
            PaymentKind.REFUND: (EventType.REFUND_SUCCEEDED, EventType.REFUND_FAILED),
        }[payment.kind][0 if succeeded else 1]
        self._emit(event, payment)
        return payment

    def _emit(self, event_type: EventType, payment: ProviderPayment) -> None:
        self._on_event(
            {
                "id": f"evt_{next(self._ids):06d}",
                "type": event_type.value,
                "created_at": datetime.now(UTC).isoformat(),
                "data": payment.model_dump(mode="json"),
            }
        )


class PelicanPaySandbox:
    """The simulator behind the documented HTTP API, sending signed webhooks.

    Run with `with PelicanPaySandbox(...) as sandbox:`; `sandbox.url` is the API base URL.
    """

    def __init__(self, api_key: str, webhook_secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.simulator = PelicanPaySimulator(on_event=self._emit)
        self._lock = threading.Lock()
        self._held: list[dict[str, Any]] = []
        self._delivered: list[dict[str, Any]] = []
        self._outbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="pelicanpay-http", daemon=True),
            threading.Thread(target=self._deliver_forever, name="pelicanpay-webhooks", daemon=True),
        ]
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.simulator.base_url = self.url

    def __enter__(self) -> PelicanPaySandbox:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._outbox.put(None)
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def configure(self, **changes: Any) -> Behaviour:
        return self.simulator.configure(**changes)

    def flush(self) -> int:
        """Send the webhooks held back by `reorder`, newest first."""
        with self._lock:
            held, self._held = self._held, []
        for event in reversed(held):
            self._outbox.put(event)
        return len(held)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every queued webhook was delivered (tests call this before asserting)."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def delivered(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._delivered)

    # Webhooks ------------------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        behaviour = self.simulator.behaviour
        if behaviour.drop:
            return
        if behaviour.reorder:
            with self._lock:
                self._held.append(event)
            return
        self._outbox.put(event)

    def _deliver_forever(self) -> None:
        with httpx.Client(timeout=10) as client:
            while (event := self._outbox.get()) is not None:
                try:
                    behaviour = self.simulator.behaviour
                    time.sleep(behaviour.delay_ms / 1000)
                    for _ in range(behaviour.duplicate):
                        self._deliver(client, behaviour.webhook_url, event)
                finally:
                    self._outbox.task_done()
            self._outbox.task_done()

    def _deliver(self, client: httpx.Client, url: str | None, event: dict[str, Any]) -> None:
        """POST one signed copy, retrying non-2xx answers a few times as the real service does."""
        body = json.dumps(event).encode()
        status = None
        for attempt in range(4):
            if url is None:
                break
            signature = sign(self.webhook_secret, body, int(time.time()))
            try:
                response = client.post(
                    url, content=body, headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature}
                )
                status = response.status_code
            except httpx.HTTPError as error:
                logger.warning("webhook %s delivery failed: %s", event["id"], error)
                status = None
            if status is not None and status < 300:
                break
            time.sleep(0.05 * 2**attempt)
        with self._lock:
            self._delivered.append({"event": event, "status": status})

    # HTTP ------------------------------------------------------------------------------

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """`?kind=&reference=` finds one payment; `?created_from=&created_to=` lists a period."""
        if "reference" in query:
            kind = PaymentKind(query.get("kind", [PaymentKind.TOPUP.value])[0])
            found = self.simulator.find_by_reference(kind, query["reference"][0])
            payments = [] if found is None else [found]
        else:
            start = datetime.fromisoformat(query.get("created_from", ["0001-01-01T00:00:00+00:00"])[0])
            end = datetime.fromisoformat(query.get("created_to", ["9999-12-31T00:00:00+00:00"])[0])
            payments = self.simulator.list_payments(start, end)
        return {"data": [p.model_dump(mode="json") for p in payments], "next_cursor": None}

    def _route(  # noqa: PLR0911 - one return per route keeps the table readable
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        match method, parts:
            case "POST", ["v1", "topups"]:
                return 201, self.simulator.create_topup(TopUpRequest.model_validate_json(body))
            case "POST", ["v1", "payouts"]:
                return 201, self.simulator.create_payout(PayoutRequest.model_validate_json(body))
            case "POST", ["v1", "refunds"]:
                return 201, self.simulator.create_refund(RefundRequest.model_validate_json(body))
            case "GET", ["v1", "payments", payment_id]:
                return 200, self.simulator.get_payment(payment_id)
            case "GET", ["v1", "payments"]:
                return 200, self._list(query)
            case "POST", ["checkout", payment_id]:
                return 200, self.simulator.complete(
                    payment_id, "fail" if query.get("outcome") == ["fail"] else "succeed"
                )
            case "POST", ["sandbox", "config"]:
                return 200, self.configure(**json.loads(body or b"{}"))
            case "POST", ["sandbox", "flush"]:
                return 200, {"sent": self.flush()}
            case "POST", ["sandbox", "payments", payment_id, "chargeback"]:
                return 200, self.simulator.charge_back(payment_id)
        raise RefusedError(404, f"no route {method} {path}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                public = url.path.startswith(("/checkout/", "/sandbox/"))
                try:
                    if not public and self.headers.get("Authorization") != f"Bearer {sandbox.api_key}":
                        raise RefusedError(401, "missing or wrong API key")
                    status, payload = sandbox._route(method, url.path, parse_qs(url.query), body)
                except RefusedError as refusal:
                    status, payload = (
                        refusal.status,
                        {"title": "refused", "status": refusal.status, "detail": refusal.detail},
                    )
                except (ValidationError, ValueError) as error:
                    status, payload = 400, {"title": "invalid request", "status": 400, "detail": str(error)}
                data = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args: Any) -> None:
                return

        return Handler
