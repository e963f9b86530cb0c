"""Every read and write of patient data leaves one audit event: who (login id and
role), which object, what, when and from which address, and nothing else.

Reads are real page requests (the middleware gives the address); writes are the
services, called inside a request as a view calls them (the request's login is
the actor when the service is not told who acts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from skinterval import testing as t
from skinterval.appointments.models import ServiceType
from skinterval.appointments.services import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from skinterval.audit.context import AuditTrailMiddleware
from skinterval.audit.models import AuditEvent
from skinterval.booking.models import IntakeResponse
from skinterval.charting.consent_texts import MICRONEEDLING_2027_01, PHOTOS_2027_01
from skinterval.charting.services import (
    AreaEntry,
    complete_session,
    sign_consent,
    start_session,
    withdraw_consent,
)
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.outcomes.models import ScoreOccasion
from skinterval.outcomes.services import record_score, submit_check_in
from skinterval.plans.services import approve_plan

ADDRESS = "203.0.113.9"
MONDAY = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
SESSION_1_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
# Clinical words written by the set-up and the cases: none may reach the log.
CLINICAL_VALUES = ("rolling", "cheeks", "LOT-AUDIT-7", "pinpoint_bleeding", "topical")
NOTES = "NOTE-AUDIT-SECRET"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False):
        yield


@dataclass
class Env:
    """Clinic A with a treatment under way, and the means to act on it."""

    world: Any
    pat: Any
    as_user: Callable[[Any], Any]
    plan: Any
    chart: Any
    appointment: Any
    check_in: Any
    intake: Any
    consultation: Any
    marker: int = 0
    objects: dict[str, Any] = field(default_factory=dict)

    @property
    def alice(self) -> Any:
        return self.world.practitioner.user

    @property
    def bob(self) -> Any:
        return self.world.front_desk.user

    def mark(self) -> None:
        """Events before this point are the set-up's."""
        self.marker = (
            AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )

    def get(self, user: Any, url: str, **params: Any) -> HttpResponse:
        client = self.as_user(user)
        self.mark()
        response: HttpResponse = client.get(url, params, REMOTE_ADDR=ADDRESS)
        assert response.status_code == 200, response.content[:400]
        return response

    def act(self, user: Any, do: Callable[[], Any]) -> Any:
        """`do()` inside a request of `user`, as a view would run it."""
        request = RequestFactory().post("/", REMOTE_ADDR=ADDRESS)
        request.user = user
        result: list[Any] = []

        def view(_: HttpRequest) -> HttpResponse:
            result.append(do())
            return HttpResponse()

        self.mark()
        AuditTrailMiddleware(view)(request)
        return result[0]

    def new_events(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(id__gt=self.marker).order_by("id"))


@pytest.fixture
def env(world_a, pat, as_user, clock) -> Env:
    for weekday in range(1, 5):
        t.make_working_interval(world_a.practitioner, world_a.location, weekday=weekday)
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    sign_consent(
        patient=world_a.patient,
        kind="microneedling",
        text_version=MICRONEEDLING_2027_01.version,
        signed_name=world_a.patient.full_name,
        witnessed_by=world_a.front_desk,
        now=MONDAY,
    )
    chart = t.make_charted_session(
        world_a,
        plan,
        1,
        SESSION_1_AT,
        checked_in_at=SESSION_1_AT,
        completed_at=SESSION_1_AT + timedelta(minutes=40),
    )
    check_in = submit_check_in(
        patient=world_a.patient,
        appointment=chart.appointment,
        answers=CheckInAnswers(Severity.MILD, Severity.NONE, Severity.NONE, pain=2),
        now=SESSION_1_AT + timedelta(days=1),
    )
    intake = IntakeResponse.objects.create(
        clinic=world_a.clinic,
        patient=world_a.patient,
        answered_at=MONDAY,
        answered_on=MONDAY.date(),
        answers={"patient": {"pregnant": False}, "history": {}},
        rules_version="test",
    )
    # The service t.make_appointment made for the charted session.
    consultation = ServiceType.objects.get(clinic=world_a.clinic, name="Consultation")
    return Env(
        world=world_a,
        pat=pat,
        as_user=as_user,
        plan=plan,
        chart=chart,
        appointment=t.make_appointment(world_a, service_type=consultation),
        check_in=check_in,
        intake=intake,
        consultation=consultation,
    )


# A case does what a user does and returns (action, target, actor); the target
# is the object, a list's type, or (type, id) for what is not a model.
Expected = tuple[str, "models.Model | str | tuple[str, str]", Any]


def staff_patient_chart(env: Env) -> Expected:
    env.get(env.alice, reverse("patients:detail", args=[env.world.patient.pk]))
    return "view", env.world.patient, env.alice


