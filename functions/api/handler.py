"""REST API entry point: /v1/* behind the Cognito authorizer (/v1/health is public).

A table of contents: routes parse their input and call one service each.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api.errors import register_problem_handlers
from functions.api.routes import admin_users, health, me

logger = Logger()
tracer = Tracer()

app = APIGatewayRestResolver(enable_validation=True)
register_problem_handlers(app, logger)
app.include_router(health.router)
app.include_router(me.router)
app.include_router(admin_users.router, prefix="/admin")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
