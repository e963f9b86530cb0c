"""What every JSON API router shares: the one error body, the error responses to
declare on each operation, the pagination class, and the caller's staff membership.

Routers import from here (not from `config.api`, which imports the routers).

Every error the API returns has the same shape::

    {"detail": "<message>", "errors": [{"field": "<path or null>", "message": "…"}]}

`field` uses the contract path notation of `skinterval.domain.contracts.format_path`
(``scars[0].area``, ``limit``), or is null for an error that belongs to no field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from typing import TYPE_CHECKING, Annotated, Any

from django.db.models import QuerySet
from ninja import Field, P, PathEx, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import WithJsonSchema

from skinterval.audit.services import record_list
from skinterval.clinics.models import StaffMember, StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.domain.contracts import format_path

if TYPE_CHECKING:
    from django.http import HttpRequest

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000_000  # far past any list; keeps OFFSET inside 64 bits


class FieldErrorOut(Schema):
    field: str | None = Field(
        description="Path of the offending field (`scars[0].area`), or null."
    )
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = Field(default_factory=list)


ERROR_STATUSES = (400, 401, 403, 404, 409, 422)


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Error responses to declare on an operation: ``response={200: X, **errors(401,
    403, 404)}``. Every operation behind the bearer token declares at least 401 and
    403 (a patient's token is refused staff operations)."""
    unknown = set(statuses) - set(ERROR_STATUSES)
    if unknown:
        raise ValueError(f"Not an API error status: {sorted(unknown)}")
    return dict.fromkeys(sorted(set(statuses)), ErrorOut)


class ApiError(Exception):
    """Raise from a router to answer with the one error format."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        errors: Iterable[tuple[str | None, str]] = (),
    ) -> None:
        self.status_code = status_code
        self.detail = detail
        self.errors = list(errors)
        super().__init__(detail)


def error_body(
    detail: str, errors: Iterable[tuple[str | None, str]] = ()
) -> dict[str, Any]:
    return {
        "detail": detail,
        "errors": [{"field": f, "message": m} for f, m in errors],
    }


class Pagination(LimitOffsetPagination):
    """``?limit=`` (1–100, default 50) and ``?offset=`` on every list operation; the
    answer is ``{"items": [...], "count": <total>}``."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: LimitOffsetPagination.Input,
        request: HttpRequest,
        **params: Any,
    ) -> Any:
        """The page, and one audit event for the list it shows (like the web
        lists: the type and how many rows, never one event per row)."""
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(page[self.items_attribute])
        page[self.items_attribute] = items
        if isinstance(queryset, QuerySet):
            record_list(queryset.model, user=request.user, count=len(items))
        return page


def staff(
    request: HttpRequest, roles: Sequence[StaffRole] | None = None
) -> StaffMember:
    """The caller's active staff membership (403 for patients and retired staff, or
    for a role outside `roles`)."""
    return require_staff(request.user, roles)


NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*$"
"""`Field(pattern=NO_CONTROL_CHARS)` for one-line text: PostgreSQL refuses NUL in
text, and no name or number needs a control character."""


def unstorable_text(value: Any, path: list[str | int] | None = None) -> list[str]:
    """One problem line (``scars[0].area: ...``) per string of a decoded JSON
    body that no database column can hold: a NUL (PostgreSQL refuses it in text
    and jsonb) or a lone surrogate (a ``\\ud800`` escape with no pair: not
    Unicode, so not UTF-8). Keys are checked as well as values."""
    path = path or []
    if isinstance(value, str):
        return [f"{format_path(path)}: {why}" for why in _text_faults(value)]
    if isinstance(value, dict):
        found = [p for k, v in value.items() for p in unstorable_text(v, [*path, k])]
        return found + [
            f"{format_path([*path, k])}: {why} (in the field name)"
            for k in value
            for why in _text_faults(str(k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in unstorable_text(v, [*path, i])]
    return []


def _text_faults(text: str) -> list[str]:
    faults = []
    if "\x00" in text:
        faults.append("NUL characters are not allowed")
    if any("\ud800" <= c <= "\udfff" for c in text):
        faults.append("not valid Unicode (an unpaired surrogate)")
    return faults


MAX_ID = 2**63 - 1
"""The largest row id (a 64-bit integer): path ids above it are refused with 422
before they reach the database."""

PathId = PathEx[int, P(ge=1, le=MAX_ID)]
"""An integer row id in a path: ``def get_plan(request, plan_id: PathId)``."""

LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}:\d{2}$",
            "description": "Clinic-local wall-clock time, HH:MM:SS (no offset).",
        }
    ),
]
"""A wall-clock time of the clinic's day. JSON Schema's `time` format demands an
offset, which a local time has not, so it is documented as a pattern instead."""
