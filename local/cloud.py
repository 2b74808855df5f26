"""`tradewind local`: the whole platform on one machine, started and stopped as one.

Start order matters: ports are bound first (a busy port fails before any slow
work), the environment is set before moto serves or a handler is imported,
the snapshot is restored before resources are ensured, and the pool's ids are
known before the handlers that verify tokens are loaded. Stop runs in reverse
and ends with a final snapshot.
"""

from __future__ import annotations

import fcntl
import json
import logging
import signal
import socket
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import boto3
from botocore.config import Config

from local import environment, lambda_patch, provision, snapshot
from local.cognito import CredentialsLost, DemoCredentials, ensure_demo_users, ensure_pool
from local.gateway.rest import rest_app
from local.gateway.routes import api_routes
from local.gateway.websocket import WebSocketGateway
from local.gateway.websocket_routes import websocket_api
from local.kinesis import Checkpoints, KinesisMapping, ShardPoller, mappings_from
from local.options import LocalOptions
from local.runtime import FunctionRuntime
from local.seed import SeedContext, run_seeders
from local.servers import AsgiServer, MotoServer, bind
from local.synthesis import local_template
from local.template import Template, TemplateError
from tradewind.auth.tokens import TokenVerifier
from tradewind.cli.errors import CliError
from tradewind.resources import TABLES
from tradewind.settings import Settings

logger = logging.getLogger("tradewind.local")
_MOTO_CONFIG = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}


@dataclass
class _Running:
    """Everything `stop()` has to undo, in the order it was started."""

    moto: MotoServer | None = None
    servers: list[AsgiServer] = field(default_factory=list)
    pollers: list[ShardPoller] = field(default_factory=list)
    snapshotter: snapshot.Snapshotter | None = None
    sockets: list[socket.socket] = field(default_factory=list)


