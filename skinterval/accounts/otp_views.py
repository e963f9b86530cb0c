"""The two-factor pages staff pass after their password (two_factor.py).

- Set-up (no confirmed device yet): a QR code of the `otpauth://` address and the
  secret in text, and a field for the first code; a right code confirms the
  device and verifies the session.
- Verify: a field for the code. Wrong codes are throttled by django-otp (each
  failure doubles the wait before the next try: 1, 2, 4, ... seconds) and every
  one is in the audit log, as is every success.

Both pages are never cached (the set-up page shows the secret) and lead back to
the page first asked for (`next`, same site only).
"""

from __future__ import annotations

from base64 import b32encode
from typing import cast

import segno
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from skinterval.accounts.forms import CodeForm
from skinterval.accounts.models import User
from skinterval.accounts.two_factor import (
    confirmed_device,
    demo_code,
    is_verified,
    mark_verified,
    needs_second_factor,
    pending_device,
)
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url("home")


def _with_next(name: str, request: HttpRequest) -> HttpResponseRedirect:
    response = redirect(name)
    target = request.GET.get("next")
    if target:
        response["Location"] += "?" + request.GET.urlencode()
    return response


def _audit(request: HttpRequest, action: AuditAction) -> None:
    """Second-factor events: the login acted, on itself (the object is the login,
    as for logins), from the request's address."""
    record(request_or_user=request, action=action, obj=cast("User", request.user))


def _check(request: HttpRequest, device: TOTPDevice, code: str) -> str | None:
    """None when `code` is right for `device`; else the error to show. The device
    row is locked while it is checked, so that two guesses at once both count."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, details = locked.verify_is_allowed()
        if not allowed:
            wait = (details or {}).get("locked_until")
            seconds = (
                max(1, int((wait - timezone.now()).total_seconds()) + 1)
                if wait is not None
                else 1
            )
            error = _(
                "Too many wrong codes. Wait %(seconds)s seconds, then try again."
            ) % {"seconds": seconds}
        elif locked.verify_token(code):
            device.refresh_from_db()
            return None
        else:
            error = _("That code is not right. Check the code your app shows now.")
    _audit(request, AuditAction.OTP_FAILED)
    return error


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if not needs_second_factor(request.user) or is_verified(request.user):
        return redirect(_next_url(request))
    device = confirmed_device(request.user)
    if device is None:
        return _with_next("accounts:otp_setup", request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        error = _check(request, device, form.cleaned_data["code"])
        if error is None:
            mark_verified(request, device)
            _audit(request, AuditAction.OTP_VERIFIED)
            return redirect(_next_url(request))
        form.add_error("code", error)
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _next_url(request), "demo_code": demo_code(device)},
    )


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    if not needs_second_factor(request.user) or is_verified(request.user):
        return redirect(_next_url(request))
    if confirmed_device(request.user) is not None:
        return _with_next("accounts:otp_verify", request)
    device = pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        error = _check(request, device, form.cleaned_data["code"])
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            mark_verified(request, device)
            _audit(request, AuditAction.OTP_SETUP)
            return redirect(_next_url(request))
        form.add_error("code", error)
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(
                scale=5,
                dark="#000",
                light="#fff",
                title=_("QR code for your authenticator app"),
            ),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )
