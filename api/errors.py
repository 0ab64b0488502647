"""Every error the API returns is one RFC 9457 ``application/problem+json`` shape.

``{type, title, status, detail, errors: [{field, problem}]}``; ``field`` is a path in pydantic ``loc`` style
relative to the request body (``problem.workforce.workers[3].contract``), ``query.limit`` or
``header.idempotency-key`` for other parts of the request.

====================================================  ======  =============================================
raised                                                status  ``type``
====================================================  ======  =============================================
``RequestValidationError``, pydantic ``ValidationError``  422  ``urn:shiftmix:problem:invalid-input``
a body that cannot be parsed (FastAPI's 400)            422     same, ``field`` is ``(body)``
``optimizer.errors.InputError`` (incl. ``DataError``)   422     same
``forecasting.errors.ForecastingError``                 422     same
:class:`ApiProblem` (unknown id 404, not done 409, …)   any     its own
body larger than ``settings.max_body_bytes``            413     ``urn:shiftmix:problem:body-too-large``
anything else                                           500     ``about:blank``, no traceback
====================================================  ======  =============================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import FieldProblem, ProblemDetails
from forecasting.errors import ForecastingError, HistoryError, HistoryIssue
from optimizer.errors import InputError, Issue

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
INVALID_INPUT = "urn:shiftmix:problem:invalid-input"
_LOC_PARTS_TO_DROP = ("body", "function-after", "function-before", "function-wrap")


class ApiProblem(Exception):
    """An HTTP error with a problem type, raised by dependencies and routes.

    Parameters
    ----------
    status : int
        HTTP status code.
    title : str
        Short, fixed summary of the problem type.
    detail : str
        What happened in this request.
    slug : str, optional
        Problem type; the ``type`` URI becomes ``urn:shiftmix:problem:<slug>``.
    headers : dict, optional
        Extra response headers (``WWW-Authenticate`` on 401).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = f"urn:shiftmix:problem:{slug}" if slug else "about:blank"
        self.headers = headers


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    errors: Sequence[FieldProblem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a ``application/problem+json`` response."""
    body = ProblemDetails(type=type_, title=title, status=status, detail=detail, errors=list(errors))
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def loc_path(loc: Iterable[int | str]) -> str:
    """Render a pydantic ``loc`` relative to the request body: ``problem.workforce.workers[3].contract``.

    The same format as the CLI's ``api.cli._errors.field_path`` (not imported: it would pull every CLI
    command into the server).
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith(_LOC_PARTS_TO_DROP):
            out += f".{part}" if out else part
    return out or "(body)"


def _pydantic_problems(errors: Iterable[Any]) -> list[FieldProblem]:
    return [
        FieldProblem(
            field=loc_path(e.get("loc", ())),
            problem=str(e.get("msg", "is invalid")).removeprefix("Value error, "),
        )
        for e in errors
    ]


def invalid_input(problems: Sequence[FieldProblem]) -> JSONResponse:
    """Return the 422 response listing every problem found."""
    n = len(problems)
    first = f"{problems[0].field}: {problems[0].problem}" if problems else "the request is invalid"
    detail = first if n <= 1 else f"{first} (and {n - 1} more problem{'s' if n > 2 else ''})"
    return problem_response(422, "Invalid input", detail, type_=INVALID_INPUT, errors=problems)


@contextmanager
def prefixed_errors(prefix: str) -> Iterator[None]:
    """Prefix the field paths of library errors raised in the block with where the data sits in the request.

    ``volume[2026-01-05T08:00+01:00]`` raised for ``demand`` becomes
    ``demand.volume[2026-01-05T08:00+01:00]``.
    """
    try:
        yield
    except InputError as exc:
        raise InputError([Issue(f"{prefix}.{i.field}", i.problem) for i in exc.issues]) from None
    except HistoryError as exc:
        raise HistoryError([HistoryIssue(f"{prefix}.{i.field}", i.problem) for i in exc.issues]) from None


def ensure_at_most(count: int, limit: int, field: str) -> None:
    """Reject a request part with more than ``limit`` rows.

    Raises
    ------
    InputError
        Naming ``field``, its row count and the limit.
    """
    if count > limit:
        raise InputError.single(field, f"has {count} rows; this server accepts at most {limit}")


async def _on_invalid(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, RequestValidationError):
        return invalid_input(_pydantic_problems(exc.errors()))
    if isinstance(exc, ValidationError):
        return invalid_input(_pydantic_problems(exc.errors(include_url=False)))
    issues: Sequence[Any] = getattr(exc, "issues", None) or (exc,)
    return invalid_input([FieldProblem(field=str(i.field), problem=str(i.problem)) for i in issues])


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Return the ``Allow`` header of a 405: every method some route serves on the request's path.

    Starlette answers with the methods of the first route that matches the path only, so ``DELETE
    /v1/schedules/{job_id}`` would be missing from a 405 on that path because ``GET`` is declared first.
    """
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiProblem):
        return problem_response(exc.status, exc.title, exc.detail, type_=exc.type, headers=exc.headers)
    status = getattr(exc, "status_code", 500)
    if status == 400:  # FastAPI could not read the body (not UTF-8, not JSON): as invalid as malformed JSON
        return invalid_input([FieldProblem(field="(body)", problem="could not be parsed as UTF-8 JSON")])
    title = {404: "Not found", 405: "Method not allowed"}.get(status, "HTTP error")
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(status, title, str(getattr(exc, "detail", "")), headers=headers or None)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500, "Internal server error", "the server failed to handle the request; it was logged"
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""
    for invalid in (RequestValidationError, ValidationError, InputError, ForecastingError):
        app.add_exception_handler(invalid, _on_invalid)
    app.add_exception_handler(ApiProblem, _on_http_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


class BodySizeLimit:
    """ASGI middleware answering 413 problem+json for request bodies over ``max_bytes``.

    A declared ``Content-Length`` is checked up front; a streamed (chunked) body is read here first, counting
    bytes, and replayed to the app only when it is within the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "Request body too large",
            f"request bodies are limited to {self.max_bytes} bytes",
            type_="urn:shiftmix:problem:body-too-large",
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on unless its body is over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replay_receive() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replay_receive, send)
