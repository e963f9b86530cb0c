"""Every page, requested by every persona: who gets in, who is refused.

The table names each URL pattern of the product (the admin is covered in
clinics/tests/test_admin_scoping.py, the JSON API's operations in
config/tests/test_api_access.py). A new URL without a row fails
`test_every_url_pattern_is_in_the_matrix`, so no page ships without a scoping test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from skinterval.testing import make_appointment, make_plan

ALLOWED = 200
NOT_FOUND = 404
FORBIDDEN = 403
LOGIN = "login"  # anonymous: redirected to the login page


def _session_appointment(world: Any) -> Any:
    """A booked session 1 of an approved plan, with the treatment consent signed."""
    from django.utils import timezone

    from skinterval.charting.consent_texts import MICRONEEDLING_2027_01
    from skinterval.charting.services import sign_consent

    plan = make_plan(world.patient, world.practitioner, approve=True)
    sign_consent(
        patient=world.patient,
        kind="microneedling",
        text_version=MICRONEEDLING_2027_01.version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=timezone.now(),
    )
    return make_appointment(world, plan_session=plan.sessions.get(number=1))


def _optimizer_run(world: Any) -> Any:
    """A finished optimizer run of the world's clinic (no proposal)."""
    from django.utils import timezone

    from skinterval.appointments.models import OptimizerRun

    now = timezone.now()
    return OptimizerRun.objects.create(
        clinic=world.clinic,
        location=world.location,
        first_on=now.date(),
        last_on=now.date(),
        time_limit_s=10,
        requested_by=world.practitioner,
        requested_at=now,
        status="proposed",
    )


def _approved_plan(world: Any) -> Any:
    return make_plan(world.patient, world.practitioner, approve=True)


def _replan_proposal(world: Any) -> Any:
    """A pending re-plan proposal on the world's approved plan."""
    from skinterval.plans.models import ReplanProposal

    plan = _approved_plan(world)
    return ReplanProposal.objects.create(
        clinic=world.clinic, plan=plan, kind="hold", as_of=plan.assessed_on
    )


def _completed_session(world: Any) -> Any:
    """Session 1 of an approved plan, completed (a check-in may follow)."""
    plan = _approved_plan(world)
    return make_appointment(
        world, plan_session=plan.sessions.get(number=1), status="completed"
    )


def _check_in(world: Any) -> Any:
    """A check-in from the world's patient that raised an alert."""
    from datetime import timedelta

    from skinterval.domain.checkins import CheckInAnswers, Severity
    from skinterval.outcomes.services import submit_check_in

    appointment = _completed_session(world)
    return submit_check_in(
        patient=world.patient,
        appointment=appointment,
        answers=CheckInAnswers(Severity.SEVERE, Severity.NONE, Severity.NONE, 2),
        now=appointment.starts_at + timedelta(days=2),
    )


def _closure_request(world: Any) -> Any:
    """The world's patient asking for their portal account to be closed."""
    from django.utils import timezone

    from skinterval.outcomes.services import request_account_closure

    return request_account_closure(patient=world.patient, reason="", now=timezone.now())


def _unsubscribe_token(world: Any) -> str:
    """The unsubscribe token of a message sent to the world's patient."""
    from skinterval.reminders.links import unsubscribe_token
    from skinterval.reminders.models import OutboxMessage

    appointment = make_appointment(world)
    message = OutboxMessage.objects.create(
        clinic=world.clinic,
        patient=world.patient,
        appointment=appointment,
        kind="appointment_reminder",
        channel="email",
        due_at=appointment.starts_at,
        send_at=appointment.starts_at,
        expires_at=appointment.starts_at,
    )
    return unsubscribe_token(message.pk)


def _booking_slug(world: Any) -> str:
    """The world's clinic with its public booking page open."""
    from skinterval.booking.models import BookingPage

    BookingPage.objects.get_or_create(clinic=world.clinic)
    return str(world.clinic.slug)


def _intake(world: Any) -> Any:
    """An intake questionnaire of the world's patient."""
    from django.utils import timezone

    from skinterval.booking.models import IntakeResponse

    now = timezone.now()
    return IntakeResponse.objects.create(
        clinic=world.clinic,
        patient=world.patient,
        answered_at=now,
        answered_on=now.date(),
        answers={"patient": {"pregnant": False}, "history": {}},
        rules_version="test",
    )


