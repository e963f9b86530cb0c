"""View decorators for role checks. Object-level scoping stays in queries.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff
from skinterval.patients.queries import own_patient_record

View = Callable[..., HttpResponse]


def staff_required(*roles: StaffRole) -> Callable[[View], View]:
    """Log in first, then refuse (403) anyone who is not active staff in `roles`
    (any staff role when none are given)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_staff(request.user, roles or None)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def patient_required(view: View) -> View:
    """Log in first, then 404 for any login that is not a patient's."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        own_patient_record(request.user)
        return view(request, *args, **kwargs)

    return login_required(wrapper)
