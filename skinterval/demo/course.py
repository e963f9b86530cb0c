"""Demo patients at every stage of a course of treatment.

Plans are made by the real planning engine from synthetic assessments, approved by
a demo practitioner, and sessions are booked through the real slot search and
booking services, so the demo calendar obeys every rule the product enforces.
Dates are relative to the day the seed runs, so the demo always looks current.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from skinterval.appointments.models import (
    Appointment,
    ServiceKind,
    ServiceType,
)
from skinterval.appointments.queries import find_slots_for, slots_for_plan_session
from skinterval.appointments.services import book_appointment, complete_appointment
from skinterval.clinics.models import Clinic, QualificationKind, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan
from skinterval.plans.services import approve_plan, create_plan

ACNE_KINDS = ["rolling", "boxcar", "icepick", "rolling", "boxcar"]
AREAS = ["cheeks", "cheeks", "forehead", "temples", "chin", "jawline"]


def seed_services(clinic: Clinic) -> dict[str, ServiceType]:
    specs = [
        (ServiceKind.CONSULTATION, "Consultation", 30, 0, 0, False, ""),
        (
            ServiceKind.MICRONEEDLING,
            "Micro-needling session",
            60,
            0,
            15,
            True,
            QualificationKind.MICRONEEDLING,
        ),
        (ServiceKind.REVIEW, "Review visit", 20, 0, 0, False, ""),
    ]
    out: dict[str, ServiceType] = {}
    for kind, name, minutes, before, after, device, qualification in specs:
        service, _ = ServiceType.objects.update_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "kind": kind,
                "duration_min": minutes,
                "buffer_before_min": before,
                "buffer_after_min": after,
                "needs_room": True,
                "needs_device": device,
                "required_qualification": qualification,
            },
        )
        out[kind] = service
    return out


def assessment_for(
    patient: Patient, assessed_on: date, rng: random.Random, *, stage: str
) -> dict[str, Any]:
    """A synthetic assessment; `stage` adds the history that makes the engine
    defer, decline or ask for a physician."""
    areas = [*rng.sample(AREAS[1:], k=rng.randint(1, 2)), "cheeks"]
    scars = [
        {"area": area, "kind": rng.choice(ACNE_KINDS), "grade": rng.randint(2, 4)}
        for area in sorted(set(areas))
    ]
    history: dict[str, Any] = {}
    if stage == "deferred":
        stopped = assessed_on - timedelta(days=60)
        history["isotretinoin"] = {
            "status": "stopped",
            "stopped_on": stopped.isoformat(),
        }
    if stage == "declined":
        history["isotretinoin"] = {"status": "current"}
    if stage == "review":
        history["keloid_tendency"] = True
    return {
        "assessed_on": assessed_on.isoformat(),
        "patient": {
            "birth_date": patient.born_on.isoformat(),
            "fitzpatrick": patient.fitzpatrick or 3,
        },
        "history": history,
        "scars": scars,
        "device": {"name": "Pen B (2.5 mm)", "max_depth_mm": 2.5},
    }


def _noon(day: date, clinic: Clinic) -> datetime:
    return wallclock.to_utc(day, time(7), clinic.zone)


def _book_next(
    plan: Plan, number: int, services: dict[str, ServiceType], now: datetime
) -> Appointment | None:
    session = plan.sessions.get(number=number)
    options = slots_for_plan_session(
        plan_session=session,
        service=services[ServiceKind.MICRONEEDLING],
        now=now,
        limit=1,
    )
    if not options:
        return None
    best = options[0]
    return book_appointment(
        patient=plan.patient,
        service_type=services[ServiceKind.MICRONEEDLING],
        practitioner=best.practitioner,
        room=best.room,
        device=best.device,
        starts_at=best.slot.start,
        now=now,
        plan_session=session,
    )


def seed_course(
    *,
    clinic: Clinic,
    patient: Patient,
    stage: str,
    sessions_done: int,
    today: date,
    now: datetime,
    services: dict[str, ServiceType],
    rng: random.Random,
) -> None:
    """Bring one patient to a stage of the course (once: a patient who already
    has a plan or an appointment is left as they are)."""
    if patient.plans.exists() or patient.appointments.exists():
        return
    practitioners = list(
        StaffMember.objects.filter(clinic=clinic, role=StaffRole.PRACTITIONER)
        .prefetch_related("qualifications")
        .order_by("display_name")
    )
    physician = next(
        p
        for p in practitioners
        if any(q.kind == QualificationKind.PHYSICIAN for q in p.qualifications.all())
    )
    if stage == "new":
        options = find_slots_for(
            clinic=clinic,
            service=services[ServiceKind.CONSULTATION],
            first_on=today + timedelta(days=1),
            last_on=today + timedelta(days=14),
            now=now,
            patient=patient,
            limit=1,
            per_day_limit=1,
        )
        if options:
            best = options[0]
            book_appointment(
                patient=patient,
                service_type=services[ServiceKind.CONSULTATION],
                practitioner=best.practitioner,
                room=best.room,
                starts_at=best.slot.start,
                now=now,
            )
        return
    interval = 35
    assessed_on = today - timedelta(days=7 + interval * sessions_done)
    plan = create_plan(
        patient=patient,
        assessment=assessment_for(patient, assessed_on, rng, stage=stage),
        created_by=physician,
    )
    if stage in ("draft", "review", "deferred", "declined"):
        return
    plan = approve_plan(
        plan=plan, approved_by=physician, now=_noon(assessed_on, clinic)
    )
    total = plan.sessions.count()
    for number in range(1, min(sessions_done, total) + 1):
        session = plan.sessions.get(number=number)
        past_now = _noon(session.earliest_on, clinic) - timedelta(days=1)
        appointment = _book_next(plan, number, services, past_now)
        if appointment is None or appointment.starts_at >= now:
            return
        complete_appointment(appointment=appointment)
    if sessions_done < total and stage == "booked":
        _book_next(plan, sessions_done + 1, services, now)


# (stage, sessions done, how many patients)
STAGES = [
    ("new", 0, 6),
    ("draft", 0, 5),
    ("review", 0, 2),
    ("deferred", 0, 2),
    ("declined", 0, 1),
    ("approved", 0, 4),
    ("booked", 0, 4),
    ("booked", 1, 4),
    ("booked", 2, 5),
    ("booked", 3, 3),
    ("approved", 2, 2),
    ("approved", 6, 2),  # every planned session done: long score charts
]


def seed_courses(clinic: Clinic, now: datetime) -> None:
    rng = random.Random(7)  # noqa: S311 - synthetic demo data, not security
    services = seed_services(clinic)
    today = wallclock.local_date(now, clinic.zone)
    patients = list(
        Patient.objects.filter(clinic=clinic, user__isnull=True).order_by(
            "chart_number"
        )
    )
    plan: list[tuple[str, int]] = [
        (s, n) for s, n, count in STAGES for _ in range(count)
    ]
    for patient, (stage, done) in zip(patients, plan, strict=False):
        seed_course(
            clinic=clinic,
            patient=patient,
            stage=stage,
            sessions_done=done,
            today=today,
            now=now,
            services=services,
            rng=rng,
        )