def _waitlist_offer_token(world: Any) -> str:
    """The signed link of an open offer to the world's patient."""
    from datetime import timedelta

    from django.utils import timezone

    from skinterval.appointments.models import WaitlistOffer, WaitlistRequest
    from skinterval.appointments.waitlist import offer_token

    now = timezone.now()
    later = now + timedelta(days=9)
    appointment = make_appointment(
        world,
        starts_at=later,
        ends_at=later + timedelta(minutes=30),
        blocked_from_at=later,
        blocked_until_at=later + timedelta(minutes=30),
    )
    freed = make_appointment(
        world, patient=world.other_patient, status="cancelled", room=None
    )
    request = WaitlistRequest.objects.create(
        clinic=world.clinic,
        patient=world.patient,
        appointment=appointment,
        created_at=now,
    )
    offer = WaitlistOffer.objects.create(
        clinic=world.clinic,
        request=request,
        freed_appointment=freed,
        starts_at=freed.starts_at,
        practitioner=world.practitioner,
        offered_at=now,
        expires_at=now + timedelta(hours=2),
    )
    return offer_token(offer)


def _feed_token(world: Any) -> str:
    from django.utils import timezone

    from skinterval.appointments.feeds import create_calendar_feed

    return create_calendar_feed(patient=world.patient, now=timezone.now())[1]


def _photo(world: Any, patient: Any = None) -> Any:
    """A photo of the world's patient (or `patient`), under a photo consent."""
    from skinterval.photos.tests.factories import make_photo

    return make_photo(world, patient=patient)


