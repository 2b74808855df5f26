"""RFC 7807 problem documents: the one shape every API error takes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://docs.tradewind.dev/problems/"


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[dict[str, Any]] | None = None


class ProblemError(Exception):
    """Raise anywhere below a handler to answer with a problem document."""

    def __init__(
        self, status: int, detail: str = "", *, slug: str | None = None, errors: list[dict[str, Any]] | None = None
    ):
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = int(status)
        self.detail = detail
        self.slug = slug or HTTPStatus(status).phrase.lower().replace(" ", "-")
        self.errors = errors

    def problem(self, instance: str = "") -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=HTTPStatus(self.status).phrase,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


class Unauthorized(ProblemError):
    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(HTTPStatus.UNAUTHORIZED, detail)


class Forbidden(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(HTTPStatus.FORBIDDEN, detail)


class NotFound(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(HTTPStatus.NOT_FOUND, detail)


def validation_problem(errors: list[dict[str, Any]]) -> ProblemError:
    """A 422 whose `errors` name each invalid field by its path."""
    cleaned = [
        {"path": ".".join(str(part) for part in err.get("loc", ())), "message": str(err.get("msg", ""))}
        for err in errors
    ]
    summary = "; ".join(f"{e['path']}: {e['message']}" for e in cleaned)
    return ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, summary, slug="validation-error", errors=cleaned)
