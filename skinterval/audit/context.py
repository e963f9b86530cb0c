"""The request an audit event belongs to, without passing it around.

`AuditTrailMiddleware` puts a `RequestTrail` in a context variable for the
length of each request: the loaders and services deep below the view know the
object and the user, the trail knows the address and collects the request's
read events, which the middleware appends in one go once the view has answered
(before a streamed body is sent). A context variable is per thread under WSGI
and per task under ASGI, so concurrent requests never share a trail.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponseBase

if TYPE_CHECKING:
    from skinterval.audit.models import AuditEvent


@dataclass
class RequestTrail:
    request: HttpRequest
    source_ip: str | None
    pending: list[AuditEvent] = field(default_factory=list)
    _seen: set[tuple[str, str, str, int | None]] = field(default_factory=set)

    def add(self, event: AuditEvent) -> None:
        """Collect a read; the same login reading the same object (or the same
        kind of list) again in this request adds nothing."""
        key = (
            str(event.action),
            event.object_type,
            event.object_id,
            event.actor_user_id,
        )
        if key in self._seen:
            return
        self._seen.add(key)
        self.pending.append(event)


_trail: ContextVar[RequestTrail | None] = ContextVar(
    "skinterval_audit_trail", default=None
)


def current_trail() -> RequestTrail | None:
    return _trail.get()


class AuditTrailMiddleware:
    """Open a trail for each request; append its collected events when the view
    has answered. If they cannot be written the request fails (500): nothing is
    shown that is not in the log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        from skinterval.audit.services import flush_trail

        trail = RequestTrail(request=request, source_ip=request.META.get("REMOTE_ADDR"))
        token = _trail.set(trail)
        try:
            response = self.get_response(request)
            flush_trail(trail.pending)
        finally:
            _trail.reset(token)
        return response
