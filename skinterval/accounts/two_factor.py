"""Who must pass a second factor, and the few operations on TOTP devices that the
two-factor pages, the demo seed and the tests share.

Staff logins see patient data, so they must confirm a code from an authenticator
app (TOTP, RFC 6238) after their password: anyone with a clinic membership, and
any login that may use the Django admin. Patients are not asked (decision 0017):
their portal shows only their own record.

A session is "verified" when django-otp's middleware finds a confirmed device of
the login in the session (`django_otp.DEVICE_ID_SESSION_KEY`), which
`mark_verified` puts there; it ends with the session (logout, idle expiry).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import django_otp
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from skinterval.clinics.queries import staff_member_for

if TYPE_CHECKING:
    from django.http import HttpRequest

    from skinterval.clinics.queries import AnyUser

# The demo logins' key (hex of b"skinterval-demo-only"). Its code is public: the
# verify page shows it in demo mode, and only for a device with this very key.
DEMO_TOTP_KEY = "736b696e74657276616c2d64656d6f2d6f6e6c79"
DEVICE_NAME = "Authenticator app"


def needs_second_factor(user: AnyUser) -> bool:
    """Staff of a clinic, and admin logins, must pass a second factor."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return staff_member_for(user) is not None


def is_verified(user: AnyUser) -> bool:
    """True once this session passed the second factor (django-otp's middleware
    sets `is_verified` on the login)."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def confirmed_device(user: AnyUser) -> TOTPDevice | None:
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=True)
        .order_by("pk")
        .first()
    )
    return device


def pending_device(user: AnyUser) -> TOTPDevice:
    """The device being set up: one unconfirmed device per login, kept (with its
    key) until it is confirmed, so reloading the page shows the same QR code."""
    device = (
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user_id=user.pk, name=DEVICE_NAME, confirmed=False
        )
    return device


def mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session passed the second factor: a new session id (the login's rights
    just grew) that remembers the device."""
    request.session.cycle_key()
    django_otp.login(request, device)


def usable_code(device: TOTPDevice, *, now: float | None = None) -> str:
    """The code the device's app shows now, or the next time step's when the
    current one has been used already (a code is accepted once, and the next
    step's code is within the tolerance). For the demo hint and the tests."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if now is None else now
    step = max(totp.t(), device.last_t + 1)
    totp.time = device.t0 + (step - device.drift) * device.step
    return f"{totp.token():0{device.digits}d}"


def demo_code(device: TOTPDevice) -> str | None:
    """The code to show as a hint: only in demo mode, and only for a demo device."""
    if not settings.DEMO_MODE or device.key != DEMO_TOTP_KEY:
        return None
    return usable_code(device)
