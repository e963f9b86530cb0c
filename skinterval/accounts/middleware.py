"""One place that keeps staff who have not passed their second factor away from
every staff page, patient record and the admin.

A logged-in staff login whose session is not verified (two_factor.py) reaches
only the pages needed to get verified or to leave (login, logout, two-factor set-up
and verify), the public pages (booking, waitlist offers) and the endpoints that do
not accept a session at all: the JSON API and FHIR (bearer tokens) and calendar
feeds (a secret in the address). Everything else: a page asked for with GET is
redirected to the two-factor page (which brings the user back afterwards); any
other method is refused with 403, and htmx is told to load the two-factor page.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.views.defaults import permission_denied

from skinterval.accounts.two_factor import (
    confirmed_device,
    is_verified,
    needs_second_factor,
)

# URL namespaces open to a session that has not passed the second factor.
_OPEN_NAMESPACES = frozenset({"accounts", "booking", "api", "fhir"})
# Single views open to it, as (namespace, name).
_OPEN_VIEWS = frozenset({("feeds", "ics"), ("waitlist", "offer")})


def _is_open(request: HttpRequest) -> bool:
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # nothing there: the 404 page shows nothing either
    if match.namespace in _OPEN_NAMESPACES:
        return True
    return (match.namespace, match.url_name) in _OPEN_VIEWS


class StaffSecondFactorMiddleware:
    """Must come after django-otp's OTPMiddleware (which sets `is_verified`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            user.is_authenticated
            and not _is_open(request)
            and needs_second_factor(user)
            and not is_verified(user)
        ):
            return _send_to_second_factor(request)
        return self.get_response(request)


def _send_to_second_factor(request: HttpRequest) -> HttpResponseBase:
    name = (
        "accounts:otp_verify"
        if confirmed_device(request.user) is not None
        else "accounts:otp_setup"
    )
    target = reverse(name)
    htmx = bool(request.headers.get("HX-Request"))
    if request.method in ("GET", "HEAD") and not htmx:
        return HttpResponseRedirect(
            f"{target}?{urlencode({'next': request.get_full_path()})}"
        )
    response = permission_denied(
        request, PermissionDenied("Confirm your two-factor code first.")
    )
    if htmx:  # htmx swaps nothing on a 403 but follows HX-Redirect
        response["HX-Redirect"] = target
    return response
