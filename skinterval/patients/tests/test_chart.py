"""The staff patient chart: history with dates, scarred areas on named scales,
consent status, and the timeline, in a fixed number of queries."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skinterval import testing as t
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.services import (
    sign_consent,
    withdraw_consent,
)
from skinterval.patients.chart import summarize_assessment
from skinterval.patients.models import Patient
from skinterval.patients.timeline import by_day, patient_timeline
from skinterval.plans.models import Plan

pytestmark = pytest.mark.django_db

SIGNED_AT = datetime(2027, 1, 5, 8, 30, tzinfo=UTC)
CHECKED_IN_AT = datetime(2027, 1, 5, 10, 5, tzinfo=UTC)
COMPLETED_AT = datetime(2027, 1, 5, 10, 40, tzinfo=UTC)

NO = {
    "new_pregnancy_or_breastfeeding": False,
    "new_isotretinoin": False,
    "new_infection_or_wound": False,
    "new_procedure": False,
    "new_cold_sore": False,
}

FULL_ASSESSMENT = {
    "assessed_on": "2027-01-04",
    "patient": {
        "birth_date": "1990-05-01",
        "fitzpatrick": 4,
        "pregnant": False,
        "nursing": False,
    },
    "history": {
        "isotretinoin": {"status": "stopped", "stopped_on": "2026-03-01"},
        "anticoagulant": False,
        "bleeding_disorder": False,
        "keloid_tendency": True,
        "immunosuppressed": False,
        "diabetes": "controlled",
        "herpes_simplex_history": False,
        "metal_allergy": False,
        "anaesthetic_allergy": False,
        "radiotherapy_to_area_on": "2019-06-15",
        "recent_procedures": [
            {"kind": "tca_cross", "on": "2026-10-01", "area": "cheeks"},
        ],
    },
    "exam": {
        "active_infection_areas": [],
        "open_wound_areas": [],
        "skin_cancer_areas": [],
        "active_herpes": False,
        "active_acne": "mild",
    },
    "scars": [
        {"area": "forehead", "kind": "surgical", "wound_closed_on": "2026-06-01"},
        {"area": "cheeks", "kind": "rolling", "grade": 3, "count": 12},
    ],
}


def text_of(response, section_id: str | None = None) -> str:
    """The page's visible text (tags stripped, entities decoded, spaces joined),
    or only that of the section labelled by the heading `section_id`."""
    page = response.content.decode()
    if section_id is not None:
        match = re.search(
            rf'<section aria-labelledby="{section_id}">(.*?)</section>', page, re.S
        )
        assert match, f"no section {section_id}"
        page = match.group(1)
    plain = html.unescape(re.sub(r"<[^>]+>", " ", page))
    plain = re.sub(r"\s+", " ", plain)
    return re.sub(r" ([,;:.)])", r"\1", plain)


def chart_page(client, patient):
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response


def sign(world, kind="microneedling", *, at=SIGNED_AT, **extra):
    return sign_consent(
        patient=world.patient,
        kind=kind,
        text_version=CURRENT[kind].version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=at,
        **extra,
    )


def charted_session(world, plan, number, starts_at, checked_in_at, completed_at):
    return t.make_charted_session(
        world,
        plan,
        number,
        starts_at,
        checked_in_at=checked_in_at,
        completed_at=completed_at,
        answers=NO,
    )


@pytest.fixture
def course(world_a):
    """Clinic A's patient: an approved plan assessed on Mon 4 Jan 2027, the
    treatment consent signed on the 5th at 08:30, session 1 at 10:00 charted
    (10:05-10:40), and session 2 booked for Tue 2 Feb."""
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    sign(world_a)
    charted_session(
        world_a,
        plan,
        1,
        datetime(2027, 1, 5, 10, tzinfo=UTC),
        CHECKED_IN_AT,
        COMPLETED_AT,
    )
    second = datetime(2027, 2, 2, 10, tzinfo=UTC)
    t.make_appointment(
        world_a,
        plan_session=plan.sessions.get(number=2),
        starts_at=second,
        ends_at=second + timedelta(minutes=45),
        blocked_from_at=second,
        blocked_until_at=second + timedelta(minutes=45),
    )
    return plan


# --------------------------------------------------------------------------- history


def test_history_is_shown_with_dates(world_a, as_user):
    t.make_plan(world_a.patient, world_a.practitioner, assessment=FULL_ASSESSMENT)
    response = chart_page(as_user(world_a.practitioner.user), world_a.patient)
    text = text_of(response, "assessment-h")
    assert "Assessed on 4 Jan 2027, recorded with plan version 1." in text
    assert "Phototype at assessment IV" in text
    assert "Isotretinoin Stopped on 1 Mar 2026" in text
    assert "Radiotherapy to a treated area Last on 15 Jun 2019" in text
    assert "Tends to form keloids Yes" in text
    assert "Takes anticoagulants No" in text
    assert "Diabetes Controlled" in text
    assert "TCA CROSS (Cheeks) — 1 Oct 2026" in text
    assert "Active acne Mild" in text
    page = response.content.decode()
    assert '<time datetime="2026-03-01">' in page
    assert '<time datetime="2026-10-01">' in page


def test_scarred_areas_carry_type_and_score_on_a_named_scale(world_a, as_user):
    t.make_plan(world_a.patient, world_a.practitioner, assessment=FULL_ASSESSMENT)
    response = chart_page(as_user(world_a.front_desk.user), world_a.patient)
    text = text_of(response, "assessment-h")
    rows = text.split("Other findings", 1)[1]
    assert (
        "Cheeks Rolling (acne) Goodman & Baron qualitative global acne-scar grading: "
        "grade 3 of 4"
    ) in rows
    assert "Moderate: obvious at ≥50 cm" in rows
    assert "12 scars counted" in rows
    assert "Forehead Surgical Not scored wound closed on 1 Jun 2026" in rows
    # Canonical area order: forehead before cheeks.
    assert rows.index("Forehead") < rows.index("Cheeks")


def test_the_latest_plan_version_is_the_one_summarised(world_a, as_user):
    t.make_plan(world_a.patient, world_a.practitioner, assessment=FULL_ASSESSMENT)
    t.make_plan(world_a.patient, world_a.practitioner)  # version 2, simple
    text = text_of(
        chart_page(as_user(world_a.practitioner.user), world_a.patient),
        "assessment-h",
    )
    assert "plan version 2" in text
    assert "Phototype at assessment II" in text
    assert "Isotretinoin Not recorded" in text
    assert "TCA CROSS" not in text


def test_no_assessment_yet(world_a, as_user):
    text = text_of(
        chart_page(as_user(world_a.practitioner.user), world_a.patient),
        "assessment-h",
    )
    assert "No assessment yet." in text


def test_unrecorded_history_reads_not_recorded_rather_than_no():
    plan = Plan(
        pk=7,
        version=1,
        assessed_on=date(2027, 1, 4),
        assessment={
            "assessed_on": "2027-01-04",
            "patient": {"birth_date": "1990-05-01", "fitzpatrick": 2},
            "history": {"anticoagulant": True},
            "scars": [{"area": "chin", "kind": "icepick", "grade": 2}],
        },
    )
    summary = summarize_assessment(plan)
    values = {item.label: (item.value, item.notable) for item in summary.history}
    assert values["Takes anticoagulants"] == ("Yes", True)
    assert values["Bleeding disorder"] == ("Not recorded", False)
    assert values["Pregnant"] == ("Not recorded", False)
    [scar] = summary.scars
    [score] = scar.scores
    assert (score.scale_id, score.text) == ("gb_qualitative", "grade 2 of 4")
    assert score.scale_name.startswith("Goodman & Baron qualitative")
    assert score.meaning.startswith("Mild:")


# --------------------------------------------------------------------------- consent


def test_consent_status_shows_in_force_and_withdrawn(world_a, as_user):
    sign(world_a)
    photos = sign(world_a, "photos", photo_scope="teaching")
    withdraw_consent(
        consent=photos,
        withdrawn_by=world_a.front_desk,
        reason="Changed her mind",
        now=SIGNED_AT + timedelta(days=2),
    )
    text = text_of(
        chart_page(as_user(world_a.front_desk.user), world_a.patient), "consent-h"
    )
    treatment = text.split("Clinical photographs", 1)[0]
    photo = text.split("Clinical photographs", 1)[1]
    version = CURRENT["microneedling"].version
    assert (
        f"Micro-needling treatment In force Signed 5 Jan 2027, 08:30; "
        f"text version {version}"
    ) in treatment
    assert (
        "Withdrawn On 7 Jan 2027, 08:30 — Changed her mind; had been signed 5 Jan 2027"
    ) in photo
    assert "In force" not in photo
    page = chart_page(as_user(world_a.front_desk.user), world_a.patient)
    assert reverse("charting:consents", args=[world_a.patient.pk]) in (
        page.content.decode()
    )


def test_a_patient_without_consent_reads_not_signed(world_a, as_user):
    text = text_of(
        chart_page(as_user(world_a.practitioner.user), world_a.patient), "consent-h"
    )
    assert "Micro-needling treatment Not signed" in text
    assert "Clinical photographs Not signed" in text


def test_the_photo_scope_is_shown_for_photo_consent(world_a, as_user):
    sign(world_a, "photos", photo_scope="teaching")
    text = text_of(
        chart_page(as_user(world_a.practitioner.user), world_a.patient), "consent-h"
    )
    assert "may be used for: clinical record and teaching" in text


# --------------------------------------------------------------------------- timeline


def test_timeline_lists_every_kind_newest_first_grouped_by_day(
    world_a, course, as_user
):
    response = chart_page(as_user(world_a.practitioner.user), world_a.patient)
    text = text_of(response, "timeline-h")
    expected_in_order = [
        "Tuesday 2 February 2027",
        "10:00 Consultation, session 2 — Booked, with Alice",
        "Tuesday 5 January 2027",
        "10:40 Session 1 charted — Treated: Cheeks 1.00 mm; deepest 1.00 mm; "
        "immediate reaction: Expected (redness, swelling)",
        "10:00 Consultation, session 1 — Completed, with Alice",
        "08:30 Consent signed: Micro-needling treatment — text version",
        "Monday 4 January 2027",
        "Assessment and plan, version 1 — Approved; decision: Proceed",
    ]
    positions = [text.find(snippet) for snippet in expected_in_order]
    assert -1 not in positions, list(zip(expected_in_order, positions, strict=True))
    assert positions == sorted(positions)
    page = response.content.decode()
    chart_link = reverse(
        "charting:chart", args=[world_a.patient.appointments.get(status="completed").pk]
    )
    assert f'<a href="{chart_link}">Session 1 charted</a>' in page
    assert reverse("plans:detail", args=[course.pk]) in page


def test_front_desk_gets_no_link_to_session_charts_they_cannot_open(
    world_a, course, as_user
):
    page = chart_page(as_user(world_a.front_desk.user), world_a.patient)
    body = page.content.decode()
    assert "Session 1 charted" in body
    assert "/charting/appointment/" not in body
    assert "<strong>Session 1 charted</strong>" in body


def test_plan_versions_of_one_day_are_newest_first(world_a):
    for _ in range(3):
        t.make_plan(world_a.patient, world_a.practitioner)
    titles = [e.title for e in patient_timeline(world_a.patient)]
    assert titles == [
        "Assessment and plan, version 3",
        "Assessment and plan, version 2",
        "Assessment and plan, version 1",
    ]


def test_timeline_days_are_the_clinics_local_days(world_a):
    world_a.clinic.timezone = "America/New_York"
    world_a.clinic.save(update_fields=["timezone"])
    late = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)  # 21:00 on the 4th in New York
    t.make_appointment(
        world_a,
        starts_at=late,
        ends_at=late + timedelta(minutes=30),
        blocked_from_at=late,
        blocked_until_at=late + timedelta(minutes=30),
    )
    patient = Patient.objects.select_related("clinic").get(pk=world_a.patient.pk)
    [day] = list(by_day(patient_timeline(patient)))
    assert day.on == date(2027, 1, 4)
    assert day.entries[0].at == late


def test_cancelled_appointments_stay_and_holds_do_not(world_a):
    cancelled = t.make_appointment(
        world_a, status="cancelled", cancellation_reason="Flu"
    )
    later = cancelled.starts_at + timedelta(days=1)
    t.make_appointment(
        world_a,
        status="held",
        hold_expires_at=later,
        starts_at=later,
        ends_at=later + timedelta(minutes=30),
        blocked_from_at=later,
        blocked_until_at=later + timedelta(minutes=30),
    )
    entries = patient_timeline(world_a.patient)
    assert [(e.kind, e.detail) for e in entries] == [
        ("appointment", "Cancelled, with Alice — Flu")
    ]


def test_an_empty_timeline_says_so(world_a, as_user):
    text = text_of(
        chart_page(as_user(world_a.practitioner.user), world_a.patient), "timeline-h"
    )
    assert "Nothing recorded yet." in text


# --------------------------------------------------------------------------- scoping


def test_another_clinics_patient_is_not_found(world_a, world_b, as_user):
    t.make_plan(world_b.patient, world_b.practitioner, assessment=FULL_ASSESSMENT)
    for user, patient in [
        (world_a.practitioner.user, world_b.patient),
        (world_a.front_desk.user, world_b.patient),
        (world_b.practitioner.user, world_a.patient),
    ]:
        response = as_user(user).get(reverse("patients:detail", args=[patient.pk]))
        assert response.status_code == 404
        assert patient.given_name not in response.content.decode()
    assert chart_page(as_user(world_b.practitioner.user), world_b.patient)


# --------------------------------------------------------------------------- queries


def test_the_chart_takes_a_fixed_number_of_queries(
    world_a, course, as_user, django_assert_max_num_queries
):
    client = as_user(world_a.practitioner.user)
    url = reverse("patients:detail", args=[world_a.patient.pk])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)

    # Many more of every kind of entry.
    for _ in range(3):
        t.make_plan(world_a.patient, world_a.practitioner)
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    photos = sign(world_a, "photos", photo_scope="record")
    withdraw_consent(
        consent=photos, withdrawn_by=world_a.front_desk, reason="", now=COMPLETED_AT
    )
    sign(world_a, "photos", photo_scope="record", at=COMPLETED_AT)
    for number in (1, 2, 3):
        day = datetime(2027, 3, 1, 10, tzinfo=UTC) + timedelta(weeks=5 * number)
        charted_session(
            world_a,
            plan,
            number,
            day,
            day + timedelta(minutes=5),
            day + timedelta(minutes=40),
        )
    for hours in range(4):
        starts = datetime(2027, 1, 20, 9 + hours, tzinfo=UTC)
        t.make_appointment(
            world_a,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            blocked_from_at=starts,
            blocked_until_at=starts + timedelta(minutes=30),
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    text = text_of(response, "timeline-h")
    assert text.count("charted") >= 4
    assert "Assessment and plan, version 5" in text
