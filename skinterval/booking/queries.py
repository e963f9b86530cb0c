"""Reads for online booking: the clinic's public page, its free times, intakes.

The public pages show only what any visitor may see: the clinic's consultation
services, locations, practitioners' display names and free start times. Nothing
here ever returns another patient's booking; free times come from the same slot
search the staff use (`appointments.queries.find_slots_for`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404

from skinterval.appointments.availability import eligible_practitioners
from skinterval.appointments.models import ServiceKind, ServiceType
from skinterval.appointments.queries import SlotOption, find_slots_for
from skinterval.audit.services import record_read
from skinterval.booking.models import BookingPage, IntakeResponse
from skinterval.clinics.models import Clinic, Location, StaffMember
from skinterval.domain import wallclock
from skinterval.domain.protocol import DEFAULT_PROTOCOL, ClinicRules, apply_protocol
from skinterval.domain.ruleset import load_rules
from skinterval.patients.models import Patient
from skinterval.patients.queries import patients_for_user

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser

DAYS_SHOWN = 7
TIMES_PER_DAY = 40


def get_booking_page(clinic_slug: str) -> BookingPage:
    """The clinic's open booking page; 404 when it has none or it is closed."""
    try:
        return BookingPage.objects.select_related("clinic").get(
            clinic__slug=clinic_slug, is_open=True
        )
    except BookingPage.DoesNotExist:
        raise Http404("No online booking here.") from None


def consultation_services(clinic: Clinic) -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(
        clinic=clinic, kind=ServiceKind.CONSULTATION, is_active=True
    ).order_by("name")


def clinic_locations(clinic: Clinic) -> QuerySet[Location]:
    return Location.objects.filter(clinic=clinic).order_by("name")


def bookable_practitioners(clinic: Clinic, on: date) -> list[StaffMember]:
    """Practitioners qualified for any consultation service (display names only
    are shown)."""
    seen: dict[int, StaffMember] = {}
    for service in consultation_services(clinic):
        for member in eligible_practitioners(clinic, service, on):
            seen.setdefault(member.pk, member)
    return sorted(seen.values(), key=lambda m: m.display_name)


def booking_range(page: BookingPage, now: datetime) -> tuple[datetime, date, date]:
    """The earliest bookable instant, and the first and last bookable local days."""
    zone = page.clinic.zone
    not_before = now + timedelta(hours=page.notice_hours)
    first_on = wallclock.local_date(not_before, zone)
    last_on = wallclock.local_date(now, zone) + timedelta(days=page.days_ahead)
    return not_before, first_on, last_on


@dataclass(frozen=True)
class FreeDay:
    on: date
    starts: tuple[datetime, ...]


def free_options(
    page: BookingPage,
    *,
    service: ServiceType,
    location: Location,
    practitioner: StaffMember | None,
    first_on: date,
    last_on: date,
    now: datetime,
    limit: int = DAYS_SHOWN * TIMES_PER_DAY,
    per_day_limit: int | None = TIMES_PER_DAY,
) -> list[SlotOption]:
    """Bookable options at the location, earliest first, within the page's notice
    and horizon."""
    not_before, earliest, latest = booking_range(page, now)
    first_on, last_on = max(first_on, earliest), min(last_on, latest)
    if last_on < first_on:
        return []
    options = find_slots_for(
        clinic=page.clinic,
        service=service,
        first_on=first_on,
        last_on=last_on,
        now=now,
        practitioners=[practitioner] if practitioner is not None else None,
        limit=limit,
        per_day_limit=per_day_limit,
    )
    wanted = str(location.pk)
    return sorted(
        (
            o
            for o in options
            if o.slot.location_id == wanted and o.slot.start >= not_before
        ),
        key=lambda o: (o.slot.start, o.practitioner.pk),
    )


def free_days(options: Sequence[SlotOption], zone: Any) -> list[FreeDay]:
    """Distinct free start times grouped by the clinic's local day: times only,
    never who or what else is booked."""
    by_day: dict[date, list[datetime]] = {}
    for option in options:
        day = wallclock.local_date(option.slot.start, zone)
        starts = by_day.setdefault(day, [])
        if option.slot.start not in starts:
            starts.append(option.slot.start)
    return [
        FreeDay(on=day, starts=tuple(sorted(s))) for day, s in sorted(by_day.items())
    ]


def clinic_rules(clinic: Clinic) -> ClinicRules:
    """The rules as the clinic applies them. Clinics have no stored protocol yet,
    so these are the defaults (as for plans made in the staff app)."""
    return apply_protocol(load_rules(), DEFAULT_PROTOCOL)


def get_intake_for_user(user: AnyUser, intake_id: int) -> IntakeResponse:
    """An intake questionnaire of a patient the caller may see (staff of the
    patient's clinic); 404 otherwise."""
    try:
        intake = IntakeResponse.objects.select_related(
            "patient__clinic", "appointment__service_type"
        ).get(pk=intake_id, patient__in=patients_for_user(user))
    except IntakeResponse.DoesNotExist:
        raise Http404("No such questionnaire.") from None
    record_read(intake, user=user)
    return intake


def patient_intakes(patient: Patient) -> QuerySet[IntakeResponse]:
    return IntakeResponse.objects.filter(patient=patient).order_by("-answered_at")
