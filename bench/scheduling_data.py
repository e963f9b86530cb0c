"""A generated clinic for the scheduling benchmarks (seeded, synthetic).

20 practitioners, 10 rooms, 4 devices and 200,000 appointments over two years,
written straight into the database with bulk inserts. Every resource's bookings
are free of overlaps (the PostgreSQL exclusion constraints would refuse anything
else). The clinic is open every day 08:00–20:00; each practitioner works five days
in seven on a rotating pattern and fills most of the day with 30-minute visits, a
fifth of which use a device and three fifths a room, leaving gaps to find.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import connection, transaction

from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceKind,
    ServiceType,
)
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
from skinterval.domain import wallclock
from skinterval.patients.models import Patient

SLUG = "bench"
FIRST_DAY = date(2027, 1, 4)
OPEN, CLOSE = time(8), time(20)
SLOT_MIN = 30
SLOTS_PER_DAY = (CLOSE.hour - OPEN.hour) * 60 // SLOT_MIN


def generate(
    *,
    appointments: int = 200_000,
    practitioners: int = 20,
    rooms: int = 10,
    devices: int = 4,
    days: int = 730,
    patients: int = 5_000,
    seed: int = 2027,
    slug: str = SLUG,
) -> Clinic:
    """Create the clinic, or return it untouched when it already holds exactly
    this many appointments (the data survives between benchmark runs). Another
    `slug` makes a second clinic beside the first (its logins are named after it)."""
    existing = Clinic.objects.filter(slug=slug).first()
    if existing is not None:
        if Appointment.objects.filter(clinic=existing).count() == appointments:
            return existing
        raise SystemExit(
            f"The benchmark database holds another data set; delete it first: {slug}"
        )
    rng = random.Random(seed)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    with transaction.atomic():
        clinic = Clinic.objects.create(
            name="Benchmark clinic",
            slug=slug,
            timezone="Europe/London",
            country="GB",
            closed_on_public_holidays=False,
        )
        location = Location.objects.create(clinic=clinic, name="Main")
        room_rows = [
            Room.objects.create(clinic=clinic, location=location, name=f"Room {i}")
            for i in range(rooms)
        ]
        device_rows = [
            Device.objects.create(
                clinic=clinic,
                location=location,
                name=f"Pen {i}",
                max_depth_mm=Decimal("2.5"),
            )
            for i in range(devices)
        ]
        staff = []
        for i in range(practitioners):
            user = User.objects.create(username=f"{slug}-p{i}")
            member = StaffMember.objects.create(
                clinic=clinic,
                user=user,
                role=StaffRole.PRACTITIONER,
                display_name=f"Practitioner {i}",
            )
            Qualification.objects.create(
                clinic=clinic, staff_member=member, kind=QualificationKind.MICRONEEDLING
            )
            for weekday in range(7):
                if (weekday + i) % 7 < 5:  # five days in seven, rotating
                    WorkingInterval.objects.create(
                        clinic=clinic,
                        staff_member=member,
                        location=location,
                        weekday=weekday,
                        start_time=OPEN,
                        end_time=CLOSE,
                        effective_from_on=FIRST_DAY - timedelta(days=365),
                    )
            staff.append(member)
        consult = ServiceType.objects.create(
            clinic=clinic,
            kind=ServiceKind.CONSULTATION,
            name="Consultation",
            duration_min=SLOT_MIN,
            needs_room=False,
        )
        ServiceType.objects.create(
            clinic=clinic,
            kind=ServiceKind.MICRONEEDLING,
            name="Micro-needling",
            duration_min=60,
            buffer_after_min=15,
            needs_room=True,
            needs_device=True,
            required_qualification=QualificationKind.MICRONEEDLING,
        )
        Patient.objects.bulk_create(
            Patient(
                clinic=clinic,
                chart_number=f"B{n:05d}",
                given_name="Bench",
                family_name=f"Patient {n}",
                born_on=date(1990, 1, 1),
            )
            for n in range(patients)
        )
        patient_ids = list(
            Patient.objects.filter(clinic=clinic)
            .order_by("chart_number")
            .values_list("pk", flat=True)
        )
    zone = clinic.zone
    working_days = sum(
        1 for d in range(days) for i in range(practitioners) if (d + i) % 7 < 5
    )
    fill = appointments / (working_days * SLOTS_PER_DAY)
    rows: list[Appointment] = []
    made = 0
    for d in range(days):
        day = FIRST_DAY + timedelta(days=d)
        starts = [
            wallclock.to_utc(day, OPEN, zone) + timedelta(minutes=SLOT_MIN * s)
            for s in range(SLOTS_PER_DAY + 1)
        ]
        room_used: set[tuple[int, int]] = set()
        device_used: set[tuple[int, int]] = set()
        for i, member in enumerate(staff):
            if day.weekday() not in {w for w in range(7) if (w + i) % 7 < 5}:
                continue
            for s in range(SLOTS_PER_DAY):
                if made >= appointments or rng.random() > fill * 1.03:
                    continue
                room = device = None
                if rng.random() < 0.6:
                    free = [r for r in range(rooms) if (r, s) not in room_used]
                    if not free:
                        continue
                    room = free[0]
                    room_used.add((room, s))
                    if rng.random() < 0.33:
                        free_d = [
                            x for x in range(devices) if (x, s) not in device_used
                        ]
                        if free_d:
                            device = free_d[0]
                            device_used.add((device, s))
                rows.append(
                    Appointment(
                        clinic=clinic,
                        patient_id=patient_ids[
                            (d * SLOTS_PER_DAY * practitioners + s * practitioners + i)
                            % len(patient_ids)
                        ],
                        service_type=consult,
                        practitioner=member,
                        location=location,
                        room=room_rows[room] if room is not None else None,
                        device=device_rows[device] if device is not None else None,
                        starts_at=starts[s],
                        ends_at=starts[s + 1],
                        blocked_from_at=starts[s],
                        blocked_until_at=starts[s + 1],
                        status=AppointmentStatus.COMPLETED
                        if d < days // 2
                        else AppointmentStatus.BOOKED,
                    )
                )
                made += 1
        if len(rows) >= 10_000:
            Appointment.objects.bulk_create(rows, batch_size=2_000)
            rows = []
    if made < appointments:
        raise SystemExit(f"generated only {made} appointments; raise the fill")
    Appointment.objects.bulk_create(rows, batch_size=2_000)
    return clinic


def drop_clinic(clinic: Clinic) -> None:
    """Delete a generated clinic and everything it owns (rows are PROTECTed, so
    in order); used for the benchmarks' second, smaller clinic."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        # The benchmark database's audit rows record the benchmark's own requests,
        # nobody's health data; the application may not delete them (the log is
        # append-only), so the benchmark clears its own log here before the clinic
        # they point at can go. Only ever run against a benchmark database.
        # Its seals go with it, so the log left behind still verifies.
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("TRUNCATE audit_auditevent, audit_auditseal")
            else:
                cur.execute("DELETE FROM audit_auditevent")
                cur.execute("DELETE FROM audit_auditseal")
        user_ids = list(
            StaffMember.objects.filter(clinic=clinic).values_list("user_id", flat=True)
        )
        for model in (
            Appointment,
            Patient,
            WorkingInterval,
            Qualification,
            ServiceType,
            StaffMember,
            Device,
            Room,
            Location,
        ):
            model.objects.filter(clinic=clinic).delete()
        get_user_model().objects.filter(pk__in=user_ids).delete()
        clinic.delete()
