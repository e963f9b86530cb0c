"""Pat's check-in after session 1: answers that suggest a problem reach Alice's
dashboard (not Charlie's); Alice reviews it and can hold session 2."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.outcomes.models import CheckIn, SessionHold

from .conftest import choice_at

SEVERE_REDNESS = {
    "redness": "3",
    "swelling": "1",
    "itching": "0",
    "pain": "4",
    "unexpected": "",
}
CALM = {"redness": "1", "swelling": "0", "itching": "0", "pain": "2", "unexpected": ""}


def file_check_in(client, appointment, answers):
    return client.post(reverse("portal:check_in", args=[appointment.pk]), answers)


def test_a_severe_answer_alerts_alices_dashboard_and_not_charlies(
    session_1_done, world_a, world_b, pat, alice, charlie, as_user
):
    pats = as_user(pat)
    response = file_check_in(pats, session_1_done, SEVERE_REDNESS)
    assert response.status_code == 302

    check_in = CheckIn.objects.get()
    assert check_in.patient == world_a.patient
    assert check_in.day_after == 2
    assert check_in.needs_attention
    assert check_in.attention_reasons == ["severe_redness"]
    alices = as_user(alice).get(reverse("clinics:dashboard")).content.decode()
    assert "Patients' check-ins to review" in alices
    assert reverse("outcomes:check_in", args=[check_in.pk]) in alices
    assert world_a.patient.full_name in alices
    assert "Severe redness" in alices
    charlies = as_user(charlie).get(reverse("clinics:dashboard")).content.decode()
    assert reverse("outcomes:check_in", args=[check_in.pk]) not in charlies
    assert world_a.patient.full_name not in charlies
    # Pat is told it was flagged, and what to do if worried.
    page = pats.get(reverse("portal:check_ins")).content.decode()
    assert "marked for a practitioner to look at" in page
    assert "Waiting for a practitioner" in page


def test_a_calm_check_in_is_recorded_without_an_alert(
    session_1_done, pat, alice, as_user
):
    file_check_in(as_user(pat), session_1_done, CALM)
    check_in = CheckIn.objects.get()
    assert not check_in.needs_attention
    alices = as_user(alice).get(reverse("clinics:dashboard")).content.decode()
    assert reverse("outcomes:check_in", args=[check_in.pk]) not in alices


def test_unanswered_questions_are_refused_next_to_them_keeping_the_text(
    session_1_done, pat, as_user
):
    response = file_check_in(
        as_user(pat), session_1_done, {"redness": "1", "unexpected": "a small blister"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert body.count("Choose one.") == 2  # swelling and itching
    assert "Choose a number from 0 to 10." in body
    assert "a small blister" in body
    assert 'value="1" id="id_redness_1" required checked' in body
    assert not CheckIn.objects.exists()


def test_a_session_still_to_come_has_no_check_in(plan, bookable, pat, as_user):
    from skinterval import testing as t

    upcoming = t.make_appointment(bookable, plan_session=plan.sessions.get(number=1))
    response = file_check_in(as_user(pat), upcoming, CALM)
    assert response.status_code == 404
    assert not CheckIn.objects.exists()


@pytest.fixture
def alert(session_1_done, pat, as_user):
    file_check_in(as_user(pat), session_1_done, SEVERE_REDNESS)
    return CheckIn.objects.get()


def test_alice_marks_it_reviewed_and_it_leaves_the_dashboard(
    alert, world_a, alice, as_user
):
    client = as_user(alice)
    page = client.get(reverse("outcomes:check_in", args=[alert.pk]))
    assert page.status_code == 200
    assert "Severe redness" in page.content.decode()
    assert "clinic policy, not evidence" in page.content.decode()

    client.post(reverse("outcomes:review", args=[alert.pk]))

    alert.refresh_from_db()
    assert alert.reviewed_by == world_a.practitioner
    assert alert.reviewed_at is not None
    dashboard = client.get(reverse("clinics:dashboard")).content.decode()
    assert reverse("outcomes:check_in", args=[alert.pk]) not in dashboard


def test_front_desk_reads_it_but_only_practitioners_act(alert, bob, as_user):
    client = as_user(bob)
    assert client.get(reverse("outcomes:check_in", args=[alert.pk])).status_code == 200
    assert client.post(reverse("outcomes:review", args=[alert.pk])).status_code == 403
    assert client.post(reverse("outcomes:hold", args=[alert.pk])).status_code == 403
    alert.refresh_from_db()
    assert alert.reviewed_at is None
    assert not SessionHold.objects.exists()


def test_another_clinic_cannot_see_or_act_on_it(alert, charlie, as_user):
    client = as_user(charlie)
    for name in ("outcomes:check_in", "outcomes:review", "outcomes:hold"):
        method = client.get if name == "outcomes:check_in" else client.post
        assert method(reverse(name, args=[alert.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.reviewed_at is None


def test_holding_session_2_stops_pat_booking_it_until_released(
    alert, plan, pat, alice, as_user
):
    staff = as_user(alice)
    staff.post(
        reverse("outcomes:hold", args=[alert.pk]), {"reason": "Check the redness."}
    )
    hold = SessionHold.objects.get()
    assert hold.plan_session == plan.sessions.get(number=2)
    assert hold.check_in == alert

    patient = as_user(pat)
    listing = patient.get(reverse("portal:appointments")).content.decode()
    assert "On hold: the clinic will contact you" in listing
    assert reverse("portal:book", args=[2]) not in listing
    page = patient.get(reverse("portal:book", args=[2])).content.decode()
    assert "would like to check how your skin is healing before session 2" in page
    assert 'name="choice"' not in page

    staff.post(reverse("outcomes:release", args=[hold.pk]))
    hold.refresh_from_db()
    assert hold.released_at is not None
    page = patient.get(reverse("portal:book", args=[2])).content.decode()
    assert 'name="choice"' in page


def test_a_second_hold_on_the_same_session_is_refused(alert, alice, as_user):
    staff = as_user(alice)
    staff.post(reverse("outcomes:hold", args=[alert.pk]))
    response = staff.post(reverse("outcomes:hold", args=[alert.pk]), follow=True)
    assert "Session 2 is already on hold." in response.content.decode()
    assert SessionHold.objects.count() == 1


def test_a_held_booking_cannot_be_moved_online_but_can_be_cancelled(
    alert, plan, bookable, pat, alice, as_user
):
    patient = as_user(pat)
    second = plan.sessions.get(number=2)
    second.refresh_from_db()
    patient.post(
        reverse("portal:book", args=[2]),
        {"choice": choice_at(bookable, _at(second.target_on, 9), f"s{second.pk}")},
    )
    booked = Appointment.objects.get(plan_session=second)
    as_user(alice).post(reverse("outcomes:hold", args=[alert.pk]))

    listing = patient.get(reverse("portal:appointments")).content.decode()
    assert "on hold: the clinic will contact you" in listing
    assert reverse("portal:move", args=[booked.pk]) not in listing
    assert reverse("portal:cancel", args=[booked.pk]) in listing
    patient.post(
        reverse("portal:move", args=[booked.pk]),
        {"choice": choice_at(bookable, _at(second.target_on, 11), f"a{booked.pk}")},
    )
    booked.refresh_from_db()
    assert booked.starts_at == _at(second.target_on, 9)
    patient.post(reverse("portal:cancel", args=[booked.pk]))
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED


def _at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=UTC)
