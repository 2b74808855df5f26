"""The signed-in user as the platform sees them."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from tradewind.api.access import principal_from_request_context

router = Router()


class Me(BaseModel):
    user_id: str
    email: str
    groups: list[str]


@router.get("/me")
def me() -> Me:
    principal = principal_from_request_context(router.current_event.request_context.raw_event)
    return Me(user_id=principal.user_id, email=principal.email, groups=sorted(principal.groups))
