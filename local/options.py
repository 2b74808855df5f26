"""How one `tradewind local` run is configured: ports, state directory, timings.

These are the local cloud's own knobs (command-line flags), kept apart from
`tradewind.settings.Settings`, which describes the environment the handlers run
in and which the local cloud *produces* for them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

Port = int


class LocalOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    gateway_port: Port = Field(8000, ge=1, le=65535)
    ws_port: Port = Field(8001, ge=1, le=65535)
    moto_port: Port = Field(4566, ge=1, le=65535)
    state_dir: Path = Path(".local")
    fresh: bool = False
    # A kill -9 loses at most this much emulated state.
    snapshot_interval_s: float = Field(5.0, gt=0)
    # How long a Kinesis poller sleeps when its shard has nothing new.
    poll_interval_s: float = Field(0.2, gt=0)
    # Pause between redeliveries of a failed Kinesis batch (AWS backs off too, for longer).
    retry_backoff_s: float = Field(0.05, ge=0)

    @property
    def moto_endpoint(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    def websocket_url(self, stage: str) -> str:
        return f"ws://{self.host}:{self.ws_port}/{stage}"

    def websocket_management_url(self, stage: str) -> str:
        """What boto3's apigatewaymanagementapi takes as endpoint, as on AWS: `https://<api>/<stage>`."""
        return f"http://{self.host}:{self.ws_port}/{stage}"

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / "snapshot.pickle"

    @property
    def credentials_path(self) -> Path:
        return self.state_dir / "demo-credentials.json"

    @property
    def template_cache_path(self) -> Path:
        return self.state_dir / "template-cache.json"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "local-cloud.lock"
