"""Every error leaves the API as an RFC 7807 problem document, never as a stack trace."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from tradewind.api.problems import PROBLEM_CONTENT_TYPE, ProblemError, validation_problem


def register_problem_handlers(app: APIGatewayRestResolver, logger: Logger) -> None:
    def respond(error: ProblemError) -> Response[str]:
        body = error.problem(instance=app.current_event.path).model_dump_json(exclude_none=True)
        return Response(status_code=error.status, content_type=PROBLEM_CONTENT_TYPE, body=body)

    @app.exception_handler(ProblemError)
    def on_problem(error: ProblemError) -> Response[str]:
        return respond(error)

    @app.exception_handler(RequestValidationError)
    def on_invalid(error: RequestValidationError) -> Response[str]:
        return respond(validation_problem(list(error.errors())))

    @app.not_found
    def on_not_found(_: NotFoundError) -> Response[str]:
        path = app.current_event.path
        return respond(ProblemError(HTTPStatus.NOT_FOUND, f"no route for {app.current_event.http_method} {path}"))

    @app.exception_handler(Exception)
    def on_unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return respond(ProblemError(HTTPStatus.INTERNAL_SERVER_ERROR, "an unexpected error occurred", slug="internal"))
