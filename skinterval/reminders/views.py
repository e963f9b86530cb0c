"""The unsubscribe link in every message: no login, the signed token is enough.

GET shows what the link would stop and a button (mail scanners follow links, so a
GET never changes anything); POST stops it, or starts it again. A POST with the
body `List-Unsubscribe=One-Click` (RFC 8058, sent by mail providers from their own
"unsubscribe" button) stops it at once; such a POST carries no CSRF token, and the
signed token is what authorises it. Once the patient's portal account is
closed, every message is off and the link changes nothing (only the clinic can).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from skinterval.reminders import services
from skinterval.reminders.models import OutboxMessage
from skinterval.reminders.queries import message_for_token


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    message = message_for_token(token)
    if message is None:
        return render(request, "reminders/unsubscribe_invalid.html", status=404)
    state = "ask"
    if request.method == "POST":
        if request.POST.get("action") == "resubscribe":
            pref = services.resubscribe(message=message, now=timezone.now())
            state = "resubscribed"
        else:
            pref = services.unsubscribe(message=message, now=timezone.now())
            state = "unsubscribed"
        if services.closed_with_account(pref):
            # The portal account is closed: the link no longer changes anything.
            state = "account_closed"
    return render(
        request,
        "reminders/unsubscribe.html",
        {"state": state, **_describe(message)},
    )


def _describe(message: OutboxMessage) -> dict[str, str]:
    return {
        "clinic": message.clinic.name,
        "group": str(message.group.label).lower(),
        "channel": str(message.get_channel_display()).lower(),
    }
