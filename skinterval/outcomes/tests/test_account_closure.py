"""Closing Pat's portal account from her request: every way in ends, the portal's
own data is erased, the health record and the audit log are kept. Only clinic
A's owner (Olivia) may do it; Oscar (owner of clinic B) gets 404, Alice and Bob
403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from skinterval import testing as t
from skinterval.accounts.api_tokens import issue_token, user_for_token
from skinterval.accounts.models import ApiToken
from skinterval.appointments.feeds import create_calendar_feed
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    WaitlistStatus,
)
from skinterval.appointments.waitlist import request_earlier_time
from skinterval.audit.models import AuditAction, AuditEvent
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.models import Consent, SessionChart
from skinterval.charting.services import sign_consent
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.domain.scales import get_scale
from skinterval.outcomes.closure import (
    CANCELLED_REASON,
    ClosureRefused,
    close_account,
)
from skinterval.outcomes.models import AccountClosureRequest, CheckIn, ClosureStatus
from skinterval.outcomes.services import (
    record_score,
    request_account_closure,
    submit_check_in,
)
from skinterval.outcomes.tests.scoring import lowest
from skinterval.photos.models import Photo
from skinterval.photos.tests.factories import make_photo
from skinterval.plans.models import Plan
from skinterval.reminders.links import unsubscribe_token
from skinterval.reminders.models import (
    ContactPreference,
    KindGroup,
    OutboxMessage,
    OutboxStatus,
)
from skinterval.reminders.services import schedule_for_appointment
from skinterval.reminders.tests.conftest import run_worker
from skinterval.testing import PASSWORD

# London is on UTC in winter.
MONDAY = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
SESSION_1_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
WEDNESDAY = datetime(2027, 1, 6, 10, 0, tzinfo=UTC)
SESSION_2_AT = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
REVIEW_AT = datetime(2027, 2, 8, 10, 0, tzinfo=UTC)
PAT_EMAIL = "pat.primary@example.org"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _future(world, starts_at, **fields):
    end = starts_at + timedelta(minutes=45)
    return t.make_appointment(
        world,
        starts_at=starts_at,
        ends_at=end,
        blocked_from_at=starts_at,
        blocked_until_at=end,
        **fields,
    )


@pytest.fixture
def pats_record(world_a, pat, clock):
    """Pat's health record with something of every kind, and everything the
    portal gave her: a login with her name, two future appointments with their
    reminders waiting, a waitlist request, a calendar feed and an API token."""
    patient = world_a.patient
    patient.email = PAT_EMAIL
    patient.phone = "+44 7700 900123"
    patient.save(update_fields=["email", "phone"])
    pat.email = PAT_EMAIL
    pat.first_name, pat.last_name = "Pat", "Primary"
    pat.save()

    plan = t.make_plan(patient, world_a.practitioner, approve=True)
    sign_consent(
        patient=patient,
        kind="microneedling",
        text_version=CURRENT["microneedling"].version,
        signed_name=patient.full_name,
        witnessed_by=world_a.front_desk,
        now=MONDAY,
    )
    chart = t.make_charted_session(
        world_a,
        plan,
        1,
        SESSION_1_AT,
        checked_in_at=SESSION_1_AT,
        completed_at=SESSION_1_AT + timedelta(minutes=45),
    )
    photo = make_photo(world_a)
    clock.move_to(WEDNESDAY)
    now = timezone.now()
    check_in = submit_check_in(
        patient=patient,
        appointment=chart.appointment,
        answers=CheckInAnswers(Severity.MILD, Severity.NONE, Severity.NONE, 1),
        now=now,
    )
    score = record_score(
        patient=patient,
        area="cheeks",
        scale="patient_global_0_10",
        items=lowest(get_scale("patient_global_0_10")),
        occasion="baseline",
        scored_by=None,
        now=now,
    )
    session_2 = _future(
        world_a,
        SESSION_2_AT,
        plan_session=plan.sessions.get(number=2),
        device=world_a.device,
    )
    review = _future(world_a, REVIEW_AT)
    for appointment in (session_2, review):
        schedule_for_appointment(appointment=appointment, now=now)
    waiting = request_earlier_time(appointment=session_2, now=now)
    feed_token = create_calendar_feed(patient=patient, now=now)[1]
    api_token = issue_token(user=pat, name="Pat's phone", now=now)
    request = request_account_closure(patient=patient, reason="Moving abroad.", now=now)
    return SimpleNamespace(
        world=world_a,
        patient=patient,
        login=pat,
        plan=plan,
        chart=chart,
        photo=photo,
        check_in=check_in,
        score=score,
        session_2=session_2,
        review=review,
        waiting=waiting,
        feed_token=feed_token,
        api_token=api_token,
        request=request,
    )


def _fhir(token):
    from django.test import Client

    return Client(headers={"Authorization": f"Bearer {token}"})


def _close_page(record):
    return reverse("outcomes:closure", kwargs={"request_id": record.request.pk})


def _log_in(client, username):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": PASSWORD}
    )


def test_olivia_sees_what_closing_ends_and_what_is_kept(pats_record, olivia, as_user):
    page = as_user(olivia).get(_close_page(pats_record))

    assert page.status_code == 200
    text = page.content.decode()
    assert pats_record.patient.full_name in text
    assert "Moving abroad." in text
    assert "What closing ends" in text
    assert "1 API token revoked." in text
    assert "The private calendar feed is turned off." in text
    assert "1 waitlist request withdrawn." in text
    assert "What is kept" in text
    # Both future appointments are offered for cancelling, none ticked.
    for appointment in (pats_record.session_2, pats_record.review):
        assert f'name="cancel" value="{appointment.pk}"' in text
    assert " checked" not in text
    # Looking changes nothing.
    pats_record.request.refresh_from_db()
    assert pats_record.request.status == ClosureStatus.OPEN


def test_closing_ends_every_way_into_the_portal(pats_record, olivia, as_user, client):
    pat = pats_record.login
    pats_portal = as_user(pat)
    assert pats_portal.get(reverse("portal:home")).status_code == 200
    assert user_for_token(pats_record.api_token) == pat
    everything = reverse(
        "fhir:patient_everything", kwargs={"patient_id": pats_record.patient.pk}
    )
    # A patient's token is known but not allowed the export (403, not 401).
    assert _fhir(pats_record.api_token).get(everything).status_code == 403
    feed_url = reverse("feeds:ics", kwargs={"token": pats_record.feed_token})
    assert client.get(feed_url).status_code == 200

    response = as_user(olivia).post(_close_page(pats_record))

    assert response.status_code == 302
    # Her open session no longer reaches the portal: back to the login page.
    again = pats_portal.get(reverse("portal:home"))
    assert again.status_code == 302
    assert again["Location"].startswith(reverse("accounts:login"))
    # Logging in again is refused with the generic message.
    fresh = type(client)()
    refused = _log_in(fresh, "pat")
    assert refused.status_code == 200
    assert "Please enter a correct username and password" in refused.content.decode()
    assert "_auth_user_id" not in fresh.session
    # Her API token and her calendar feed are refused.
    assert user_for_token(pats_record.api_token) is None
    assert ApiToken.objects.get(user=pat).revoked_at is not None
    assert _fhir(pats_record.api_token).get(everything).status_code == 401
    assert client.get(feed_url).status_code == 404
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()


def test_a_login_that_never_closed_still_works_the_same_way(pats_record, client):
    """The control for the test above: the same login attempt succeeds while
    the account is open."""
    response = _log_in(client, "pat")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == pats_record.login.pk


def test_the_logins_personal_details_are_erased_but_not_the_record(
    pats_record, olivia, as_user
):
    patient = pats_record.patient
    as_user(olivia).post(_close_page(pats_record))

    login = get_user_model().objects.get(pk=pats_record.login.pk)
    assert login.is_active is False
    assert not login.has_usable_password()
    assert login.username.startswith("closed-")
    assert len(login.username) == len("closed-") + 32  # random hex, nothing of hers
    assert not get_user_model().objects.filter(username="pat").exists()
    assert (login.email, login.first_name, login.last_name) == ("", "", "")
    assert login.last_login is None
    # The patient record keeps what the clinic must keep, and its link to the
    # (now anonymous) login, so that her past audit events stay attributable.
    patient.refresh_from_db()
    assert (patient.given_name, patient.family_name) == ("PatientA", "Primary")
    assert patient.email == PAT_EMAIL
    assert patient.phone == "+44 7700 900123"
    assert patient.user_id == login.pk


def test_messages_stop_and_no_new_reminders_are_sent(pats_record, olivia, as_user):
    patient = pats_record.patient
    pending = OutboxMessage.objects.filter(patient=patient, status=OutboxStatus.PENDING)
    assert pending.filter(appointment=pats_record.review).exists()
    mail.outbox.clear()

    as_user(olivia).post(_close_page(pats_record))

    assert not pending.exists()
    assert OutboxMessage.objects.filter(
        patient=patient,
        status=OutboxStatus.CANCELLED,
        note="withdrawn: the portal account was closed",
    ).exists()
    prefs = ContactPreference.objects.filter(patient=patient)
    assert prefs.count() == len(KindGroup) * 2
    assert not prefs.filter(enabled=True).exists()
    # The appointments that stay booked get no new messages, even when they
    # change, and the worker sends nothing when their reminders would be due.
    schedule_for_appointment(appointment=pats_record.review, now=timezone.now())
    assert not pending.exists()
    run_worker(REVIEW_AT - timedelta(hours=24))
    assert mail.outbox == []


def test_a_link_in_an_old_message_cannot_start_messages_again(
    pats_record, olivia, as_user, client
):
    message = OutboxMessage.objects.filter(
        patient=pats_record.patient, appointment=pats_record.review
    ).first()
    assert message is not None
    token = unsubscribe_token(message.pk)
    path = reverse("reminders:unsubscribe", kwargs={"token": token})
    as_user(olivia).post(_close_page(pats_record))

    page = client.post(path, {"action": "resubscribe"})

    assert page.status_code == 200
    assert "Your account with" in page.content.decode()
    assert not ContactPreference.objects.filter(
        patient=pats_record.patient, enabled=True
    ).exists()
    # Stopping from the link keeps the closure's choice too.
    client.post(path, {"action": "unsubscribe"})
    client.post(path, {"action": "resubscribe"})
    assert not ContactPreference.objects.filter(
        patient=pats_record.patient, enabled=True
    ).exists()


def test_the_waitlist_request_is_withdrawn_and_appointments_stay_booked(
    pats_record, olivia, as_user
):
    as_user(olivia).post(_close_page(pats_record))

    pats_record.waiting.refresh_from_db()
    assert pats_record.waiting.status == WaitlistStatus.WITHDRAWN
    # Not ticked: the clinic decided to keep them.
    for appointment in (pats_record.session_2, pats_record.review):
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED


def test_a_ticked_appointment_is_cancelled_through_the_normal_path(
    pats_record, olivia, as_user
):
    as_user(olivia).post(_close_page(pats_record), {"cancel": [pats_record.review.pk]})

    pats_record.review.refresh_from_db()
    pats_record.session_2.refresh_from_db()
    assert pats_record.review.status == AppointmentStatus.CANCELLED
    assert pats_record.review.cancellation_reason == CANCELLED_REASON
    assert pats_record.review.sequence == 1  # the normal cancellation's revision
    assert pats_record.session_2.status == AppointmentStatus.BOOKED


def test_an_appointment_that_is_no_longer_offered_is_refused_and_nothing_changes(
    pats_record, world_b, olivia, as_user
):
    others = t.make_appointment(world_b)

    response = as_user(olivia).post(_close_page(pats_record), {"cancel": [others.pk]})

    assert response.status_code == 422
    assert "check them again" in response.content.decode()
    pats_record.request.refresh_from_db()
    assert pats_record.request.status == ClosureStatus.OPEN
    assert get_user_model().objects.get(pk=pats_record.login.pk).is_active


def test_the_health_record_and_the_audit_log_are_kept(
    pats_record, olivia, alice, as_user
):
    patient = pats_record.patient
    kept = {
        "plans": Plan.objects.filter(patient=patient).count(),
        "charts": SessionChart.objects.filter(patient=patient).count(),
        "consents": Consent.objects.filter(patient=patient).count(),
        "check-ins": CheckIn.objects.filter(patient=patient).count(),
        "photos": Photo.objects.filter(patient=patient).count(),
        "appointments": Appointment.objects.filter(patient=patient).count(),
        "scores": patient.scores.count(),
    }
    assert all(kept.values()), kept
    events_before = list(AuditEvent.objects.values_list("pk", flat=True))

    as_user(olivia).post(_close_page(pats_record))

    assert {
        "plans": Plan.objects.filter(patient=patient).count(),
        "charts": SessionChart.objects.filter(patient=patient).count(),
        "consents": Consent.objects.filter(patient=patient).count(),
        "check-ins": CheckIn.objects.filter(patient=patient).count(),
        "photos": Photo.objects.filter(patient=patient).count(),
        "appointments": Appointment.objects.filter(patient=patient).count(),
        "scores": patient.scores.count(),
    } == kept
    assert set(events_before) <= set(AuditEvent.objects.values_list("pk", flat=True))
    # Staff still open her chart and her session record.
    staff = as_user(alice)
    chart_page = staff.get(
        reverse("patients:detail", kwargs={"patient_id": patient.pk})
    )
    assert chart_page.status_code == 200
    assert patient.chart_number in chart_page.content.decode()
    session_page = staff.get(
        reverse(
            "charting:chart",
            kwargs={"appointment_id": pats_record.chart.appointment_id},
        )
    )
    assert session_page.status_code == 200


def test_the_request_is_marked_handled_and_the_audit_log_has_the_closure(
    pats_record, world_a, olivia, as_user
):
    as_user(olivia).post(_close_page(pats_record))

    request = AccountClosureRequest.objects.get(pk=pats_record.request.pk)
    assert request.status == ClosureStatus.DONE
    assert request.handled_by == world_a.owner
    assert request.handled_at == timezone.now()
    closure_events = AuditEvent.objects.filter(
        object_type="outcomes.accountclosurerequest",
        object_id=str(request.pk),
        action=AuditAction.UPDATE,
    )
    assert closure_events.count() == 1
    event = closure_events.get()
    assert (event.actor_user_id, event.actor_role) == (olivia.pk, "owner")
    assert event.clinic_id == world_a.clinic.pk
    assert AuditEvent.objects.filter(
        object_type="accounts.user",
        object_id=str(pats_record.login.pk),
        action=AuditAction.UPDATE,
        actor_user_id=olivia.pk,
    ).exists()
    # Ids only: no name, email or reason in any row.
    for row in AuditEvent.objects.values_list():
        text = " ".join(str(value) for value in row)
        for detail in (PAT_EMAIL, "Primary", "Moving abroad"):
            assert detail not in text, (detail, row)
    # The page then says it is done.
    page = as_user(olivia).get(_close_page(pats_record)).content.decode()
    assert "Closed on" in page


def test_closing_twice_is_harmless(pats_record, world_a, olivia, as_user):
    owner = as_user(olivia)
    owner.post(_close_page(pats_record))
    request = AccountClosureRequest.objects.get(pk=pats_record.request.pk)
    handled_at = request.handled_at
    changes = AuditEvent.objects.exclude(action=AuditAction.VIEW)
    changes_before = changes.count()
    login_before = get_user_model().objects.get(pk=pats_record.login.pk)

    again = owner.post(_close_page(pats_record), follow=True)
    outcome = close_account(
        closure_request=request,
        by=world_a.owner,
        now=timezone.now() + timedelta(days=1),
    )

    assert again.status_code == 200
    assert "This account was already closed." in again.content.decode()
    assert outcome.already_closed
    request.refresh_from_db()
    assert request.handled_at == handled_at
    assert changes.count() == changes_before
    login = get_user_model().objects.get(pk=pats_record.login.pk)
    assert login.username == login_before.username


def test_the_owner_of_another_clinic_gets_404_and_nothing_changes(
    pats_record, oscar, as_user
):
    owner_b = as_user(oscar)
    assert owner_b.get(_close_page(pats_record)).status_code == 404
    assert owner_b.post(_close_page(pats_record)).status_code == 404
    listing = owner_b.get(reverse("outcomes:closures"))
    assert listing.status_code == 200
    assert pats_record.patient.full_name not in listing.content.decode()

    pats_record.request.refresh_from_db()
    assert pats_record.request.status == ClosureStatus.OPEN
    assert get_user_model().objects.get(pk=pats_record.login.pk).is_active
    assert user_for_token(pats_record.api_token) is not None


@pytest.mark.parametrize("persona", ["practitioner", "front_desk"])
def test_a_practitioner_or_the_front_desk_cannot_close(
    pats_record, world_a, persona, as_user
):
    member = getattr(world_a, persona)
    browser = as_user(member.user)
    assert browser.get(_close_page(pats_record)).status_code == 403
    assert browser.post(_close_page(pats_record)).status_code == 403
    assert browser.get(reverse("outcomes:closures")).status_code == 403
    with pytest.raises(PermissionDenied):
        close_account(
            closure_request=pats_record.request, by=member, now=timezone.now()
        )

    pats_record.request.refresh_from_db()
    assert pats_record.request.status == ClosureStatus.OPEN
    assert get_user_model().objects.get(pk=pats_record.login.pk).is_active


def test_the_service_refuses_another_clinics_owner(pats_record, world_b):
    with pytest.raises(PermissionDenied):
        close_account(
            closure_request=pats_record.request, by=world_b.owner, now=timezone.now()
        )
    assert get_user_model().objects.get(pk=pats_record.login.pk).is_active


def test_the_owner_lists_her_clinics_open_requests(
    pats_record, world_b, olivia, as_user
):
    request_account_closure(patient=world_b.patient, reason="", now=timezone.now())

    page = as_user(olivia).get(reverse("outcomes:closures"))

    text = page.content.decode()
    assert page.status_code == 200
    assert pats_record.patient.full_name in text
    assert _close_page(pats_record) in text
    assert world_b.patient.full_name not in text
    overview = as_user(olivia).get(reverse("clinics:overview")).content.decode()
    assert "1 patient asked for their portal account to be closed." in overview


def test_a_staff_login_is_not_closed_as_a_patients(world_a, clock):
    """A login that is also a staff login is left to the administration."""
    world_a.patient.user = world_a.front_desk.user
    world_a.patient.save(update_fields=["user"])
    request = request_account_closure(
        patient=world_a.patient, reason="", now=timezone.now()
    )

    with pytest.raises(ClosureRefused):
        close_account(closure_request=request, by=world_a.owner, now=timezone.now())

    request.refresh_from_db()
    assert request.status == ClosureStatus.OPEN
    assert get_user_model().objects.get(pk=world_a.front_desk.user_id).is_active


def test_the_admin_shows_requests_but_closes_only_through_the_page(
    pats_record, olivia, as_user
):
    owner = as_user(olivia)
    change = reverse(
        "admin:outcomes_accountclosurerequest_change", args=[pats_record.request.pk]
    )
    listing = owner.get(reverse("admin:outcomes_accountclosurerequest_changelist"))
    assert listing.status_code == 200
    assert _close_page(pats_record) in listing.content.decode()
    # No status to set by hand: the change page only shows.
    page = owner.get(change)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    owner.post(change, {"status": ClosureStatus.DONE})
    pats_record.request.refresh_from_db()
    assert pats_record.request.status == ClosureStatus.OPEN
