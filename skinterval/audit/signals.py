"""Logins in the audit log, from Django's own auth signals: every way of logging
in or out (the login page, the admin, `Client.force_login`) sends them.

- `login`: the login's id and role, from the request's address.
- `login_failed`: no actor (nobody is logged in). The attempted username is not
  stored, not even hashed (a hash of a short name is easily reversed, and a
  mistyped password in the username field would be kept): when it names an
  existing login, the event's object is that login's id (and its clinic, so the
  owner sees attempts on their staff's logins); otherwise only the fact and the
  address.
- `logout`: the login that logged out.
- `locked_out`: from django-axes' `user_locked_out`, once per lockout (when the
  failures reach the limit; further refused attempts while locked are each a
  `login_failed`). Like `login_failed`: no actor, the targeted login's id (when
  the name typed is one) and the address; never the name or password typed.

The two-factor events (`otp_setup`, `otp_verified`, `otp_failed`) are recorded
by the two-factor pages (accounts/otp_views.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from skinterval.audit.models import AuditAction
from skinterval.audit.services import record
from skinterval.clinics.models import Clinic, StaffMember
from skinterval.patients.models import Patient


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address: str | None = request.META.get("REMOTE_ADDR")
    return address


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    record(
        request_or_user=user,
        action=AuditAction.LOGIN,
        obj=user,
        source_ip=_address(request),
    )


def on_logged_out(
    sender: Any, request: HttpRequest | None, user: Any, **_: Any
) -> None:
    if user is None:  # logging out without being logged in
        return
    record(
        request_or_user=user,
        action=AuditAction.LOGOUT,
        obj=user,
        source_ip=_address(request),
    )


def on_login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **_: Any,
) -> None:
    model = get_user_model()
    username = credentials.get(model.USERNAME_FIELD) or credentials.get("username")
    _record_against(AuditAction.LOGIN_FAILED, username, _address(request))


def on_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **_: Any,
) -> None:
    """axes sends this for the attempt that reaches the limit and again for each
    attempt refused while locked; the lockout itself is the first of them."""
    failures = getattr(request, "axes_failures_since_start", None)
    if isinstance(failures, int) and failures > settings.AXES_FAILURE_LIMIT:
        return
    _record_against(AuditAction.LOCKED_OUT, username, ip_address or _address(request))


def _record_against(action: AuditAction, username: object, address: str | None) -> None:
    """An anonymous attempt on the login named `username`: the event's object
    is that login when one exists, else nothing; the name itself is not kept."""
    model = get_user_model()
    target = (
        model._default_manager.filter(**{model.USERNAME_FIELD: username})
        .only("pk")
        .first()
        if isinstance(username, str) and username
        else None
    )
    record(
        request_or_user=AnonymousUser(),
        action=action,
        object_type=model._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        clinic=_clinic_of(target.pk) if target is not None else None,
        source_ip=address,
    )


def _clinic_of(user_id: int) -> Clinic | None:
    member = (
        StaffMember.objects.filter(user_id=user_id, is_active=True)
        .select_related("clinic")
        .first()
    )
    if member is not None:
        return member.clinic
    patient = Patient.objects.filter(user_id=user_id).select_related("clinic").first()
    return patient.clinic if patient is not None else None
