"""The REST API: HTTP requests in, API Gateway proxy events to the `api` function, responses out.

It plays API Gateway's part exactly where the handlers depend on it: the
stage prefix (`/v1`) is stripped from `path`, the matched resource and path
parameters come from the synthesized resource tree, and every route except
`PUBLIC_API_ROUTES` needs a valid Cognito ID token whose claims reach the
handler as the Cognito authorizer passes them. Group checks are the handler's.
"""

from __future__ import annotations

import base64
import logging
from http import HTTPStatus
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.gateway.events import authorizer_claims, rest_event
from local.gateway.routes import ApiRoute, find_route
from local.runtime import FunctionError, FunctionRuntime
from tradewind.api.problems import PROBLEM_CONTENT_TYPE, ProblemError, Unauthorized
from tradewind.auth.tokens import InvalidTokenError, TokenVerifier, bearer_token
from tradewind.resources import API_STAGE, PUBLIC_API_ROUTES

logger = logging.getLogger("tradewind.local")
API_ID = "local"


def _problem(error: ProblemError, instance: str) -> Response:
    body = error.problem(instance=instance).model_dump_json(exclude_none=True)
    return Response(body, status_code=error.status, media_type=PROBLEM_CONTENT_TYPE)


def _to_response(result: Any) -> Response:
    """The proxy integration's contract; anything else is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        logger.error("the api function returned a malformed proxy response: %r", result)
        return JSONResponse({"message": "Internal server error"}, status_code=502)
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = Response(content, status_code=result["statusCode"])
    single = result.get("headers") or {}
    for name, value in single.items():
        response.headers[name] = str(value)
    # API Gateway merges both maps; a name in `headers` wins.
    taken = {name.lower() for name in single}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if name.lower() not in taken else ():
            response.headers.append(name, str(value))
    return response


def rest_app(runtime: FunctionRuntime, verifier: TokenVerifier, routes: list[ApiRoute], account: str) -> Starlette:
    prefix = f"/{API_STAGE}"

    async def handle(request: Request) -> Response:
        full_path = request.url.path
        if full_path != prefix and not full_path.startswith(prefix + "/"):
            return _problem(ProblemError(HTTPStatus.NOT_FOUND, f"no API stage serves {full_path}"), full_path)
        path = full_path[len(prefix) :] or "/"
        found = find_route(routes, request.method, path)
        if found is None:
            return _problem(ProblemError(HTTPStatus.NOT_FOUND, f"no route for {request.method} {path}"), full_path)
        route, parameters = found
        claims: dict[str, str] | None = None
        if (request.method, route.resource) not in PUBLIC_API_ROUTES:
            try:
                token = bearer_token(request.headers.get("authorization"))
                verified = await run_in_threadpool(verifier.verify, token)
            except InvalidTokenError as exc:
                return _problem(Unauthorized(str(exc)), full_path)
            except jwt.PyJWKClientConnectionError as exc:
                detail = f"the user pool's key set is unreachable: {exc}"
                return _problem(ProblemError(HTTPStatus.SERVICE_UNAVAILABLE, detail), full_path)
            claims = authorizer_claims(verified.payload)
        event = rest_event(
            method=request.method,
            resource=route.resource,
            path=path,
            stage=API_STAGE,
            headers=[(k, v) for k, v in request.headers.items()],
            query=list(request.query_params.multi_items()),
            path_parameters=parameters,
            body=await request.body(),
            source_ip=request.client.host if request.client else "127.0.0.1",
            account=account,
            api_id=API_ID,
            domain=request.url.netloc,
            claims=claims,
        )
        try:
            result = await run_in_threadpool(runtime.invoke, runtime.spec(route.function), event)
        except FunctionError:
            return JSONResponse({"message": "Internal server error"}, status_code=502)
        return _to_response(result)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])
