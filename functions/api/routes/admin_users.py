"""User management for admins."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from tradewind.adapters.cognito_directory import CognitoUserDirectory
from tradewind.api.access import principal_from_request_context, require_group
from tradewind.settings import get_settings
from tradewind.users.directory import UserPage

router = Router()


@router.get("/users")
def list_users(
    limit: Annotated[int, Query(ge=1, le=60)] = 60,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> UserPage:
    require_group(principal_from_request_context(router.current_event.request_context.raw_event), "admin")
    return CognitoUserDirectory(get_settings().user_pool_id).list_users(limit, next_token)
