"""Print the REST API's OpenAPI document, generated from the routes themselves.

`make openapi` writes it to docs/openapi.json; a test fails when the committed
document and the routes disagree, so the published contract cannot drift.
"""

from __future__ import annotations

import sys

from aws_lambda_powertools.event_handler.openapi.models import Server

from tradewind import __version__
from tradewind.resources import API_STAGE


def openapi_json() -> str:
    from functions.api.handler import app

    document = app.get_openapi_json_schema(
        title="Tradewind API",
        version=__version__,
        description="REST API of the Tradewind platform. Every route but /health needs a Cognito ID token.",
        servers=[Server(url=f"/{API_STAGE}")],
    )
    return document + "\n"


if __name__ == "__main__":
    sys.stdout.write(openapi_json())
