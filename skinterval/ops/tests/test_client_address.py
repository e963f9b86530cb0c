"""Behind our proxies the audit log, the lockout and the rate limits see the
visitor's address, and a forged X-Forwarded-For entry is not believed."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from skinterval.ops.client_address import ClientAddressMiddleware, client_address


@pytest.mark.parametrize(
    ("header", "proxies", "expected"),
    [
        ("203.0.113.9", 1, "203.0.113.9"),
        # The client wrote the first entry itself; nginx appended the real one.
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),
        ("2001:DB8::1", 1, "2001:db8::1"),
        ("", 1, None),
        ("203.0.113.9", 2, None),  # fewer hops than proxies: not through them
        ("not-an-address", 1, None),
        ("203.0.113.9", 0, None),
    ],
)
def test_the_visitor_is_the_entry_our_outermost_proxy_wrote(header, proxies, expected):
    assert client_address(header, proxies) == expected


def _seen_address(settings, header, proxies):
    settings.SKINTERVAL_TRUSTED_PROXIES = proxies
    seen = {}

    def view(request):
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=header
    )
    ClientAddressMiddleware(view)(request)
    return seen["address"]


def test_behind_one_proxy_the_request_carries_the_visitors_address(settings):
    assert _seen_address(settings, "6.6.6.6, 203.0.113.9", 1) == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert _seen_address(settings, "203.0.113.9", 0) == "127.0.0.1"


def test_a_failed_login_behind_the_proxy_is_logged_with_the_visitors_address(
    client, world_a, settings
):
    """Through the whole middleware chain: the audit log (and the lockout, which
    counts by the same address) sees the visitor, not nginx."""
    from django.urls import reverse

    from skinterval.audit.models import AuditEvent

    settings.SKINTERVAL_TRUSTED_PROXIES = 1
    response = client.post(
        reverse("accounts:login"),
        {"username": "alice", "password": "not her password"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="login_failed")
    assert event.source_ip == "203.0.113.9"
