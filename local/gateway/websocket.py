"""The WebSocket API and its management endpoint (`/@connections/{id}`).

`$connect` goes through the real `ws-authorizer` (a REQUEST authorizer: the
token is a query parameter) and then `ws-connect`; messages go to `ws-default`
and closing to `ws-disconnect`. Handlers push to clients the AWS way, with
boto3's `apigatewaymanagementapi` against this server's URL, so the push code
that runs locally is the code that runs on AWS.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from local.gateway.events import (
    policy_allows,
    websocket_authorizer_event,
    websocket_connect_event,
    websocket_context,
    websocket_disconnect_event,
    websocket_message_event,
)
from local.gateway.websocket_routes import WebSocketApi
from local.runtime import FunctionError, FunctionRuntime

logger = logging.getLogger("tradewind.local")
API_ID = "localws"


@dataclass
class _Connection:
    """One live socket and what API Gateway would report about it."""

    socket: WebSocket
    stage: str
    connection_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    connected_at: int = field(default_factory=lambda: int(time.time() * 1000))
    last_active_at: float = field(default_factory=time.time)
    authorizer: dict[str, Any] = field(default_factory=dict)

    @property
    def source_ip(self) -> str:
        return self.socket.client.host if self.socket.client else "127.0.0.1"

    def context(self, route_key: str, event_type: str) -> dict[str, Any]:
        return websocket_context(
            route_key=route_key,
            event_type=event_type,
            connection_id=self.connection_id,
            connected_at=self.connected_at,
            stage=self.stage,
            domain=self.socket.url.netloc,
            api_id=API_ID,
            source_ip=self.source_ip,
            user_agent=self.socket.headers.get("user-agent", ""),
        )


def _gone(connection_id: str) -> Response:
    # boto3 reads the error code from this header: GoneException is what pushers catch.
    return JSONResponse(
        {"message": f"connection {connection_id} is gone"},
        status_code=410,
        headers={"x-amzn-ErrorType": "GoneException"},
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class WebSocketGateway:
    def __init__(self, runtime: FunctionRuntime, api: WebSocketApi, region: str, account: str) -> None:
        self._runtime = runtime
        self._api = api
        self._method_arn = f"arn:aws:execute-api:{region}:{account}:{API_ID}/{api.stage}/$connect"
        self._connections: dict[str, _Connection] = {}

    def app(self) -> Starlette:
        methods = ["GET", "POST", "DELETE"]
        return Starlette(
            routes=[
                Route("/@connections/{connection_id}", self.manage, methods=methods),
                Route("/{stage}/@connections/{connection_id}", self.manage, methods=methods),
                WebSocketRoute("/", self.serve),
                WebSocketRoute("/{stage}", self.serve),
            ]
        )

    async def _call(self, function_arn: str, event: dict[str, Any]) -> Any:
        # In a worker thread: a handler may push back through `manage`, on this event loop.
        return await run_in_threadpool(self._runtime.invoke, self._runtime.spec(function_arn), event)

    async def _authorize(self, connection: _Connection) -> bool:
        socket = connection.socket
        if self._api.authorizer is None:
            return True
        event = websocket_authorizer_event(
            method_arn=self._method_arn,
            headers=socket.headers.items(),
            query=socket.query_params.multi_items(),
            request_context=connection.context("$connect", "CONNECT"),
        )
        try:
            policy = await self._call(self._api.authorizer, event)
        except FunctionError as error:
            # API Gateway answers 401 when the authorizer raises exactly "Unauthorized".
            message = str(error.payload["errorMessage"])
            await socket.send_denial_response(
                JSONResponse({"message": message}, 401 if message == "Unauthorized" else 500)
            )
            return False
        if not isinstance(policy, dict) or not policy_allows(policy, self._method_arn):
            await socket.send_denial_response(JSONResponse({"message": "Forbidden"}, 403))
            return False
        connection.authorizer = {**(policy.get("context") or {}), "principalId": policy.get("principalId", "")}
        return True

    async def _connect(self, connection: _Connection) -> bool:
        socket = connection.socket
        if "$connect" not in self._api.routes:
            return True
        event = websocket_connect_event(
            connection.context("$connect", "CONNECT"),
            socket.headers.items(),
            socket.query_params.multi_items(),
            connection.authorizer,
        )
        try:
            answer = await self._call(self._api.routes["$connect"], event)
        except FunctionError:
            answer = {"statusCode": 500}
        status = int(answer.get("statusCode", 200)) if isinstance(answer, dict) else 200
        if status >= 300:
            await socket.send_denial_response(JSONResponse({"message": "Forbidden"}, status))
            return False
        return True

    async def _message(self, connection: _Connection, message: Mapping[str, Any]) -> None:
        connection.last_active_at = time.time()
        text = message.get("text")
        route_key = self._api.select(text)
        if route_key is None:
            # What API Gateway sends back when no route matches and there is no $default.
            reply = {"message": "Forbidden", "connectionId": connection.connection_id, "requestId": uuid.uuid4().hex}
            await connection.socket.send_text(json.dumps(reply))
            return
        event = websocket_message_event(
            connection.context(route_key, "MESSAGE"), text, message.get("bytes"), connection.authorizer
        )
        try:
            await self._call(self._api.routes[route_key], event)
        except FunctionError:
            logger.warning("route %s failed for %s", route_key, connection.connection_id)

    async def _disconnect(self, connection: _Connection, code: int) -> None:
        event = websocket_disconnect_event(
            connection.context("$disconnect", "DISCONNECT"),
            connection.socket.headers.items(),
            code,
            connection.authorizer,
        )
        if "$disconnect" not in self._api.routes:
            return
        try:
            await self._call(self._api.routes["$disconnect"], event)
        except FunctionError:
            logger.warning("$disconnect failed for %s", connection.connection_id)

    async def serve(self, socket: WebSocket) -> None:
        connection = _Connection(socket, self._api.stage)
        if not await self._authorize(connection) or not await self._connect(connection):
            return
        await socket.accept()
        self._connections[connection.connection_id] = connection
        code = 1000
        try:
            while True:
                message = await socket.receive()
                if message["type"] == "websocket.disconnect":
                    code = int(message.get("code") or 1000)
                    break
                await self._message(connection, message)
        except WebSocketDisconnect as disconnect:
            code = disconnect.code
        finally:
            self._connections.pop(connection.connection_id, None)
            await self._disconnect(connection, code)

    async def manage(self, request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        connection = self._connections.get(connection_id)
        if connection is None:
            return _gone(connection_id)
        if request.method == "POST":
            data = await request.body()
            try:
                await connection.socket.send_text(data.decode())
            except UnicodeDecodeError:
                await connection.socket.send_bytes(data)
            except RuntimeError:
                return _gone(connection_id)
            return Response(status_code=200)
        if request.method == "DELETE":
            await connection.socket.close()
            return Response(status_code=204)
        return JSONResponse(
            {
                "ConnectedAt": _iso(connection.connected_at / 1000),
                "LastActiveAt": _iso(connection.last_active_at),
                "Identity": {
                    "SourceIp": connection.source_ip,
                    "UserAgent": connection.socket.headers.get("user-agent", ""),
                },
            }
        )