class LocalCloud:
    def __init__(self, options: LocalOptions) -> None:
        self.options = options
        self._stop_pollers = threading.Event()
        self._running = _Running()
        self._lock_file: IO[str] | None = None
        self.credentials: DemoCredentials | None = None

    def _lock_state_dir(self) -> None:
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        handle = self.options.lock_path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise CliError(f"another `tradewind local` is using {self.options.state_dir}") from None
        self._lock_file = handle

    def _client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.options.moto_endpoint,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )

    def _configure_moto(self) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            f"{self.options.moto_endpoint}/moto-api/config",
            data=json.dumps(_MOTO_CONFIG).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own loopback server
            pass

    def _restore(self) -> tuple[Checkpoints, bool]:
        """(checkpoints, whether the state directory was fresh)."""
        path = self.options.snapshot_path
        if self.options.fresh:
            path.unlink(missing_ok=True)
            self.options.credentials_path.unlink(missing_ok=True)
        if not path.exists():
            return Checkpoints(), True
        try:
            return Checkpoints(snapshot.load(path)), False
        except snapshot.SnapshotError as exc:
            raise CliError(str(exc)) from exc

    def start(self) -> None:
        options = self.options
        self._lock_state_dir()
        gateway_socket = bind(options.host, options.gateway_port, "--gateway-port")
        self._running.sockets.append(gateway_socket)
        ws_socket = bind(options.host, options.ws_port, "--ws-port")
        self._running.sockets.append(ws_socket)
        # Before the slow synth: a bad snapshot fails fast.
        checkpoints, fresh = self._restore()
        base = Settings()
        body = local_template(options.template_cache_path)
        try:
            template = Template(body, base, queue_endpoint=options.moto_endpoint)
            ws_api = websocket_api(template)
            ws_stage = ws_api.stage
            environment.apply(environment.cloud_environment(options, base, ws_stage))
            settings = environment.apply(environment.common_function_environment(template), keep_existing=True)
            self._running.moto = MotoServer(options.host, options.moto_port)
            self._running.moto.start()
            self._configure_moto()
            runtime = FunctionRuntime(settings.stage, settings.region, settings.account)
            mappings = [m for m in mappings_from(template) if m.enabled]
            routes = api_routes(template)
            # Every function the template wires must be one of FUNCTIONS: fail now, not on first use.
            for function in [*ws_api.functions, *(m.function_name for m in mappings), *(r.function for r in routes)]:
                runtime.spec(function)
            lambda_patch.install(runtime)
            role_arn = self._provision(template, settings)
            pool = ensure_pool(self._client("cognito-idp"), template)
            previous = (
                None
                if fresh or not options.credentials_path.exists()
                else DemoCredentials.load(options.credentials_path)
            )
            users, totp_secret = ensure_demo_users(self._client("cognito-idp"), pool, previous)
        except (TemplateError, CredentialsLost, LookupError) as exc:
            raise CliError(str(exc)) from exc
        settings = environment.apply(environment.identity_environment(options, pool.user_pool_id, pool.client_id))
        self.credentials = DemoCredentials(
            cognito_endpoint=options.moto_endpoint,
            region=settings.region,
            user_pool_id=pool.user_pool_id,
            client_id=pool.client_id,
            totp_secret=totp_secret,
            gateway_url=options.gateway_url,
            websocket_url=options.websocket_url(ws_stage),
            users=users,
        )
        self.credentials.save(options.credentials_path)
        if fresh:
            run_seeders(SeedContext(settings=settings, users=users))
        for logical, reason in runtime.preload().items():
            logger.warning("function %s cannot be loaded, its invocations will fail: %s", logical, reason)
        verifier = TokenVerifier(settings.jwks, settings.issuer, settings.user_pool_client_id)
        websocket = WebSocketGateway(runtime, ws_api, settings.region, settings.account)
        for app, sock, name in (
            (rest_app(runtime, verifier, routes, settings.account), gateway_socket, "gateway"),
            (websocket.app(), ws_socket, "websocket"),
        ):
            server = AsgiServer(app, sock, name)
            server.start()
            self._running.servers.append(server)
        self._start_pollers(mappings, runtime, checkpoints, settings, role_arn)
        self._running.snapshotter = snapshot.Snapshotter(
            options.snapshot_path, options.snapshot_interval_s, checkpoints.copy
        )
        self._running.snapshotter.save_now()
        self._running.snapshotter.start()

    def _provision(self, template: Template, settings: Settings) -> str:
        stage = settings.stage
        dynamodb = self._client("dynamodb")
        for spec in TABLES.values():
            provision.create_table(dynamodb, spec, stage)
        provision.create_stream(self._client("kinesis"), stage)
        provision.create_buckets(self._client("s3"), settings)
        provision.create_queue(self._client("sqs"), stage)
        role_arn = provision.ensure_role(self._client("iam"))
        provision.register_functions(self._client("lambda"), role_arn, stage)
        provision.create_state_machines(self._client("stepfunctions"), template, role_arn)
        return role_arn

    def _start_pollers(
        self,
        mappings: list[KinesisMapping],
        runtime: FunctionRuntime,
        checkpoints: Checkpoints,
        settings: Settings,
        role_arn: str,
    ) -> None:
        kinesis, sqs = self._client("kinesis"), self._client("sqs")
        for mapping in mappings:
            shards = kinesis.list_shards(StreamName=mapping.stream_name)["Shards"]
            for shard in shards:
                poller = ShardPoller(
                    kinesis=kinesis,
                    sqs=sqs,
                    runtime=runtime,
                    mapping=mapping,
                    shard_id=shard["ShardId"],
                    checkpoints=checkpoints,
                    region=settings.region,
                    role_arn=role_arn,
                    poll_interval_s=self.options.poll_interval_s,
                    retry_backoff_s=self.options.retry_backoff_s,
                    stop=self._stop_pollers,
                )
                poller.start()
                self._running.pollers.append(poller)

    def stop(self) -> None:
        """Idempotent; safe after a failed start. Everything is stopped even if the final snapshot fails."""
        running = self._running
        try:
            for server in running.servers:
                server.stop()
            running.servers.clear()
            for sock in running.sockets:
                sock.close()
            running.sockets.clear()
            self._stop_pollers.set()
            for poller in running.pollers:
                poller.join()
            running.pollers.clear()
            if running.snapshotter is not None:
                snapshotter, running.snapshotter = running.snapshotter, None
                try:
                    snapshotter.stop()
                except Exception as exc:
                    path = self.options.snapshot_path
                    raise CliError(
                        f"the final snapshot could not be written ({exc}); {path} is the previous one"
                    ) from exc
        finally:
            if running.moto is not None:
                running.moto.stop()
                running.moto = None
            lambda_patch.uninstall()
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    def banner(self) -> str:
        credentials = self.credentials
        assert credentials is not None
        lines = [
            "Tradewind local cloud",
            f"  REST API     {credentials.gateway_url}/v1  (GET /v1/health is public)",
            f"  WebSocket    {credentials.websocket_url}?token=<ID token>",
            f"  AWS (moto)   {credentials.cognito_endpoint}  region {credentials.region}",
            f"  user pool    {credentials.user_pool_id}  app client {credentials.client_id}",
            f"  TOTP secret  {credentials.totp_secret}  (base32, same for every demo user)",
        ]
        for group, user in credentials.users.items():
            lines.append(f"  {group:<12} {user.username}  password {user.password}")
        lines += [
            f"  credentials  {self.options.credentials_path}",
            f"  sign in      tradewind local login investor --state-dir {self.options.state_dir}",
            "Tradewind local cloud is running. Press Ctrl-C to stop.",
        ]
        return "\n".join(lines)


def run(options: LocalOptions) -> int:
    """Runs until Ctrl-C or SIGTERM, then stops everything cleanly."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tradewind").setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    cloud = LocalCloud(options)
    try:
        cloud.start()
        print(cloud.banner(), flush=True)
        stop.wait()
        print("Stopping the local cloud...", flush=True)
    finally:
        cloud.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"Stopped; state saved in {Path(options.snapshot_path)}.", flush=True)
    return 0