def staff_plan(env: Env) -> Expected:
    env.get(env.alice, reverse("plans:detail", args=[env.plan.pk]))
    return "view", env.plan, env.alice


def staff_appointment(env: Env) -> Expected:
    env.get(env.bob, reverse("appointments:detail", args=[env.appointment.pk]))
    return "view", env.appointment, env.bob


def staff_session_chart(env: Env) -> Expected:
    env.get(env.alice, reverse("charting:chart", args=[env.chart.appointment_id]))
    return "view", env.chart, env.alice


def staff_check_in(env: Env) -> Expected:
    env.get(env.alice, reverse("outcomes:check_in", args=[env.check_in.pk]))
    return "view", env.check_in, env.alice


def staff_intake(env: Env) -> Expected:
    env.get(env.bob, reverse("intake:detail", args=[env.intake.pk]))
    return "view", env.intake, env.bob


def portal_home(env: Env) -> Expected:
    env.get(env.pat, reverse("portal:home"))
    return "view", env.world.patient, env.pat


def portal_plan(env: Env) -> Expected:
    env.get(env.pat, reverse("portal:plan"))
    return "view", env.world.patient, env.pat


def portal_progress(env: Env) -> Expected:
    env.get(env.pat, reverse("portal:progress"))
    return "view", env.world.patient, env.pat


def dashboard_list(env: Env) -> Expected:
    env.get(env.alice, reverse("clinics:dashboard"))
    return "view", "patients.patient", env.alice


def patient_list(env: Env) -> Expected:
    env.get(env.bob, reverse("patients:list"))
    return "view", "patients.patient", env.bob


def calendar_list(env: Env) -> Expected:
    env.get(env.bob, reverse("calendar:events"), start="2027-01-04", end="2027-01-11")
    return "view", "appointments.appointment", env.bob


def outcome_report_page(env: Env) -> Expected:
    env.get(env.alice, reverse("reports:outcomes"))
    return "view", "outcomes.report", env.alice


def portal_download(env: Env) -> Expected:
    env.get(env.pat, reverse("portal:download"))
    return "export", env.world.patient, env.pat


def report_csv(env: Env) -> Expected:
    env.get(env.alice, reverse("reports:outcomes_csv"))
    return "export", ("outcomes.report", "2027-01-04"), env.alice  # as of today


def plan_create(env: Env) -> Expected:
    plan = env.act(
        env.alice, lambda: t.make_plan(env.world.patient, env.world.practitioner)
    )
    return "create", plan, env.alice


def plan_approve(env: Env) -> Expected:
    draft = t.make_plan(env.world.patient, env.world.practitioner)
    env.act(
        env.alice,
        lambda: approve_plan(
            plan=draft, approved_by=env.world.practitioner, now=MONDAY
        ),
    )
    return "update", draft, env.alice


def appointment_book(env: Env) -> Expected:
    booked = env.act(
        env.bob,
        lambda: book_appointment(
            patient=env.world.patient,
            service_type=env.consultation,
            practitioner=env.world.practitioner,
            starts_at=datetime(2027, 1, 5, 14, 0, tzinfo=UTC),
            now=MONDAY,
            room=env.world.room,
            booked_by=env.world.front_desk,
        ),
    )
    return "create", booked, env.bob


def appointment_move(env: Env) -> Expected:
    env.act(
        env.bob,
        lambda: reschedule_appointment(
            appointment=env.appointment,
            starts_at=datetime(2027, 1, 6, 11, 0, tzinfo=UTC),
            now=MONDAY,
        ),
    )
    return "update", env.appointment, env.bob  # the request's login: no `by`


def appointment_cancel(env: Env) -> Expected:
    env.act(
        env.bob,
        lambda: cancel_appointment(appointment=env.appointment, reason="", now=MONDAY),
    )
    return "update", env.appointment, env.bob


def appointment_move_by_patient(env: Env) -> Expected:
    """Pat's own login moves it (the portal calls the same service)."""
    env.act(
        env.pat,
        lambda: reschedule_appointment(
            appointment=env.appointment,
            starts_at=datetime(2027, 1, 6, 11, 0, tzinfo=UTC),
            now=MONDAY,
        ),
    )
    return "update", env.appointment, env.pat


def _session_2(env: Env) -> Any:
    starts = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    return t.make_appointment(
        env.world,
        plan_session=env.plan.sessions.get(number=2),
        device=env.world.device,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=45),
    )


def chart_start(env: Env) -> Expected:
    appointment = _session_2(env)
    chart = env.act(
        env.alice,
        lambda: start_session(
            appointment=appointment,
            practitioner=env.world.practitioner,
            answers=t.NO_NEWS,
            notes=NOTES,
            now=appointment.starts_at,
        ),
    )
    return "create", chart, env.alice


