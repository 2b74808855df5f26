"""The in-process Lambda runtime: finds a function's handler and calls it as Lambda would.

Every way an event reaches a function locally (the gateway, the Kinesis pollers,
Step Functions through moto) goes through `FunctionRuntime.invoke`, so the
context object, the error shape and the JSON round trip are the same for all.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tradewind.resources import FUNCTIONS, FunctionSpec

logger = logging.getLogger("tradewind.local")

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class LambdaContext:
    """What the Python runtime passes as `context`; Powertools reads these attributes."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_s - elapsed) * 1000))


class FunctionError(Exception):
    """A handler raised: carries the payload the real runtime would return."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.payload = {"errorType": error_type, "errorMessage": message, "stackTrace": []}


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation as Lambda's Invoke API reports it."""

    payload: bytes
    function_error: bool


class FunctionRuntime:
    """Maps physical names and ARNs to `FUNCTIONS` and calls `functions/<folder>/handler.py`.

    Handlers are imported lazily and once (under a lock: several threads invoke
    concurrently), after the local cloud has set the environment they read at
    import time.
    """

    def __init__(self, stage: str, region: str, account: str) -> None:
        self._stage = stage
        self._region = region
        self._account = account
        self._by_name = {spec.physical(stage): spec for spec in FUNCTIONS.values()}
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def arn(self, spec: FunctionSpec) -> str:
        return f"arn:aws:lambda:{self._region}:{self._account}:function:{spec.physical(self._stage)}"

    def spec(self, name_or_arn: str) -> FunctionSpec:
        """Accepts a name, a partial or full ARN, with or without a qualifier."""
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        try:
            return self._by_name[name]
        except KeyError:
            raise LookupError(f"no local function named {name!r}") from None

    def handler(self, spec: FunctionSpec) -> Handler:
        with self._lock:
            if spec.logical not in self._handlers:
                module_name, _, attribute = spec.handler.rpartition(".")
                module = importlib.import_module(module_name)
                self._handlers[spec.logical] = getattr(module, attribute)
            return self._handlers[spec.logical]

    def preload(self) -> dict[str, str]:
        """Imports every handler now; returns the ones that failed, with the reason."""
        failures: dict[str, str] = {}
        for spec in FUNCTIONS.values():
            try:
                self.handler(spec)
            except Exception as exc:
                failures[spec.logical] = f"{type(exc).__name__}: {exc}"
        return failures

    def invoke(self, spec: FunctionSpec, event: Any) -> Any:
        """Calls the handler with a JSON round-tripped event; raises `FunctionError`."""
        try:
            handler = self.handler(spec)
        except Exception as exc:
            raise FunctionError(
                "Runtime.ImportModuleError", f"Unable to import module {spec.handler!r}: {exc}"
            ) from exc
        context = LambdaContext(
            function_name=spec.physical(self._stage),
            invoked_function_arn=self.arn(spec),
            memory_limit_in_mb=spec.memory_mb,
            timeout_s=spec.timeout_s,
        )
        try:
            result = handler(json.loads(json.dumps(event)), context)
        except Exception as exc:
            # The developer sees the traceback; the caller gets the runtime's error shape.
            logger.exception("function %s failed", context.function_name)
            raise FunctionError(type(exc).__name__, str(exc)) from exc
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            raise FunctionError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from exc

    def invoke_raw(self, name_or_arn: str, body: str | bytes | None) -> Invocation:
        """The Invoke API's view: a JSON payload in, a JSON payload and an error flag out."""
        spec = self.spec(name_or_arn)
        event = json.loads(body) if body else {}
        try:
            result = self.invoke(spec, event)
        except FunctionError as error:
            return Invocation(json.dumps(error.payload).encode(), function_error=True)
        return Invocation(json.dumps(result).encode(), function_error=False)
