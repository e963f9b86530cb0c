"""The one JSON API: `/api/` (OpenAPI at `/api/openapi.json`, docs at `/api/docs`).

Authentication is a bearer token (`accounts.api_tokens`) on every operation; session
cookies are not accepted here, so the API needs no CSRF token. Every error has one
shape (see `skinterval.api_common`). Routers live in each app's `api.py` and are
added below with `api.add_router("/<prefix>/", router)`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from skinterval.accounts.api_tokens import user_for_bearer
from skinterval.accounts.models import User
from skinterval.api_common import ApiError, error_body, unstorable_text
from skinterval.appointments.errors import PROBLEM_MESSAGES, BookingError
from skinterval.domain.contracts import format_path
from skinterval.domain.errors import InvalidInput


class BearerAuth(HttpBearer):
    """``Authorization: Bearer skt_…``; the token's user becomes ``request.user``.

    Reads the header through `user_for_bearer` (never logging it, unlike ninja's
    own parsing in DEBUG)."""

    def __call__(self, request: HttpRequest) -> User | None:
        user = user_for_bearer(request)
        if user is not None:
            request.user = user
        return user

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return self(request)  # pragma: no cover - __call__ does the work


class TextSafeParser(Parser):
    """JSON bodies as `json.loads` reads them, refusing text no database column
    can hold (NUL, lone surrogates) with the path of each offending string: 422
    like any other invalid field, before a router sees the body."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            # Every body the API takes is an object; `[]` or `null` must not
            # pass for "no body" where the body is optional (a cancel's reason).
            raise InvalidInput([_("The request body must be a JSON object.")])
        problems = unstorable_text(data)
        if problems:
            raise InvalidInput(problems)
        return data


api = NinjaAPI(
    parser=TextSafeParser(),
    urls_namespace="api",
    title="Skinterval API",
    version="1",
    description=(
        "JSON API for clinic staff. Authenticate with `Authorization: Bearer <token>` "
        "(`manage.py create_api_token USERNAME`). Every error is "
        '`{"detail": "…", "errors": [{"field": "path or null", "message": "…"}]}`.'
    ),
    auth=BearerAuth(),
)


def _respond(
    request: HttpRequest,
    status: int,
    detail: str,
    errors: Sequence[tuple[str | None, str]] = (),
) -> HttpResponse:
    response = api.create_response(request, error_body(detail, errors), status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def _field(loc: list[Any] | tuple[Any, ...]) -> str | None:
    """ninja's ``("body", "payload", "scars", 0, "area")`` -> ``scars[0].area``."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]  # the location and the body parameter's name
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    path = format_path([p for p in parts if isinstance(p, (str, int))])
    return None if path == "(root)" else path


def _problem(line: str) -> tuple[str | None, str]:
    """``"scars[0].area: expected string"`` -> (``scars[0].area``, message)."""
    path, sep, message = line.partition(": ")
    if not sep:
        return None, line
    return (None if path == "(root)" else path), message


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [(_field(e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors]
    return _respond(request, 422, _("The request is not valid."), errors)


@api.exception_handler(InvalidInput)
def _invalid_input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    errors = [_problem(line) for line in exc.problems]
    return _respond(request, 422, _("The request is not valid."), errors)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(
    request: HttpRequest, exc: DjangoValidationError
) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors: list[tuple[str | None, str]] = [
            (None if name == "__all__" else name, str(message))
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [(None, str(message)) for message in exc.messages]
    return _respond(request, 422, _("The request is not valid."), errors)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _respond(request, 404, str(exc) or _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _respond(request, 403, str(exc) or _("You may not do this."))


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _respond(request, 401, _("A valid bearer token is required."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja answers 400 "Cannot parse request body" for anything the parser
    # raises: say what was wrong instead.
    cause = exc.__cause__
    if isinstance(cause, InvalidInput):
        return _invalid_input(request, cause)
    if isinstance(cause, json.JSONDecodeError):
        where = _("line %(line)s, column %(column)s") % {
            "line": cause.lineno,
            "column": cause.colno,
        }
        return _respond(
            request, 400, _("The request body is not valid JSON."), [(None, where)]
        )
    if isinstance(cause, UnicodeDecodeError):
        return _respond(request, 400, _("The request body is not UTF-8 text."))
    return _respond(request, exc.status_code, exc.message)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return _respond(
        request,
        413,
        _("The request body is too large: at most %(kb)s KB.") % {"kb": limit_kb},
    )


@api.exception_handler(BookingError)
def _booking_error(request: HttpRequest, exc: BookingError) -> HttpResponse:
    errors = [(None, str(PROBLEM_MESSAGES.get(p, p))) for p in exc.problems]
    return _respond(
        request, exc.status_code, exc.message or _("Booking refused."), errors
    )


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _respond(request, exc.status_code, exc.detail, exc.errors)


# ---------------------------------------------------------------- routers
# One line per app; keep them sorted by prefix.
api.add_router("/appointments/", "skinterval.appointments.api.router")
api.add_router("/charts/", "skinterval.charting.api.router")
api.add_router("/clinic/", "skinterval.clinics.api.router")
api.add_router("/outcomes/", "skinterval.outcomes.api.router")
api.add_router("/patients/", "skinterval.patients.api.router")
api.add_router("/patients/", "skinterval.plans.api.patient_plans_router")
api.add_router("/plans/", "skinterval.plans.api.router")
api.add_router("/practitioners/", "skinterval.clinics.api.practitioners_router")
