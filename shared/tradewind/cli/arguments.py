"""Argument types shared by every command, so a date means the same thing everywhere."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def parse_moment(text: str) -> datetime:
    """An ISO date or datetime; one without a zone is UTC, as every time in Tradewind is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
