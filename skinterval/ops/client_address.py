"""The visitor's address behind a reverse proxy.

The audit log, the login lockout and the public booking's rate limits all count
by `REMOTE_ADDR`. Behind nginx that is the proxy's own address for everyone, so
one visitor's failures would lock every login out and the audit log would name
nobody's address. The WSGI server (gunicorn) does not rewrite it, so this
middleware does, first in the chain, when `SKINTERVAL_TRUSTED_PROXIES` says how
many proxies of ours stand in front (docs/deploy.md).

Each proxy appends the address it received the request from to
`X-Forwarded-For`; entries further left were written by the client or by proxies
we do not run, and can be forged. So with N trusted proxies the visitor is the
N-th entry from the right, never the leftmost. With no such entry (a request that
did not come through the proxies) `REMOTE_ADDR` stays as it is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_address(forwarded_for: str, trusted_proxies: int) -> str | None:
    """The address the outermost trusted proxy saw, or None when the header does
    not hold one."""
    if trusted_proxies < 1:
        return None
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return None
    candidate = hops[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted_proxies = int(getattr(settings, "SKINTERVAL_TRUSTED_PROXIES", 0))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.trusted_proxies:
            address = client_address(
                request.META.get("HTTP_X_FORWARDED_FOR", ""), self.trusted_proxies
            )
            if address is not None:
                request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