def chart_complete(env: Env) -> Expected:
    appointment = _session_2(env)
    chart = start_session(
        appointment=appointment,
        practitioner=env.world.practitioner,
        answers=t.NO_NEWS,
        now=appointment.starts_at,
    )
    env.act(
        env.alice,
        lambda: complete_session(
            chart=chart,
            practitioner=env.world.practitioner,
            areas=[
                AreaEntry(
                    area="cheeks",
                    depth_mm=Decimal("1.0"),
                    passes=3,
                    device=env.world.device,
                    cartridge_lot="LOT-AUDIT-7",
                )
            ],
            anaesthetic="topical",
            adjuncts="",
            endpoint="pinpoint_bleeding",
            reaction="expected",
            notes=NOTES,
            now=appointment.starts_at + timedelta(minutes=40),
        ),
    )
    return "update", chart, env.alice


def consent_sign(env: Env) -> Expected:
    consent = env.act(
        env.bob,
        lambda: sign_consent(
            patient=env.world.patient,
            kind="photos",
            text_version=PHOTOS_2027_01.version,
            signed_name=env.world.patient.full_name,
            photo_scope="record",
            witnessed_by=env.world.front_desk,
            now=MONDAY,
        ),
    )
    return "create", consent, env.bob


def consent_sign_in_portal(env: Env) -> Expected:
    consent = env.act(
        env.pat,
        lambda: sign_consent(
            patient=env.world.patient,
            kind="photos",
            text_version=PHOTOS_2027_01.version,
            signed_name=env.world.patient.full_name,
            photo_scope="record",
            witnessed_by=None,
            signed_via="portal",
            now=MONDAY,
        ),
    )
    return "create", consent, env.pat


def consent_withdraw(env: Env) -> Expected:
    consent = env.world.patient.consents.get(kind="microneedling")
    env.act(
        env.bob,
        lambda: withdraw_consent(
            consent=consent, withdrawn_by=env.world.front_desk, reason=NOTES, now=MONDAY
        ),
    )
    return "update", consent, env.bob


def score_by_practitioner(env: Env) -> Expected:
    score = env.act(
        env.alice,
        lambda: record_score(
            patient=env.world.patient,
            area="cheeks",
            scale="gb_qualitative",
            items={"grade": 3},
            occasion=ScoreOccasion.SESSION,
            appointment=env.chart.appointment,
            scored_by=env.world.practitioner,
            now=MONDAY,
        ),
    )
    return "create", score, env.alice


def score_by_patient(env: Env) -> Expected:
    score = env.act(
        env.pat,
        lambda: record_score(
            patient=env.world.patient,
            area="cheeks",
            scale="patient_global_0_10",
            items={"rating": 4},
            occasion=ScoreOccasion.SESSION,
            appointment=env.chart.appointment,
            scored_by=None,
            now=MONDAY + timedelta(days=2),
        ),
    )
    return "create", score, env.pat


def check_in_by_patient(env: Env) -> Expected:
    check_in = env.act(
        env.pat,
        lambda: submit_check_in(
            patient=env.world.patient,
            appointment=env.chart.appointment,
            answers=CheckInAnswers(
                Severity.MODERATE, Severity.MILD, Severity.NONE, pain=4
            ),
            now=SESSION_1_AT + timedelta(days=2),
        ),
    )
    return "create", check_in, env.pat


def photo_upload(env: Env) -> Expected:
    from skinterval.photos.tests.factories import make_photo

    photo = env.act(env.alice, lambda: make_photo(env.world))
    return "create", photo, env.alice


CASES = [
    # Staff reading one record.
    staff_patient_chart,
    staff_plan,
    staff_appointment,
    staff_session_chart,
    staff_check_in,
    staff_intake,
    # The patient's own data in the portal.
    portal_home,
    portal_plan,
    portal_progress,
    # Lists: one event each.
    dashboard_list,
    patient_list,
    calendar_list,
    outcome_report_page,
    # Exports.
    portal_download,
    report_csv,
    # Writes.
    plan_create,
    plan_approve,
    appointment_book,
    appointment_move,
    appointment_cancel,
    appointment_move_by_patient,
    chart_start,
    chart_complete,
    consent_sign,
    consent_sign_in_portal,
    consent_withdraw,
    score_by_practitioner,
    score_by_patient,
    check_in_by_patient,
    photo_upload,
]


