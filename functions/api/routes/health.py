"""Liveness: public, cheap, touches no dependency."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from tradewind import __version__
from tradewind.settings import get_settings

router = Router()


class Health(BaseModel):
    status: str
    version: str
    stage: str


@router.get("/health")
def health() -> Health:
    return Health(status="ok", version=__version__, stage=get_settings().stage)
