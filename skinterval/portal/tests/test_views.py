"""The portal shows a patient their own record and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.domain.checkins import CheckInAnswers, Severity
from skinterval.outcomes.services import request_account_closure, submit_check_in


def test_pat_sees_her_own_record(world_a, pat, as_user):
    response = as_user(pat).get(reverse("portal:home"))
    text = response.content.decode()
    assert response.status_code == 200
    assert world_a.patient.given_name in text
    assert world_a.patient.chart_number in text
    assert world_a.other_patient.chart_number not in text


def test_pat_has_no_staff_pages(pat, as_user, world_a):
    client = as_user(pat)
    assert client.get(reverse("patients:list")).status_code == 403
    assert (
        client.get(
            reverse("patients:detail", args=[world_a.other_patient.pk])
        ).status_code
        == 403
    )


def consultation(world, starts_at):
    """A booked 30-minute consultation for the world's patient."""
    end = starts_at + timedelta(minutes=30)
    return t.make_appointment(
        world,
        starts_at=starts_at,
        ends_at=end,
        blocked_from_at=starts_at,
        blocked_until_at=end,
    )


# Each page, and words on it that only Pat's own data puts there.
PAGES = [
    ("portal:home", "Day 2 after your session 1"),
    ("portal:plan", "Approved by Alice"),
    ("portal:appointments", "Mon 4 Jan 2027"),
    ("portal:aftercare", "Day 2 after your session 1"),
    ("portal:check_ins", "Session 1, Mon 4 Jan 2027"),
    ("portal:progress", "Redness, swelling and itching"),
    ("portal:consents", "Signed on 4 January 2027"),
    ("portal:data", "You asked for your account to be closed"),
    ("portal:download", "cheeks"),
]


@pytest.mark.parametrize(("name", "pats_words"), PAGES)
def test_other_patients_see_only_their_own_pages(
    name, pats_words, session_1_done, pat, pam, bea, as_user, world_a, world_b
):
    """Pam (clinic A) and Bea (clinic B) get their own pages, in which nothing of
    Pat's appears."""
    submit_check_in(
        patient=world_a.patient,
        appointment=session_1_done,
        answers=CheckInAnswers(Severity.MILD, Severity.NONE, Severity.NONE, 1),
        now=timezone.now(),
    )
    request_account_closure(patient=world_a.patient, reason="", now=timezone.now())
    pats_page = as_user(pat).get(reverse(name))
    assert pats_page.status_code == 200
    assert pats_words in pats_page.content.decode()
    for other in (pam, bea):
        response = as_user(other).get(reverse(name))
        body = response.content.decode()
        assert response.status_code == 200
        assert pats_words not in body
        assert world_a.patient.full_name not in body
        assert world_a.patient.chart_number not in body
        assert str(world_a.patient.pk) not in body


def pats_ids(world_a, session_1_done):
    """Addresses of the portal that name one of Pat's rows."""
    appointment = session_1_done
    later = consultation(world_a, datetime(2027, 1, 20, 14, 0, tzinfo=UTC))
    return [
        reverse("portal:book", args=[2]),
        reverse("portal:move", args=[appointment.pk]),
        reverse("portal:cancel", args=[later.pk]),
        reverse("portal:check_in", args=[appointment.pk]),
    ]


@pytest.mark.parametrize("persona", ["pam", "bea", "alice", "bob", "charlie"])
def test_pats_rows_are_not_found_for_anyone_else(
    persona, session_1_done, world_a, world_b, pat, pam, bea, as_user
):
    users = {
        "pam": pam,
        "bea": bea,
        "alice": world_a.practitioner.user,
        "bob": world_a.front_desk.user,
        "charlie": world_b.practitioner.user,
    }
    for url in pats_ids(world_a, session_1_done):
        client = as_user(users[persona])
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"choice": "x"}).status_code == 404, url
    # Nothing changed: Pat's appointments are as they were.
    assert not world_a.patient.appointments.filter(
        status=AppointmentStatus.CANCELLED
    ).exists()
    assert not session_1_done.check_ins.exists()


def test_pat_reaches_each_of_her_rows(session_1_done, world_a, pat, as_user):
    client = as_user(pat)
    urls = pats_ids(world_a, session_1_done)
    # Session 2 is bookable; session 1 is done (not movable, but the page says so).
    for url in urls:
        assert client.get(url).status_code == 200, url