# url name -> (how to build its kwargs from the worlds, {persona: expected})
MATRIX: dict[str, tuple[Callable[[Any, Any], dict[str, Any]], dict[str, Any]]] = {
    "home": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": 302, "bob": 302, "charlie": 302, "pat": 302},
    ),
    "clinics:overview": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": ALLOWED, "bob": ALLOWED, "pat": FORBIDDEN},
    ),
    "clinics:dashboard": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": ALLOWED, "bob": ALLOWED, "pat": FORBIDDEN},
    ),
    "patients:list": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": ALLOWED, "bob": ALLOWED, "pat": FORBIDDEN},
    ),
    "patients:detail": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "patients:detail/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED, "pat": FORBIDDEN},
    ),
    "plans:new": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "plans:detail": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "plans:approve": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405},
    ),
    # GET leads to the form on the plan page; POST: plans/tests/test_overrides.py.
    "plans:override": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {
            "anonymous": LOGIN,
            "alice": 302,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    # Staff read a re-plan proposal; practitioners decide it (POST only:
    # skinterval/plans/tests/test_replan_views.py).
    "plans:replan_proposal": (
        lambda a, b: {"proposal_id": _replan_proposal(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "plans:replan_proposal/other-clinic": (
        lambda a, b: {"proposal_id": _replan_proposal(b).pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    "plans:replan_accept": (
        lambda a, b: {"proposal_id": _replan_proposal(a).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405, "pat": 405},
    ),
    "plans:replan_decline": (
        lambda a, b: {"proposal_id": _replan_proposal(a).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405, "pat": 405},
    ),
    "appointments:book_series": (
        lambda a, b: {"plan_id": make_plan(a.patient, a.practitioner).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "appointments:detail": (
        lambda a, b: {"appointment_id": make_appointment(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:page": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": ALLOWED,
            "pat": FORBIDDEN,
        },
    ),
    # Each clinic's staff get their own clinic's events (contents and scoping in
    # skinterval/appointments/tests/test_calendar.py).
    "calendar:events": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": ALLOWED,
            "pat": FORBIDDEN,
        },
    ),
    # POST only (dragging: skinterval/appointments/tests/test_calendar_move.py).
    "calendar:move": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": 405,
            "bob": 405,
            "charlie": 405,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:optimize": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": ALLOWED,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:optimizer_run": (
        lambda a, b: {"run_id": _optimizer_run(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "calendar:optimizer_apply": (
        lambda a, b: {"run_id": _optimizer_run(a).pk},
        {"anonymous": LOGIN, "alice": 405, "charlie": 405, "pat": FORBIDDEN},
    ),
    "charting:consents": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "charting:consents/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    "charting:sign": (
        lambda a, b: {"patient_id": a.patient.pk, "kind": "photos"},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "charting:withdraw": (
        lambda a, b: {"consent_id": 1},
        {"anonymous": 405, "alice": 405, "charlie": 405},
    ),
    "charting:chart": (
        lambda a, b: {"appointment_id": _session_appointment(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "charting:chart/other-clinic": (
        lambda a, b: {"appointment_id": _session_appointment(b).pk},
        {"alice": NOT_FOUND, "charlie": ALLOWED},
    ),
    "portal:messages": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "portal:home": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    # The patient portal: Pat's own pages; staff have no patient record (404).
    # Other patients' logins: skinterval/portal/tests/test_views.py.
    **{
        f"portal:{name}": (
            lambda a, b: {},
            {
                "anonymous": LOGIN,
                "alice": NOT_FOUND,
                "bob": NOT_FOUND,
                "charlie": NOT_FOUND,
                "pat": ALLOWED,
            },
        )
        for name in (
            "plan",
            "appointments",
            "aftercare",
            "check_ins",
            "progress",
            "rate_scars",
            "consents",
            "data",
            "download",
        )
    },
    "portal:book": (
        lambda a, b: {"number": _approved_plan(a).sessions.get(number=1).number},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "portal:move": (
        lambda a, b: {"appointment_id": _session_appointment(a).pk},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "portal:move/other-clinic": (
        lambda a, b: {"appointment_id": _session_appointment(b).pk},
        {"charlie": NOT_FOUND, "pat": NOT_FOUND},
    ),
    "portal:cancel": (
        lambda a, b: {"appointment_id": make_appointment(a).pk},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "portal:cancel/other-clinic": (
        lambda a, b: {"appointment_id": make_appointment(b).pk},
        {"charlie": NOT_FOUND, "pat": NOT_FOUND},
    ),
    "portal:check_in": (
        lambda a, b: {"appointment_id": _completed_session(a).pk},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "portal:check_in/other-clinic": (
        lambda a, b: {"appointment_id": _completed_session(b).pk},
        {"charlie": NOT_FOUND, "pat": NOT_FOUND},
    ),
    "portal:sign": (
        lambda a, b: {"kind": "photos"},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    # POST only (skinterval/portal/tests/test_consent_and_data.py).
    "portal:close": (
        lambda a, b: {},
        {"anonymous": 405, "alice": 405, "pat": 405},
    ),
    # Staff read a patient's check-in; practitioners act on it (POST only:
    # skinterval/portal/tests/test_check_ins.py).
    "outcomes:check_in": (
        lambda a, b: {"check_in_id": _check_in(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "outcomes:check_in/other-clinic": (
        lambda a, b: {"check_in_id": _check_in(b).pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    "outcomes:review": (
        lambda a, b: {"check_in_id": _check_in(a).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405, "pat": 405},
    ),
    "outcomes:hold": (
        lambda a, b: {"check_in_id": _check_in(a).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405, "pat": 405},
    ),
    "outcomes:release": (
        lambda a, b: {"hold_id": 1},
        {"anonymous": 405, "alice": 405, "charlie": 405, "pat": 405},
    ),
    # Scores: every staff member reads them; practitioners record them
    # (skinterval/outcomes/tests/test_score_views.py).
    "outcomes:patient_scores": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "outcomes:patient_scores/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    "outcomes:record_baseline": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "outcomes:record_baseline/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "charlie": ALLOWED},
    ),
    "outcomes:record_at_visit": (
        lambda a, b: {"appointment_id": _completed_session(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "outcomes:record_at_visit/other-clinic": (
        lambda a, b: {"appointment_id": _completed_session(b).pk},
        {"alice": NOT_FOUND, "charlie": ALLOWED},
    ),
    # Account closure: each clinic's owner only, their own clinic's requests
    # (owners, other clinics, closing itself:
    # skinterval/outcomes/tests/test_account_closure.py).
    "outcomes:closures": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": FORBIDDEN,
            "bob": FORBIDDEN,
            "charlie": FORBIDDEN,
            "pat": FORBIDDEN,
        },
    ),
    "outcomes:closure": (
        lambda a, b: {"request_id": _closure_request(a).pk},
        {
            "anonymous": LOGIN,
            "alice": FORBIDDEN,
            "bob": FORBIDDEN,
            "charlie": FORBIDDEN,
            "pat": FORBIDDEN,
        },
    ),
    # Each clinic's owner and practitioners get their own clinic's report; the
    # front desk is refused (skinterval/outcomes/tests/test_report.py).
    **{
        f"reports:{name}": (
            lambda a, b: {},
            {
                "anonymous": LOGIN,
                "alice": ALLOWED,
                "bob": FORBIDDEN,
                "charlie": ALLOWED,
                "pat": FORBIDDEN,
            },
        )
        for name in ("outcomes", "outcomes_csv")
    },
    # The audit log: each clinic's owner only, their own clinic's events
    # (owners, scoping and filters: skinterval/audit/tests/test_owner_page.py).
    "audit:search": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": FORBIDDEN,
            "bob": FORBIDDEN,
            "charlie": FORBIDDEN,
            "pat": FORBIDDEN,
        },
    ),
    "accounts:login": (
        lambda a, b: {},
        {"anonymous": ALLOWED, "alice": 302, "pat": 302},
    ),
    "accounts:logout": (lambda a, b: {}, {"anonymous": 405, "alice": 405}),
    # Two-factor pages: for a logged-in login; one that passed already, or needs
    # none (patients), is sent on (skinterval/accounts/tests/test_two_factor.py).
    "accounts:otp_verify": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": 302, "pat": 302},
    ),
    "accounts:otp_setup": (
        lambda a, b: {},
        {"anonymous": LOGIN, "alice": 302, "pat": 302},
    ),
    # The signed token is the credential: anyone holding the link may use it; a
    # forged one is refused (skinterval/reminders/tests/test_unsubscribe.py).
    "reminders:unsubscribe": (
        lambda a, b: {"token": _unsubscribe_token(a)},
        {"anonymous": ALLOWED, "alice": ALLOWED, "charlie": ALLOWED, "pat": ALLOWED},
    ),
    # Public booking (no login): the page is the same for everyone; the later
    # steps send a visitor without a booking in progress back to the start
    # (flows and scoping: skinterval/booking/tests/test_public_booking.py).
    "booking:start": (
        lambda a, b: {"clinic_slug": _booking_slug(a)},
        {"anonymous": ALLOWED, "alice": ALLOWED, "charlie": ALLOWED, "pat": ALLOWED},
    ),
    "booking:start/no-page": (
        lambda a, b: {"clinic_slug": b.clinic.slug},
        {"anonymous": NOT_FOUND, "alice": NOT_FOUND, "pat": NOT_FOUND},
    ),
    **{
        f"booking:{step}": (
            lambda a, b: {"clinic_slug": _booking_slug(a)},
            {"anonymous": 302, "alice": 302, "charlie": 302, "pat": 302},
        )
        for step in ("details", "questions", "done")
    },
    "intake:detail": (
        lambda a, b: {"intake_id": _intake(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "intake:detail/other-clinic": (
        lambda a, b: {"intake_id": _intake(b).pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    # The signed link is the credential (skinterval/booking/tests/test_waitlist.py).
    "waitlist:offer": (
        lambda a, b: {"token": _waitlist_offer_token(a)},
        {"anonymous": ALLOWED, "alice": ALLOWED, "charlie": ALLOWED, "pat": ALLOWED},
    ),
    "waitlist:offer/forged": (
        lambda a, b: {"token": "MTIz:forged:signature"},
        {"anonymous": NOT_FOUND, "pat": NOT_FOUND},
    ),
    # POST only; who may: skinterval/booking/tests/test_waitlist.py.
    "waitlist:request": (
        lambda a, b: {"appointment_id": make_appointment(a).pk},
        {"anonymous": 405, "alice": 405, "charlie": 405, "pat": 405},
    ),
    "waitlist:withdraw": (
        lambda a, b: {"request_id": 1},
        {"anonymous": 405, "pat": 405},
    ),
    "waitlist:accept": (
        lambda a, b: {"offer_id": 1},
        {"anonymous": 405, "pat": 405},
    ),
    "waitlist:staff_request": (
        lambda a, b: {"appointment_id": make_appointment(a).pk},
        {"anonymous": 405, "bob": 405, "charlie": 405},
    ),
    # The token is the credential; a wrong one is a 404 for everyone
    # (skinterval/booking/tests/test_calendar_feed.py).
    "feeds:ics": (
        lambda a, b: {"token": _feed_token(a)},
        {"anonymous": ALLOWED, "alice": ALLOWED, "charlie": ALLOWED, "pat": ALLOWED},
    ),
    "feeds:ics/wrong-token": (
        lambda a, b: {"token": _feed_token(a)[:-2] + "zz"},
        {"anonymous": NOT_FOUND, "charlie": NOT_FOUND, "pat": NOT_FOUND},
    ),
    "feeds:create": (lambda a, b: {}, {"anonymous": 405, "alice": 405, "pat": 405}),
    # Clinical photos (skinterval/photos/tests/test_serving.py): any staff of the
    # clinic see them, practitioners and owners add them, the patient sees their
    # own in the portal; the photo itself is served to the same people only.
    "photos:patient": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "photos:patient/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED},
    ),
    "photos:upload": (
        lambda a, b: {"patient_id": a.patient.pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": FORBIDDEN,
            "charlie": NOT_FOUND,
            "pat": FORBIDDEN,
        },
    ),
    "photos:upload/other-clinic": (
        lambda a, b: {"patient_id": b.patient.pk},
        {"alice": NOT_FOUND, "charlie": ALLOWED},
    ),
    "photos:mine": (
        lambda a, b: {},
        {
            "anonymous": LOGIN,
            "alice": NOT_FOUND,
            "bob": NOT_FOUND,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "photos:image": (
        lambda a, b: {"photo_id": _photo(a).pk},
        {
            "anonymous": LOGIN,
            "alice": ALLOWED,
            "bob": ALLOWED,
            "charlie": NOT_FOUND,
            "pat": ALLOWED,
        },
    ),
    "photos:image/other-patient": (
        lambda a, b: {"photo_id": _photo(a, a.other_patient).pk},
        {"alice": ALLOWED, "pat": NOT_FOUND},
    ),
    "photos:image/other-clinic": (
        lambda a, b: {"photo_id": _photo(b).pk},
        {"alice": NOT_FOUND, "bob": NOT_FOUND, "charlie": ALLOWED, "pat": NOT_FOUND},
    ),
    "feeds:revoke": (lambda a, b: {}, {"anonymous": 405, "alice": 405, "pat": 405}),
    # FHIR (docs/fhir.md): the statement is public; $everything takes a bearer
    # API token only, so every browser session, staff or not, gets 401. With
    # tokens (staff 200, other clinic 404, patients 403):
    # skinterval/interop/tests/test_fhir_views.py.
    "fhir:metadata": (
        lambda a, b: {},
        {"anonymous": ALLOWED, "alice": ALLOWED, "charlie": ALLOWED, "pat": ALLOWED},
    ),
    "fhir:patient_everything": (
        lambda a, b: {"patient_id": a.patient.pk},
        {"anonymous": 401, "alice": 401, "bob": 401, "charlie": 401, "pat": 401},
    ),
}


def _pattern_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in {"admin", "api"}:
                # The JSON API: every operation, as every persona, with bearer
                # tokens, in config/tests/test_api_access.py.
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _pattern_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_url_pattern_is_in_the_matrix():
    covered = {key.split("/")[0] for key in MATRIX}
    missing = _pattern_names(get_resolver()) - covered
    assert not missing, f"URL patterns without an access test: {sorted(missing)}"


CASES = [
    (key, persona, expected)
    for key, (_, expectations) in MATRIX.items()
    for persona, expected in expectations.items()
]


@pytest.mark.parametrize(("key", "persona", "expected"), CASES)
def test_access(key, persona, expected, world_a, world_b, pat, as_user, client):
    build_kwargs, _ = MATRIX[key]
    url = reverse(key.split("/")[0], kwargs=build_kwargs(world_a, world_b))
    users = {
        "alice": world_a.practitioner.user,
        "bob": world_a.front_desk.user,
        "charlie": world_b.practitioner.user,
        "pat": pat,
    }
    browser = client if persona == "anonymous" else as_user(users[persona])
    response = browser.get(url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        return
    assert response.status_code == expected
    if expected in (NOT_FOUND, FORBIDDEN):
        body = response.content.decode()
        for world in (world_a, world_b):
            assert world.patient.given_name not in body
            assert world.other_patient.given_name not in body
        if persona == "charlie":
            assert world_a.clinic.name not in body
