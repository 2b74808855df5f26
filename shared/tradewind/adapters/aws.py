"""boto3 clients and resources, created once per process and per thread-safe use.

boto3 clients are thread-safe, sessions are not: build clients from one lock-guarded
session. The endpoint comes from AWS_ENDPOINT_URL (honoured by botocore itself),
which is how the local cloud points every adapter at its emulator.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


@cache
def client(service: str, endpoint_url: str | None = None) -> Any:
    with _lock:
        return boto3.session.Session().client(service, config=_CONFIG, endpoint_url=endpoint_url)


@cache
def dynamodb_table(name: str) -> Any:
    with _lock:
        return boto3.session.Session().resource("dynamodb", config=_CONFIG).Table(name)
