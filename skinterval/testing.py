"""Builders for tests: `make_<thing>(**overrides)` with sensible defaults.

Used by the root conftest's personas and by app tests. Tests only; the product
never imports this module.
"""

from __future__ import annotations

import itertools
from datetime import date, time
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from skinterval.accounts.models import User
from skinterval.clinics.models import (
    Clinic,
    Device,
    Location,
    Qualification,
    QualificationKind,
    Room,
    StaffMember,
    StaffRole,
    WorkingInterval,
)
from skinterval.patients.models import Patient

PASSWORD = "correct horse battery staple"  # noqa: S105 - test fixture
_seq = itertools.count(1)


def make_user(username: str | None = None, **fields: Any) -> User:
    user = get_user_model().objects.create_user(
        username=username or f"user{next(_seq)}", password=PASSWORD, **fields
    )
    return user


def make_clinic(**fields: Any) -> Clinic:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Clinic {n}",
        "slug": f"clinic-{n}",
        "timezone": "Europe/London",
        "country": "GB",
    }
    values.update(fields)
    return Clinic.objects.create(**values)


def make_location(clinic: Clinic, **fields: Any) -> Location:
    return Location.objects.create(
        clinic=clinic, **{"name": f"Site {next(_seq)}", **fields}
    )


def make_room(location: Location, **fields: Any) -> Room:
    return Room.objects.create(
        clinic=location.clinic,
        location=location,
        **{"name": f"Room {next(_seq)}", **fields},
    )


def make_device(location: Location, **fields: Any) -> Device:
    values: dict[str, Any] = {
        "name": f"Pen {next(_seq)}",
        "max_depth_mm": Decimal("1.5"),
    }
    values.update(fields)
    return Device.objects.create(clinic=location.clinic, location=location, **values)


def make_staff(
    clinic: Clinic,
    role: StaffRole = StaffRole.PRACTITIONER,
    *,
    username: str | None = None,
    qualifications: tuple[QualificationKind, ...] = (),
    **user_fields: Any,
) -> StaffMember:
    user = make_user(username, **user_fields)
    member = StaffMember.objects.create(
        clinic=clinic, user=user, role=role, display_name=user.username.title()
    )
    for kind in qualifications:
        Qualification.objects.create(clinic=clinic, staff_member=member, kind=kind)
    return member


def make_working_interval(
    member: StaffMember, location: Location, **fields: Any
) -> WorkingInterval:
    values: dict[str, Any] = {
        "weekday": 0,
        "start_time": time(9),
        "end_time": time(17),
        "effective_from_on": date(2026, 1, 1),
    }
    values.update(fields)
    return WorkingInterval.objects.create(
        clinic=member.clinic, staff_member=member, location=location, **values
    )


def make_patient(clinic: Clinic, *, user: User | None = None, **fields: Any) -> Patient:
    n = next(_seq)
    values: dict[str, Any] = {
        "chart_number": f"CH-{n:05d}",
        "given_name": f"Given{n}",
        "family_name": f"Family{n}",
        "born_on": date(1990, 1, 1),
        "fitzpatrick": 3,
    }
    values.update(fields)
    return Patient.objects.create(clinic=clinic, user=user, **values)


SIMPLE_ASSESSMENT: dict[str, Any] = {
    "assessed_on": "2027-01-04",
    "patient": {"birth_date": "1990-05-01", "fitzpatrick": 2},
    "scars": [{"area": "cheeks", "kind": "rolling", "grade": 3}],
}


def make_plan(
    patient: Patient,
    practitioner: StaffMember,
    *,
    assessment: dict[str, Any] | None = None,
    approve: bool = False,
) -> Any:
    """A plan made by the real engine (and approved, if asked)."""
    from django.utils import timezone

    from skinterval.plans.services import approve_plan, create_plan

    plan = create_plan(
        patient=patient,
        assessment=assessment or SIMPLE_ASSESSMENT,
        created_by=practitioner,
    )
    if approve:
        plan = approve_plan(plan=plan, approved_by=practitioner, now=timezone.now())
    return plan


