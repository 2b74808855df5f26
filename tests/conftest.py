"""Process-wide test environment: no real AWS can ever be reached.

Dummy credentials and a fixed region are set before any boto3 client exists;
tests that need AWS use moto. Powertools tracing and metrics are off so that
handlers run outside Lambda.
"""

from __future__ import annotations

import os

from hypothesis import settings

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "TradewindTests",
    "POWERTOOLS_SERVICE_NAME": "tradewind-tests",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
for _name, _value in _ENV.items():
    os.environ.setdefault(_name, _value)

# CI explores the same examples on every run, so a landing never hinges on a lucky draw;
# local runs keep drawing new ones (and hypothesis replays any failure it finds).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
