"""Permission-checked reads of clinic data.

Every view, admin page and API call that touches a clinic's rows goes through these
functions, so the rule "staff see only their own clinic" is written once. Objects
outside the caller's scope raise Http404, never 403, so that ids of other clinics'
rows cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from skinterval.clinics.models import (
    Clinic,
    Device,
    Location,
    Room,
    StaffMember,
    StaffRole,
    WorkingInterval,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


_CACHE_KEY = "_skinterval_staff_member"


def staff_member_for(user: AnyUser) -> StaffMember | None:
    """The active staff membership of a login, or None (anonymous, patient, retired)."""
    if not user.is_authenticated:
        return None
    cache = user.__dict__  # one lookup per request: request.user lives that long
    if _CACHE_KEY not in cache:
        cache[_CACHE_KEY] = (
            StaffMember.objects.select_related("clinic")
            .filter(user_id=user.pk, is_active=True)
            .first()
        )
    member: StaffMember | None = cache[_CACHE_KEY]
    return member


def require_staff(
    user: AnyUser, roles: Iterable[StaffRole] | None = None
) -> StaffMember:
    """The caller's membership, refusing anyone who is not active staff in one of
    `roles` (any role when None)."""
    member = staff_member_for(user)
    if member is None:
        raise PermissionDenied("Clinic staff only.")
    if roles is not None and member.role not in set(roles):
        raise PermissionDenied("Your role does not allow this.")
    return member


def get_clinic_for_user(user: AnyUser, clinic_id: int) -> Clinic:
    member = staff_member_for(user)
    if member is None or member.clinic_id != clinic_id:
        raise Http404("No such clinic.")
    return member.clinic


def locations_for_clinic(clinic: Clinic) -> QuerySet[Location]:
    """Locations with their rooms and devices, in two extra queries in all."""
    return Location.objects.filter(clinic=clinic).prefetch_related(
        Prefetch("rooms", queryset=Room.objects.filter(is_active=True)),
        Prefetch("devices", queryset=Device.objects.filter(is_active=True)),
    )


def practitioners_for_clinic(clinic: Clinic) -> QuerySet[StaffMember]:
    """Active practitioners with their qualifications and working week."""
    return (
        StaffMember.objects.filter(
            clinic=clinic, is_active=True, role=StaffRole.PRACTITIONER
        )
        .prefetch_related(
            "qualifications",
            Prefetch(
                "working_intervals",
                queryset=WorkingInterval.objects.select_related("location"),
            ),
        )
        .order_by("display_name")
    )
