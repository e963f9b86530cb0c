"""Every view that takes a form, with what it needs to be reached: who posts,
the page that shows the form, and the pages that show what it stores.

`POST_VIEWS` names every URL pattern that accepts a POST (and a few GET search
forms); `GET_ONLY` names the rest. `test_every_form_view_is_listed` fails when a
new URL pattern is in neither, so no form ships without these tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.urls import reverse

from config.tests.bad_input.html_forms import Form
from config.tests.test_access_matrix import (
    _approved_plan,
    _booking_slug,
    _check_in,
    _completed_session,
    _optimizer_run,
    _session_appointment,
    _unsubscribe_token,
    _waitlist_offer_token,
)
from skinterval import testing as t

# Monday 4 January 2027, 06:00 in London (UTC in winter): the plans made by the
# factories start that day, and the clinic opens at 09:00.
MONDAY = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
TUESDAY_9 = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)

Shows = Callable[[], list[tuple[str, str]]]


@dataclass
class Target:
    """One form to fuzz.

    `page` is where the form is shown (None when there is no HTML form: a
    script's request or a bare button), `action` where it posts, `pick` which of
    the page's forms it is. `fill` holds what a person would type to make the
    form valid. `stored` names typed fields whose value, once accepted, must be
    shown (escaped) on the page the user lands on or on one of `shows`.
    """

    action: str
    page: str | None = None
    method: str = "post"
    fields: dict[str, Any] | None = None
    pick: Callable[[Form], bool] | None = None
    fill: dict[str, Any] = field(default_factory=dict)
    stored: frozenset[str] = frozenset()
    shows: Shows = lambda: []
    prepare: Callable[[Any], None] | None = None
    tick: bool = True  # tick every checkbox of the form (False: as the page has them)
    files: dict[str, Callable[[], Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    persona: str  # anonymous, alice, bob, olivia or pat
    build: Callable[[Any], Target]


def _has(*names: str) -> Callable[[Form], bool]:
    return lambda form: all(name in form.names() for name in names)


def _posts_to(action: str) -> Callable[[Form], bool]:
    return lambda form: form.action == action


def _world_bookable(world: Any) -> Any:
    """Clinic A working every weekday, with a micro-needling service."""
    from skinterval.appointments.models import ServiceKind, ServiceType
    from skinterval.clinics.models import QualificationKind

    for weekday in range(1, 5):
        t.make_working_interval(world.practitioner, world.location, weekday=weekday)
    ServiceType.objects.get_or_create(
        clinic=world.clinic,
        kind=ServiceKind.MICRONEEDLING,
        defaults={
            "name": "Micro-needling",
            "duration_min": 60,
            "needs_room": True,
            "needs_device": True,
            "required_qualification": QualificationKind.MICRONEEDLING,
        },
    )
    return world


def _next_week(world: Any, **fields: Any) -> Any:
    """A booked consultation a week ahead (changeable: outside any notice)."""
    starts = TUESDAY_9 + timedelta(days=7)
    return t.make_appointment(
        world,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=30),
        **fields,
    )


def _sign(world: Any, kind: str) -> Any:
    from skinterval.charting.consent_texts import CURRENT
    from skinterval.charting.services import sign_consent

    return sign_consent(
        patient=world.patient,
        kind=kind,
        text_version=CURRENT[kind].version,
        signed_name=world.patient.full_name,
        photo_scope="record" if kind == "photos" else "",
        witnessed_by=world.front_desk,
        now=MONDAY,
    )


# ------------------------------------------------------------------ staff


def _login(world: Any) -> Target:
    url = reverse("accounts:login")
    return Target(action=url, page=url, fill={"username": "alice"})


def _second_factor(name: str) -> Callable[[Any], Target]:
    """The two-factor pages, reached as a person does: the password first."""

    def build(world: Any) -> Target:
        from skinterval.clinics.models import StaffRole

        # A practitioner with no authenticator yet (set-up) or with one (verify).
        member = t.make_staff(world.clinic, StaffRole.PRACTITIONER, username="dana")
        if name == "otp_verify":
            t.totp_device_for(member.user)
        url = reverse(f"accounts:{name}")

        def prepare(client: Any) -> None:
            login = {"username": "dana", "password": t.PASSWORD}
            response = client.post(reverse("accounts:login"), login)
            assert response.status_code == 302, "the right password must be taken"

        return Target(action=url, page=url, prepare=prepare, pick=_has("code"), fill={})

    return build


def _logout(world: Any) -> Target:
    url = reverse("accounts:logout")
    return Target(action=url, page=reverse("clinics:overview"), pick=_posts_to(url))


def _patient_search(world: Any) -> Target:
    url = reverse("patients:list")
    return Target(action=url, page=url, pick=_has("q"))


def _new_plan(world: Any) -> Target:
    url = reverse("plans:new", args=[world.patient.pk])
    # As the page comes (nothing ticked): a plan that schedules sessions.
    return Target(action=url, page=url, tick=False)


def _approve(world: Any) -> Target:
    plan = t.make_plan(world.patient, world.practitioner)
    url = reverse("plans:approve", args=[plan.pk])
    return Target(
        action=url,
        page=reverse("plans:detail", args=[plan.pk]),
        pick=_posts_to(url),
    )


def _override(world: Any) -> Target:
    plan = t.make_plan(world.patient, world.practitioner)
    url = reverse("plans:override", args=[plan.pk])
    return Target(
        action=url,
        page=reverse("plans:detail", args=[plan.pk]),
        pick=_posts_to(url),
        fill={"reason": "Tolerated well before"},
        stored=frozenset({"reason"}),
    )


def _replan_proposal(world: Any) -> Any:
    """A real proposal: PIH at session 1, so lower the depth and wait longer."""
    from skinterval.plans.replanning import on_score_recorded
    from skinterval.plans.tests.replan_world import (
        FIRST_ON,
        grade,
        session,
        treated_plan,
    )

    plan = treated_plan(world)
    visit = session(world, plan, 1, FIRST_ON, reaction="pih")
    return on_score_recorded(grade(world, visit, 3))


def _replan(name: str) -> Callable[[Any], Target]:
    def build(world: Any) -> Target:
        proposal = _replan_proposal(world)
        url = reverse(f"plans:{name}", args=[proposal.pk])
        page = reverse("plans:replan_proposal", args=[proposal.pk])
        return Target(
            action=url,
            page=page,
            pick=_posts_to(url),
            stored=frozenset({f"proposal-{proposal.pk}-reason"}),
            shows=lambda: [("alice", page)],
        )

    return build


def _book_series(world: Any) -> Target:
    plan = _approved_plan(_world_bookable(world))
    url = reverse("appointments:book_series", args=[plan.pk])
    return Target(action=url, page=url, pick=_has("start", "practitioner"))


def _move_form(world: Any) -> Target:
    appointment = t.make_appointment(world)
    url = reverse("appointments:detail", args=[appointment.pk])
    return Target(
        action=url,
        page=url,
        pick=_has("on", "at"),
        fill={"move": "1", "override_reason": "Patient asked"},
        stored=frozenset({"override_reason"}),
    )


def _move_pick(world: Any) -> Target:
    world = _world_bookable(world)
    plan = _approved_plan(world)
    appointment = t.make_appointment(
        world, plan_session=plan.sessions.get(number=1), device=world.device
    )
    url = reverse("appointments:detail", args=[appointment.pk])
    return Target(action=url, page=url, pick=_has("pick"))


def _calendar_move(world: Any) -> Target:
    appointment = t.make_appointment(world)
    return Target(
        action=reverse("calendar:move"),
        fields={
            "appointment": str(appointment.pk),
            "days": "1",
            "minutes": "30",
            "override_reason": "Patient asked",
        },
    )


def _optimize(world: Any) -> Target:
    url = reverse("calendar:optimize")
    return Target(action=url, page=url)


def _optimizer_apply(world: Any) -> Target:
    run = _optimizer_run(world)
    url = reverse("calendar:optimizer_apply", args=[run.pk])
    return Target(action=url, fields={})


def _staff_sign(world: Any) -> Target:
    url = reverse("charting:sign", args=[world.patient.pk, "photos"])
    return Target(
        action=url,
        page=url,
        fill={"signed_name": world.patient.full_name},
    )


def _withdraw(world: Any) -> Target:
    consent = _sign(world, "photos")
    url = reverse("charting:withdraw", args=[consent.pk])
    page = reverse("charting:consents", args=[world.patient.pk])
    return Target(
        action=url,
        page=page,
        pick=_posts_to(url),
        stored=frozenset({"reason"}),
        shows=lambda: [("bob", page)],
    )


def _screening(world: Any) -> Target:
    appointment = _session_appointment(world)
    url = reverse("charting:chart", args=[appointment.pk])
    return Target(
        action=url,
        page=url,
        fill={"check_in_notes": "Slept well"},
        stored=frozenset({"check_in_notes"}),
    )


def _chart_areas(world: Any) -> Target:
    from django.utils import timezone

    from skinterval.charting.services import start_session

    appointment = _session_appointment(world)
    appointment.device = world.device
    appointment.save(update_fields=["device"])
    start_session(
        appointment=appointment,
        practitioner=world.practitioner,
        answers=dict(t.NO_NEWS),
        notes="",
        now=timezone.now(),
    )
    url = reverse("charting:chart", args=[appointment.pk])
    return Target(
        action=url,
        page=url,
        fill={
            "areas-0-depth_mm": "0.5",
            "areas-0-passes": "2",
            "areas-0-cartridge_lot": "LOT-7",
            "notes": "Even endpoint",
            "adjuncts": "",
        },
        stored=frozenset({"notes", "adjuncts", "areas-0-cartridge_lot"}),
        shows=lambda: [("alice", url)],
    )


def _check_in_action(name: str, **fill: Any) -> Callable[[Any], Target]:
    def build(world: Any) -> Target:
        check_in = _check_in(world)
        page = reverse("outcomes:check_in", args=[check_in.pk])
        if name == "release":
            from django.utils import timezone

            from skinterval.outcomes.services import hold_next_session

            hold = hold_next_session(
                check_in=check_in,
                held_by=world.practitioner,
                reason="",
                now=timezone.now(),
            )
            url = reverse("outcomes:release", args=[hold.pk])
        else:
            url = reverse(f"outcomes:{name}", args=[check_in.pk])
        return Target(
            action=url,
            page=page,
            pick=_posts_to(url),
            fill=fill,
            stored=frozenset(fill),
            shows=lambda: [("alice", page)],
        )

    return build


def _closure(world: Any) -> Target:
    from skinterval.outcomes.services import request_account_closure

    world.patient.user = t.make_user("pam")
    world.patient.save(update_fields=["user"])
    _next_week(world)
    closure = request_account_closure(
        patient=world.patient, reason="Moving away", now=MONDAY
    )
    url = reverse("outcomes:closure", args=[closure.pk])
    return Target(action=url, page=url)


def _record_baseline(world: Any) -> Target:
    _approved_plan(world)
    url = reverse("outcomes:record_baseline", args=[world.patient.pk])
    return Target(action=url, page=f"{url}?scale=gb_qualitative", pick=_has("scale"))


def _record_at_visit(world: Any) -> Target:
    appointment = _completed_session(world)
    url = reverse("outcomes:record_at_visit", args=[appointment.pk])
    return Target(action=url, page=f"{url}?scale=posas2_observer", pick=_has("scale"))


def _staff_waitlist(world: Any) -> Target:
    appointment = _next_week(world)
    url = reverse("waitlist:staff_request", args=[appointment.pk])
    return Target(action=url, fields={})


def _photo_upload(world: Any) -> Target:
    from skinterval.photos.tests.factories import image_bytes, upload_file

    _sign(world, "photos")
    url = reverse("photos:upload", args=[world.patient.pk])
    return Target(
        action=url,
        page=url,
        fill={"taken_on": "2027-01-04"},
        files={"image": lambda: upload_file(image_bytes())},
    )


def _audit_search(world: Any) -> Target:
    url = reverse("audit:search")
    return Target(action=url, page=url, method="get", pick=_has("from_on"))


# ------------------------------------------------------------------ patients


def _portal_book(world: Any) -> Target:
    plan = _approved_plan(_world_bookable(world))
    url = reverse("portal:book", args=[plan.sessions.get(number=1).number])
    return Target(action=url, page=url, pick=_has("choice"))


def _portal_day(world: Any) -> Target:
    plan = _approved_plan(_world_bookable(world))
    url = reverse("portal:book", args=[plan.sessions.get(number=1).number])
    return Target(action=url, page=url, method="get", pick=_has("on"))


def _portal_move(world: Any) -> Target:
    world = _world_bookable(world)
    plan = _approved_plan(world)
    appointment = t.make_appointment(world, plan_session=plan.sessions.get(number=1))
    url = reverse("portal:move", args=[appointment.pk])
    return Target(action=url, page=url, pick=_has("choice"))


def _portal_cancel(world: Any) -> Target:
    appointment = _next_week(world)
    url = reverse("portal:cancel", args=[appointment.pk])
    return Target(action=url, page=url, pick=_posts_to(""))


def _portal_check_in(world: Any) -> Target:
    from skinterval.outcomes.models import CheckIn

    appointment = _completed_session(world)
    url = reverse("portal:check_in", args=[appointment.pk])

    def shows() -> list[tuple[str, str]]:
        latest = CheckIn.objects.order_by("-pk").first()
        if latest is None:
            return []
        return [("alice", reverse("outcomes:check_in", args=[latest.pk]))]

    return Target(
        action=url,
        page=url,
        fill={"unexpected": "A small blister"},
        stored=frozenset({"unexpected"}),
        shows=shows,
    )


def _rate_scars(world: Any) -> Target:
    _approved_plan(world)
    url = reverse("portal:rate_scars")
    return Target(action=url, page=url, pick=_has("scale"))


def _portal_sign(world: Any) -> Target:
    url = reverse("portal:sign", args=["photos"])
    return Target(
        action=url,
        page=url,
        fill={"signed_name": world.patient.full_name},
    )


def _portal_messages(world: Any) -> Target:
    world.patient.email = "pat@example.com"
    world.patient.save(update_fields=["email"])
    url = reverse("portal:messages")
    return Target(action=url, page=url)


def _portal_close(world: Any) -> Target:
    url = reverse("portal:close")
    return Target(
        action=url,
        page=reverse("portal:data"),
        pick=_posts_to(url),
        fill={"reason": "Moving away"},
    )


def _portal_waitlist(name: str) -> Callable[[Any], Target]:
    def build(world: Any) -> Target:
        from django.utils import timezone

        from skinterval.appointments.models import WaitlistOffer, WaitlistRequest

        appointment = _next_week(world)
        if name == "request":
            key = appointment.pk
        else:
            request = WaitlistRequest.objects.create(
                clinic=world.clinic,
                patient=world.patient,
                appointment=appointment,
                created_at=timezone.now(),
            )
            key = request.pk
            if name == "accept":
                freed = t.make_appointment(
                    world, patient=world.other_patient, status="cancelled", room=None
                )
                key = WaitlistOffer.objects.create(
                    clinic=world.clinic,
                    request=request,
                    freed_appointment=freed,
                    starts_at=freed.starts_at,
                    practitioner=world.practitioner,
                    offered_at=timezone.now(),
                    expires_at=timezone.now() + timedelta(hours=2),
                ).pk
        return Target(action=reverse(f"waitlist:{name}", args=[key]), fields={})

    return build


def _feed(name: str) -> Callable[[Any], Target]:
    def build(world: Any) -> Target:
        return Target(action=reverse(f"feeds:{name}"), fields={})

    return build


# ------------------------------------------------------------------ public


def _unsubscribe(world: Any) -> Target:
    url = reverse("reminders:unsubscribe", args=[_unsubscribe_token(world)])
    return Target(action=url, page=url, pick=_has("action"))


def _offer(world: Any) -> Target:
    url = reverse("waitlist:offer", args=[_waitlist_offer_token(world)])
    return Target(action=url, page=url)


def _public_world(world: Any) -> Any:
    from skinterval.appointments.models import ServiceKind, ServiceType

    _booking_slug(world)
    for weekday in range(1, 5):
        t.make_working_interval(world.practitioner, world.location, weekday=weekday)
    world.consultation = ServiceType.objects.create(
        clinic=world.clinic,
        kind=ServiceKind.CONSULTATION,
        name="First consultation",
        duration_min=30,
    )
    return world


def _pick_tuesday(world: Any) -> Callable[[Any], None]:
    def prepare(client: Any) -> None:
        response = client.post(
            reverse("booking:start", args=[world.clinic.slug]),
            {
                "service": world.consultation.pk,
                "location": world.location.pk,
                "practitioner": "any",
                "start": TUESDAY_9.isoformat(),
            },
        )
        assert response.status_code == 302, "the valid pick must be taken"

    return prepare


CONTACT = {
    "given_name": "Nora",
    "family_name": "Newcomer",
    "born_on": "1991-02-03",
    "email": "nora@example.com",
    "phone": "+44 20 7946 0000",
}


def _booking_pick(world: Any) -> Target:
    world = _public_world(world)
    url = reverse("booking:start", args=[world.clinic.slug])
    return Target(action=url, page=url, pick=_has("service", "practitioner"))


def _booking_search(world: Any) -> Target:
    world = _public_world(world)
    url = reverse("booking:start", args=[world.clinic.slug])
    return Target(
        action=url,
        page=url,
        method="get",
        pick=_has("service", "location"),
        fill={"week": "2027-01-04"},
    )


def _booking_details(world: Any) -> Target:
    from skinterval.patients.models import Patient

    world = _public_world(world)
    url = reverse("booking:details", args=[world.clinic.slug])

    def shows() -> list[tuple[str, str]]:
        newest = Patient.objects.filter(clinic=world.clinic).order_by("-created_at")
        pages = [("bob", reverse("patients:list"))]
        if newest:
            pages.append(("bob", reverse("patients:detail", args=[newest[0].pk])))
        return pages

    return Target(
        action=url,
        page=url,
        prepare=_pick_tuesday(world),
        fill=CONTACT,
        stored=frozenset({"given_name", "family_name"}),
        shows=shows,
    )


def _booking_questions(world: Any) -> Target:
    world = _public_world(world)
    url = reverse("booking:questions", args=[world.clinic.slug])
    pick = _pick_tuesday(world)

    def prepare(client: Any) -> None:
        pick(client)
        details = reverse("booking:details", args=[world.clinic.slug])
        response = client.post(details, {**CONTACT, "agree": "on"})
        assert response.status_code == 302, "valid contact details must be taken"

    return Target(action=url, page=url, prepare=prepare)


# URL name (or name/variant) -> who posts, and how to reach the form.
POST_VIEWS: dict[str, Scenario] = {
    "accounts:login": Scenario("anonymous", _login),
    "accounts:logout": Scenario("alice", _logout),
    "accounts:otp_verify": Scenario("anonymous", _second_factor("otp_verify")),
    "accounts:otp_setup": Scenario("anonymous", _second_factor("otp_setup")),
    "patients:list": Scenario("bob", _patient_search),
    "plans:new": Scenario("alice", _new_plan),
    "plans:approve": Scenario("alice", _approve),
    "plans:override": Scenario("alice", _override),
    "plans:replan_accept": Scenario("alice", _replan("replan_accept")),
    "plans:replan_decline": Scenario("alice", _replan("replan_decline")),
    "appointments:book_series": Scenario("bob", _book_series),
    "appointments:detail": Scenario("bob", _move_form),
    "appointments:detail/pick": Scenario("bob", _move_pick),
    "calendar:move": Scenario("bob", _calendar_move),
    "calendar:optimize": Scenario("bob", _optimize),
    "calendar:optimizer_apply": Scenario("bob", _optimizer_apply),
    "charting:sign": Scenario("bob", _staff_sign),
    "charting:withdraw": Scenario("bob", _withdraw),
    "charting:chart": Scenario("alice", _screening),
    "charting:chart/areas": Scenario("alice", _chart_areas),
    "outcomes:review": Scenario("alice", _check_in_action("review")),
    "outcomes:hold": Scenario("alice", _check_in_action("hold", reason="Blistering")),
    "outcomes:release": Scenario("alice", _check_in_action("release")),
    "outcomes:closure": Scenario("olivia", _closure),
    "outcomes:record_baseline": Scenario("alice", _record_baseline),
    "outcomes:record_at_visit": Scenario("alice", _record_at_visit),
    "waitlist:staff_request": Scenario("bob", _staff_waitlist),
    "photos:upload": Scenario("alice", _photo_upload),
    "audit:search": Scenario("olivia", _audit_search),
    "portal:book": Scenario("pat", _portal_book),
    "portal:book/day": Scenario("pat", _portal_day),
    "portal:move": Scenario("pat", _portal_move),
    "portal:cancel": Scenario("pat", _portal_cancel),
    "portal:check_in": Scenario("pat", _portal_check_in),
    "portal:rate_scars": Scenario("pat", _rate_scars),
    "portal:sign": Scenario("pat", _portal_sign),
    "portal:messages": Scenario("pat", _portal_messages),
    "portal:close": Scenario("pat", _portal_close),
    "waitlist:request": Scenario("pat", _portal_waitlist("request")),
    "waitlist:withdraw": Scenario("pat", _portal_waitlist("withdraw")),
    "waitlist:accept": Scenario("pat", _portal_waitlist("accept")),
    "feeds:create": Scenario("pat", _feed("create")),
    "feeds:revoke": Scenario("pat", _feed("revoke")),
    "reminders:unsubscribe": Scenario("anonymous", _unsubscribe),
    "waitlist:offer": Scenario("anonymous", _offer),
    "booking:start": Scenario("anonymous", _booking_pick),
    "booking:start/search": Scenario("anonymous", _booking_search),
    "booking:details": Scenario("anonymous", _booking_details),
    "booking:questions": Scenario("anonymous", _booking_questions),
}

# Pages that take no form (their query strings, if any, are covered by the
# access matrix and their own tests).
GET_ONLY = frozenset(
    {
        "home",
        "clinics:overview",
        "clinics:dashboard",
        "patients:detail",
        "plans:detail",
        "plans:replan_proposal",
        "calendar:page",
        "calendar:events",
        "calendar:optimizer_run",
        "charting:consents",
        "portal:home",
        "portal:plan",
        "portal:appointments",
        "portal:aftercare",
        "portal:check_ins",
        "portal:progress",
        "portal:consents",
        "portal:data",
        "portal:download",
        "outcomes:check_in",
        "outcomes:patient_scores",
        "outcomes:closures",
        "reports:outcomes",
        "reports:outcomes_csv",
        "booking:done",
        "intake:detail",
        "feeds:ics",
        "photos:patient",
        "photos:mine",
        "photos:image",
        "fhir:metadata",
        "fhir:patient_everything",
    }
)
