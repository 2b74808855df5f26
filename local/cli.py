"""`tradewind local` (run the local cloud) and `tradewind local login <group>` (print an ID token)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from local.options import LocalOptions
from tradewind.cli.errors import CliError

_DEFAULTS = LocalOptions()


def _run(args: argparse.Namespace) -> int:
    from local.cloud import run

    options = LocalOptions(
        gateway_port=args.gateway_port,
        ws_port=args.ws_port,
        moto_port=args.moto_port,
        state_dir=args.state_dir,
        fresh=args.fresh,
        snapshot_interval_s=args.snapshot_interval,
    )
    return run(options)


def _login(args: argparse.Namespace) -> int:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError, EndpointConnectionError
    from pydantic import ValidationError

    from local.cognito import DemoCredentials, sign_in

    path = LocalOptions(state_dir=args.state_dir).credentials_path
    try:
        credentials = DemoCredentials.load(path)
    except FileNotFoundError:
        raise CliError(f"no {path}: start the local cloud first with `tradewind local`") from None
    except ValidationError as exc:
        detail = f"{exc.error_count()} invalid fields"
        raise CliError(f"{path} is not a credentials file written by `tradewind local` ({detail})") from None
    user = credentials.users[args.group]
    cognito: Any = boto3.client(
        "cognito-idp",
        endpoint_url=credentials.cognito_endpoint,
        region_name=credentials.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
        # Loopback: a refused connection means "not running", not a blip worth retrying.
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    try:
        result = sign_in(cognito, credentials.client_id, user.username, user.password, credentials.totp_secret)
    except EndpointConnectionError:
        where = credentials.cognito_endpoint
        raise CliError(
            f"the local cloud is not running (nothing answers at {where}): start it with `tradewind local`"
        ) from None
    except ClientError as exc:
        raise CliError(f"sign-in as {user.username} failed: {exc.response['Error'].get('Message', exc)}") from None
    print(result["IdToken"])
    return 0


def register(subparsers: Any) -> None:
    local = subparsers.add_parser(
        "local",
        help="run the whole platform on this machine (moto, gateway, pollers)",
        description="Run Tradewind locally: emulated AWS (moto), the REST and WebSocket gateways, Kinesis pollers.",
    )
    local.add_argument("--fresh", action="store_true", help="discard the saved state and start clean")
    local.add_argument("--gateway-port", type=int, default=_DEFAULTS.gateway_port, help="REST API port (%(default)s)")
    local.add_argument("--ws-port", type=int, default=_DEFAULTS.ws_port, help="WebSocket API port (%(default)s)")
    local.add_argument("--moto-port", type=int, default=_DEFAULTS.moto_port, help="emulated AWS port (%(default)s)")
    local.add_argument("--state-dir", type=Path, default=_DEFAULTS.state_dir, help="saved state (%(default)s)")
    local.add_argument(
        "--snapshot-interval",
        type=float,
        default=_DEFAULTS.snapshot_interval_s,
        help="seconds between state snapshots (%(default)s)",
    )
    local.set_defaults(func=_run)
    commands = local.add_subparsers(dest="local_command", metavar="COMMAND")
    login = commands.add_parser("login", help="print an ID token of a demo user (password + TOTP)")
    login.add_argument("group", choices=sorted(("admin", "investor")))
    # SUPPRESS: `tradewind local --state-dir X login admin` keeps X instead of the default.
    login.add_argument("--state-dir", type=Path, default=argparse.SUPPRESS, help="saved state (.local)")
    login.set_defaults(func=_login)