def make_appointment(world: Any, **fields: Any) -> Any:
    """A booked consultation for the world's patient, written directly (no rules):
    for tests about who may see it, not about booking."""
    from datetime import UTC, datetime, timedelta

    from skinterval.appointments.models import Appointment, ServiceType

    service, _ = ServiceType.objects.get_or_create(
        clinic=world.clinic,
        name="Consultation",
        defaults={"kind": "consultation", "duration_min": 30},
    )
    starts = datetime(2027, 1, 5, 10, tzinfo=UTC)
    values: dict[str, Any] = {
        "clinic": world.clinic,
        "patient": world.patient,
        "service_type": service,
        "practitioner": world.practitioner,
        "location": world.location,
        "room": world.room,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=30),
        "blocked_from_at": starts,
        "blocked_until_at": starts + timedelta(minutes=30),
    }
    values.update(fields)
    return Appointment.objects.create(**values)


NO_NEWS = {
    "new_pregnancy_or_breastfeeding": False,
    "new_isotretinoin": False,
    "new_infection_or_wound": False,
    "new_procedure": False,
    "new_cold_sore": False,
}


def make_charted_session(
    world: Any,
    plan: Any,
    number: int,
    starts_at: Any,
    *,
    checked_in_at: Any,
    completed_at: Any | None,
    reaction: str = "expected",
    answers: dict[str, bool] | None = None,
) -> Any:
    """Session `number` of `plan` booked at `starts_at` and charted through the
    charting services (the treatment consent must be signed): completed with one
    cheeks area at 1.0 mm, or only checked in when `completed_at` is None."""
    from datetime import timedelta
    from decimal import Decimal

    from skinterval.charting.services import AreaEntry, complete_session, start_session

    appointment = make_appointment(
        world,
        plan_session=plan.sessions.get(number=number),
        device=world.device,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=45),
        blocked_from_at=starts_at,
        blocked_until_at=starts_at + timedelta(minutes=45),
    )
    chart = start_session(
        appointment=appointment,
        practitioner=world.practitioner,
        answers=answers or NO_NEWS,
        now=checked_in_at,
    )
    if completed_at is None:
        return chart
    return complete_session(
        chart=chart,
        practitioner=world.practitioner,
        areas=[
            AreaEntry(
                area="cheeks",
                depth_mm=Decimal("1.0"),
                passes=3,
                device=world.device,
                cartridge_lot="LOT-1",
            )
        ],
        anaesthetic="topical",
        adjuncts="",
        endpoint="pinpoint_bleeding",
        reaction=reaction,
        notes="",
        now=completed_at,
    )


def make_api_client(user: User | None) -> Any:
    """A test client that calls the JSON API with a fresh bearer token of `user`
    (anonymous, with no Authorization header, when None)."""
    from django.test import Client

    from skinterval.accounts.api_tokens import issue_token

    if user is None:
        return Client()
    token = issue_token(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {token}"})


# A fixed key for the tests' authenticator devices (hex of b"skinterval-tests!!!!").
TEST_TOTP_KEY = "736b696e74657276616c2d746573747321212121"


def totp_device_for(user: User) -> Any:
    """The login's confirmed TOTP device, made with the tests' key if it has none
    (a seeded demo login keeps its own)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from skinterval.accounts.two_factor import confirmed_device

    device = confirmed_device(user)
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Test authenticator", key=TEST_TOTP_KEY, confirmed=True
        )
    return device


def pass_second_factor(client: Any, user: User) -> None:
    """Mark the test client's session (already logged in as `user`) as having
    passed the second factor, as `django_otp.login` does after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_for(user).persistent_id
    session.save()


def log_in_client(client: Any, user: User) -> Any:
    """`client.force_login(user)` and, for staff, the second factor passed: the
    state a staff member is in after the login and two-factor pages."""
    from skinterval.accounts.two_factor import needs_second_factor

    client.force_login(user)
    # A fresh copy: `user` keeps its staff membership cached, which a test may
    # change after logging in.
    if needs_second_factor(type(user)._default_manager.get(pk=user.pk)):
        pass_second_factor(client, user)
    return client
