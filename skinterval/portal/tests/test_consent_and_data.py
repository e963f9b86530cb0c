"""Pat signs her consents in the portal, downloads exactly her own data and asks
for her account to be closed (nothing clinical is deleted)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from skinterval import testing as t
from skinterval.appointments.models import Appointment
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.models import Consent, ConsentStatus, SessionChart, SignedVia
from skinterval.charting.services import sign_consent
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.outcomes.models import AccountClosureRequest, CheckIn, ClosureStatus
from skinterval.outcomes.services import submit_check_in
from skinterval.plans.models import Plan

from .conftest import MONDAY, SESSION_1_AT


def sign_form(kind: str, name: str, **extra: str) -> dict[str, str]:
    return {
        "text_version": CURRENT[kind].version,
        "has_read": "on",
        "agrees": "on",
        "signed_name": name,
        **extra,
    }


def test_the_home_page_asks_for_consent_before_the_first_session(plan, pat, as_user):
    home = as_user(pat).get(reverse("portal:home")).content.decode()
    assert "Please sign your consent to treatment before your first session." in home


def test_pat_signs_the_treatment_consent_herself(plan, world_a, pat, as_user):
    client = as_user(pat)
    page = client.get(reverse("portal:sign", args=["microneedling"]))
    assert page.status_code == 200
    assert CURRENT["microneedling"].statements[-1] in page.content.decode()

    response = client.post(
        reverse("portal:sign", args=["microneedling"]),
        sign_form("microneedling", world_a.patient.full_name),
    )

    assert response.status_code == 302
    consent = Consent.objects.get(patient=world_a.patient)
    assert consent.signed_via == SignedVia.PORTAL
    assert consent.witnessed_by is None
    assert consent.text_sha256 == CURRENT["microneedling"].sha256
    assert consent.status == ConsentStatus.SIGNED
    home = client.get(reverse("portal:home")).content.decode()
    assert "Please sign your consent" not in home


def test_a_wrong_name_or_missing_scope_is_refused_next_to_the_field(
    world_a, pat, as_user
):
    client = as_user(pat)
    response = client.post(
        reverse("portal:sign", args=["photos"]), sign_form("photos", "Someone Else")
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Type the name on the patient&#x27;s record" in body
    assert "Choose how your photographs may be used." in body
    assert 'value="Someone Else"' in body
    assert not Consent.objects.exists()


def test_a_tablet_consent_still_needs_a_staff_witness(world_a):
    kwargs = {
        "patient": world_a.patient,
        "kind": "microneedling",
        "text_version": CURRENT["microneedling"].version,
        "signed_name": world_a.patient.full_name,
        "now": MONDAY,
    }
    with pytest.raises(PermissionDenied):
        sign_consent(witnessed_by=None, **kwargs)
    with pytest.raises(ValueError, match="no witness"):
        sign_consent(
            witnessed_by=world_a.front_desk, signed_via=SignedVia.PORTAL, **kwargs
        )
    assert not Consent.objects.exists()


def _everyones_data(world_a, world_b, session_1_done):
    """Rows for Pat, for clinic A's other patient and for clinic B's patient."""
    submit_check_in(
        patient=world_a.patient,
        appointment=session_1_done,
        answers=CheckInAnswers(Severity.SEVERE, Severity.NONE, Severity.NONE, 3),
        now=timezone.now(),
    )
    for world, patient in (
        (world_a, world_a.other_patient),
        (world_b, world_b.patient),
    ):
        other_plan = t.make_plan(patient, world.practitioner, approve=True)
        sign_consent(
            patient=patient,
            kind="photos",
            photo_scope="record",
            text_version=CURRENT["photos"].version,
            signed_name=patient.full_name,
            witnessed_by=world.front_desk,
            now=MONDAY,
        )
        t.make_appointment(
            world, patient=patient, plan_session=other_plan.sessions.get(number=1)
        )


def test_the_download_holds_exactly_pats_records(
    session_1_done, world_a, world_b, pat, as_user
):
    _everyones_data(world_a, world_b, session_1_done)
    patient = world_a.patient

    response = as_user(pat).get(reverse("portal:download"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert patient.family_name not in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["patient"]["id"] == str(patient.pk)
    assert data["patient"]["chart_number"] == patient.chart_number
    assert {p["id"] for p in data["plans"]} == set(
        Plan.objects.filter(patient=patient).values_list("pk", flat=True)
    )
    assert {a["id"] for a in data["appointments"]} == set(
        Appointment.objects.filter(patient=patient).values_list("pk", flat=True)
    )
    assert {c["id"] for c in data["consents"]} == set(
        Consent.objects.filter(patient=patient).values_list("pk", flat=True)
    )
    assert {c["id"] for c in data["session_charts"]} == set(
        SessionChart.objects.filter(patient=patient).values_list("pk", flat=True)
    )
    assert {c["id"] for c in data["check_ins"]} == set(
        CheckIn.objects.filter(patient=patient).values_list("pk", flat=True)
    )
    assert data["check_ins"][0]["redness"] == "severe"
    assert data["session_charts"][0]["areas"][0]["area"] == "cheeks"
    assert data["appointments"][0]["starts_at"] == SESSION_1_AT.isoformat()
    text = response.content.decode()
    for other in (world_a.other_patient, world_b.patient):
        assert other.full_name not in text
        assert str(other.pk) not in text
        assert other.chart_number not in text
    # Staff appear by name only; no logins or internal booking fields.
    assert "Alice" in text
    for internal in ("blocked_from_at", "sequence", "hold_expires_at", "username"):
        assert internal not in text
    assert world_a.practitioner.user.username not in text.replace("Alice", "")


def test_pat_asks_for_her_account_to_be_closed(session_1_done, world_a, pat, as_user):
    client = as_user(pat)
    response = client.post(
        reverse("portal:close"), {"reason": "Moving abroad.", "understood": "on"}
    )
    assert response.status_code == 302
    request = AccountClosureRequest.objects.get()
    assert request.patient == world_a.patient
    assert request.clinic == world_a.clinic
    assert request.status == ClosureStatus.OPEN
    assert request.reason == "Moving abroad."
    # Nothing is deleted or disabled by the request itself.
    world_a.patient.refresh_from_db()
    assert world_a.patient.user == pat
    assert SessionChart.objects.filter(patient=world_a.patient).exists()
    page = client.get(reverse("portal:data")).content.decode()
    assert "You asked for your account to be closed" in page
    # Asking again keeps the one open request.
    client.post(reverse("portal:close"), {"understood": "on"})
    assert AccountClosureRequest.objects.count() == 1


def test_a_closure_request_needs_the_records_tick(world_a, pat, as_user):
    response = as_user(pat).post(
        reverse("portal:close"), {"reason": "Please close it."}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Tick this box to send the request." in body
    assert "Please close it." in body
    assert not AccountClosureRequest.objects.exists()