def _role(env: Env, user: Any) -> str:
    return {
        env.alice.pk: "practitioner",
        env.bob.pk: "front_desk",
        env.pat.pk: "patient",
    }[user.pk]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_each_read_and_write_leaves_one_event(case, env):
    action, target, actor = case(env)
    if isinstance(target, str):
        object_type, object_id = target, ""
    elif isinstance(target, tuple):
        object_type, object_id = target
    else:
        object_type, object_id = target._meta.label_lower, str(target.pk)
    matching = [
        e
        for e in env.new_events()
        if (e.action, e.object_type, e.object_id) == (action, object_type, object_id)
    ]
    assert len(matching) == 1, [
        (e.action, e.object_type, e.object_id) for e in env.new_events()
    ]
    event = matching[0]
    assert event.actor_user_id == actor.pk
    assert event.actor_role == _role(env, actor)
    assert event.clinic_id == env.world.clinic.pk
    assert event.source_ip == ADDRESS
    assert event.occurred_at.tzinfo is not None
    if action == "view" and not object_id:  # a list: one event, with its size
        assert event.row_count is not None
    elif action != "export":
        assert event.row_count is None


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_no_event_holds_names_or_clinical_values(case, env):
    case(env)
    patient = env.world.patient
    secrets = (
        patient.given_name,
        patient.family_name,
        patient.chart_number,
        patient.full_name,
        env.world.clinic.name,
        env.alice.username,
        env.world.front_desk.display_name,
        NOTES,
        *CLINICAL_VALUES,
    )
    rows = AuditEvent.objects.all()  # the set-up's and the case's
    assert rows.exists()
    for event in rows:
        text = event.canonical_content() + (event.prev_hash or "")
        leaked = [s for s in secrets if s and s.lower() in text.lower()]
        assert not leaked, (event.pk, leaked)


def test_a_record_read_twice_in_one_request_is_one_event(env):
    """The portal's decorator and its view both load Pat's record."""
    env.get(env.pat, reverse("portal:home"))
    views = [e for e in env.new_events() if e.object_type == "patients.patient"]
    assert len(views) == 1


def test_a_refused_read_leaves_no_view_event(env, world_b):
    client = env.as_user(world_b.practitioner.user)
    env.mark()
    response = client.get(
        reverse("patients:detail", args=[env.world.patient.pk]), REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 404
    assert not [e for e in env.new_events() if e.action == "view"]


def test_a_write_that_rolls_back_leaves_no_event(env):
    from django.db import transaction

    class Boom(Exception):
        pass

    def cancel_then_fail() -> None:
        with transaction.atomic():
            cancel_appointment(appointment=env.appointment, reason="", now=MONDAY)
            raise Boom

    before = AuditEvent.objects.count()
    with pytest.raises(Boom):
        cancel_then_fail()
    assert AuditEvent.objects.count() == before


def test_outside_a_request_the_system_is_the_actor(env):
    env.mark()
    cancel_appointment(appointment=env.appointment, reason="", now=MONDAY)
    (event,) = env.new_events()
    assert (event.actor_role, event.actor_user_id, event.source_ip) == (
        "system",
        None,
        None,
    )
    assert event.clinic_id == env.world.clinic.pk


def test_the_api_records_the_bearer_tokens_user(env):
    """The JSON API loads through the same loaders: its actor is the token's login."""
    client = t.make_api_client(env.alice)
    env.mark()
    response = client.get(f"/api/patients/{env.world.patient.pk}", REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    (event,) = [e for e in env.new_events() if e.object_type == "patients.patient"]
    assert (event.action, event.object_id) == ("view", str(env.world.patient.pk))
    assert (event.actor_user_id, event.actor_role) == (env.alice.pk, "practitioner")
    assert event.source_ip == ADDRESS


@pytest.mark.parametrize(
    ("url", "object_type"),
    [
        ("/api/patients/", "patients.patient"),
        ("/api/appointments/", "appointments.appointment"),
    ],
)
def test_an_api_list_is_one_event_with_its_row_count(env, url, object_type):
    """Lists through the API are recorded like the web's lists: one event, with
    how many rows the page held."""
    client = t.make_api_client(env.alice)
    env.mark()
    response = client.get(url, {"limit": 1}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200, response.content[:300]
    shown = len(response.json()["items"])
    assert shown == 1
    (event,) = [e for e in env.new_events() if e.object_type == object_type]
    assert (event.action, event.row_count, event.object_id) == ("view", shown, "")
    assert (event.actor_user_id, event.source_ip) == (env.alice.pk, ADDRESS)


def test_a_patient_registered_through_the_api_is_recorded(env):
    client = t.make_api_client(env.world.front_desk.user)
    env.mark()
    response = client.post(
        "/api/patients/",
        {
            "chart_number": "API-1",
            "given_name": "Nia",
            "family_name": "Okafor",
            "born_on": "1990-04-02",
        },
        content_type="application/json",
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 201, response.content[:300]
    created = [e for e in env.new_events() if e.action == "create"]
    assert [(e.object_type, e.object_id) for e in created] == [
        ("patients.patient", str(response.json()["id"]))
    ]
    assert created[0].actor_role == "front_desk"
