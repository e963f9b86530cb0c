"""Lockout after repeated failed logins (django-axes; settings AXES_*).

The lock is on the pair username + address (AXES_LOCKOUT_PARAMETERS): after
AXES_FAILURE_LIMIT wrong passwords for one login from one address, that address
cannot log in as that login, even with the right password, until
AXES_COOLOFF_TIME has passed without another attempt. The same login from
another address, and other logins from the same address, are not affected
(decision 0017). The audit log records the lockout (audit/signals.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str | None:
    """The address axes counts failures for: `REMOTE_ADDR`, as in the audit log
    (behind a proxy, the proxy sets it; docs/audit.md)."""
    address: str | None = request.META.get("REMOTE_ADDR")
    return address


def locked_out_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out attempt gets: 429, saying how long to wait, and
    never the username or password typed."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    response = render(
        request, "accounts/locked_out.html", {"minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response
