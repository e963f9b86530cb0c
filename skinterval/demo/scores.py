"""Demo score trajectories, so the progress charts have something to show.

SYNTHETIC DEMO DATA, not clinical results: a fixed seed makes the same numbers
every run. For every demo patient with an approved plan: a baseline before the first
treatment and a score at every later session that took place, per treated area,
on Goodman & Baron quantitative (item bands that mostly fall by one band a
session, sometimes stay, now and then rise: the noise real scoring has) and
Goodman & Baron qualitative (a grade that falls slowly); and the patient's own
0-10 rating, reported the day after each session, drifting up (the evidence
does not say which end of that scale is better; the demo simply lets it rise).
Everything goes through `record_score`, so totals are computed by the domain
scales.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.clinics.models import Clinic, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.domain.scales import get_scale
from skinterval.outcomes.models import Score
from skinterval.outcomes.services import (
    occasion_for_patient_report,
    occasion_for_visit,
    record_score,
)
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanStatus

GB_QUANTITATIVE = get_scale("gb_quantitative")
GB_ITEMS = [item.item_id for item in GB_QUANTITATIVE.items]
# The atrophic acne-scar items a demo cheek or forehead starts with.
STARTING_ITEMS = [
    "shallow_dish_atrophy",
    "moderate_atrophic",
    "punched_out_shallow_small",
    "shallow_broad_atrophic",
    "punched_out_deep_normal_base_small",
    "deep_broad_atrophic",
]


def _areas(plan: Plan) -> list[str]:
    rows = (plan.plan or {}).get("areas") or []
    return sorted({str(row["area"]) for row in rows if isinstance(row, dict)})


def _grades(plan: Plan) -> dict[str, int]:
    scars = (plan.assessment or {}).get("scars") or []
    return {
        str(s["area"]): int(s["grade"])
        for s in scars
        if isinstance(s, dict) and isinstance(s.get("grade"), int)
    }


def _step(bands: dict[str, int], floor: int, rng: random.Random) -> dict[str, int]:
    """One session later: often one band lower somewhere, sometimes two,
    often no change, now and then one band higher (scoring noise). Never below
    `floor` points: trials report falls of a few points, not clearance."""
    after = dict(bands)
    roll = rng.random()
    falls = 2 if roll < 0.1 else 1 if roll < 0.6 else 0
    for _ in range(falls):
        present = [k for k, v in after.items() if v > 0]
        if present:
            after[rng.choice(present)] -= 1
    if roll > 0.93:
        worse = rng.choice(STARTING_ITEMS[:4])  # a milder kind, weight 1-2
        after[worse] = min(3, after[worse] + 1)
    return after if GB_QUANTITATIVE.score(after).total >= floor else bands


def _record(
    patient: Patient,
    area: str,
    scale: str,
    items: dict[str, int],
    visit: Appointment | None,
    when: datetime,
    by: StaffMember | None,
) -> None:
    record_score(
        patient=patient,
        area=area,
        scale=scale,
        items=items,
        occasion=occasion_for_visit(visit)
        if by is not None
        else occasion_for_patient_report(visit),
        appointment=visit,
        scored_by=by,
        now=when,
    )


def seed_scores(clinic: Clinic, now: datetime) -> int:
    """Scores for the clinic's demo patients (once: a patient who already has
    scores is left as they are). Returns how many were recorded."""
    rng = random.Random(2027)  # noqa: S311 - synthetic demo data, not security
    recorded = 0
    plans = (
        Plan.objects.filter(clinic=clinic, status=PlanStatus.APPROVED)
        .select_related("patient", "approved_by")
        .order_by("patient__chart_number")
    )
    for plan in plans:
        patient: Patient = plan.patient
        assessor = plan.approved_by
        assessed_at = wallclock.to_utc(plan.assessed_on, time(11), clinic.zone)
        if (
            assessor is None
            or assessed_at >= now
            or Score.objects.filter(patient=patient).exists()
        ):
            continue
        visits = list(
            patient.appointments.filter(
                plan_session__plan=plan,
                status=AppointmentStatus.COMPLETED,
                starts_at__lt=now,
                practitioner__role=StaffRole.PRACTITIONER,
            )
            .select_related("practitioner", "plan_session", "service_type")
            .order_by("starts_at")
        )
        # The baseline is taken before the first treatment: at session 1 when
        # it was on the assessment day, otherwise at the assessment itself.
        baseline: tuple[Appointment | None, datetime, StaffMember]
        later = visits
        if visits and wallclock.local_date(visits[0].starts_at, clinic.zone) == (
            plan.assessed_on
        ):
            baseline = (visits[0], visits[0].starts_at, visits[0].practitioner)
            later = visits[1:]
        else:
            baseline = (None, assessed_at, assessor)
        grades = _grades(plan)
        areas = _areas(plan) or ["cheeks"]
        for area in areas:
            bands = dict.fromkeys(GB_ITEMS, 0)
            for item in rng.sample(STARTING_ITEMS, k=rng.randint(3, 5)):
                bands[item] = rng.randint(1, 3)
            grade = min(4, max(1, grades.get(area, 3)))
            floor = GB_QUANTITATIVE.score(bands).total // 2
            steps = [(bands, grade, *baseline)]
            for number, visit in enumerate(later, start=1):
                bands = _step(bands, floor, rng)
                if number >= 2 and grade > 1 and rng.random() < 0.35:
                    grade -= 1
                steps.append((bands, grade, visit, visit.starts_at, visit.practitioner))
            for items, level, visit_or_none, when, by in steps:
                _record(
                    patient, area, "gb_quantitative", items, visit_or_none, when, by
                )
                _record(
                    patient,
                    area,
                    "gb_qualitative",
                    {"grade": level},
                    visit_or_none,
                    when,
                    by,
                )
                recorded += 2
        # The patient's own overall rating (filed under the first treated area):
        # the day after each session, or once after the assessment.
        rating = rng.randint(2, 4)
        reports: list[tuple[Appointment | None, datetime]] = [
            (v, v.ends_at + timedelta(days=1)) for v in visits
        ] or [(None, assessed_at + timedelta(days=1))]
        for reported_visit, when in reports:
            if when >= now:
                continue
            _record(
                patient,
                areas[0],
                "patient_global_0_10",
                {"rating": rating},
                reported_visit,
                when,
                None,
            )
            recorded += 1
            rating = max(0, min(10, rating + rng.choice((0, 1, 1, 2))))
    return recorded
