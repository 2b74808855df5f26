"""Pushes to WebSocket clients through the API Gateway management API."""

from __future__ import annotations

from tradewind.adapters.aws import client


class ApiGatewayPusher:
    def __init__(self, endpoint_url: str) -> None:
        self._api = client("apigatewaymanagementapi", endpoint_url=endpoint_url)

    def push(self, connection_id: str, payload: bytes) -> bool:
        try:
            self._api.post_to_connection(ConnectionId=connection_id, Data=payload)
        except self._api.exceptions.GoneException:
            return False
        return True
