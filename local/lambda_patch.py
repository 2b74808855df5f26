"""The one patch of moto: Lambda invocations run the in-process handlers.

With `use_docker` off, moto's `LambdaSimpleBackend.invoke` only echoes its
input, and moto offers no hook to plug a runtime in. Step Functions tasks (and
any `lambda:Invoke` a handler makes) reach that method through the moto
server, so replacing it is the single place that makes them run real code.
The patch is tied to the exact signature of the pinned moto version:
`check_signature` fails loudly (and a test fails) if an upgrade changes it.
"""

from __future__ import annotations

import inspect
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

from local.runtime import FunctionRuntime

EXPECTED_PARAMETERS = ("self", "function_name", "qualifier", "body", "headers", "response_headers")
_ORIGINAL_INVOKE = LambdaSimpleBackend.invoke


def check_signature() -> None:
    """Raises if moto's `invoke` no longer takes the arguments the patch replaces."""
    found = tuple(inspect.signature(_ORIGINAL_INVOKE).parameters)
    if found != EXPECTED_PARAMETERS:
        raise RuntimeError(
            f"moto's LambdaSimpleBackend.invoke changed to {found}, expected {EXPECTED_PARAMETERS}: "
            "adapt local/lambda_patch.py to this moto version"
        )


def install(runtime: FunctionRuntime) -> None:
    """Routes every invocation to `runtime`; calling it again re-targets the patch."""
    check_signature()

    def invoke(  # noqa: PLR0917 - moto calls it positionally
        self: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        # Resolve through moto first so an unknown function is moto's own 404.
        function = self.get_function(function_name, qualifier)
        outcome = runtime.invoke_raw(function.function_name, body)
        if outcome.function_error:
            response_headers["x-amz-function-error"] = "Unhandled"
        return outcome.payload

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


def uninstall() -> None:
    LambdaSimpleBackend.invoke = _ORIGINAL_INVOKE  # type: ignore[method-assign]
