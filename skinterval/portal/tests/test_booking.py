"""Pat books, moves and cancels her own sessions: only inside each session's
window, and cancels or moves only before the clinic's notice period."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.portal.services import (
    PortalRefused,
    SlotChoice,
    book_own_session,
    cancel_own_appointment,
)

from .conftest import MONDAY, choice_at


def offered_choices(response) -> list[str]:
    return re.findall(r'name="choice" value="([^"]+)"', response.content.decode())


def session(plan, number):
    return plan.sessions.get(number=number)


def test_pat_books_session_1_at_an_offered_time(plan, bookable, pat, as_user):
    client = as_user(pat)
    page = client.get(reverse("portal:book", args=[1]))
    assert page.status_code == 200
    choices = offered_choices(page)
    assert choices, "the best free times inside the window are offered"

    response = client.post(reverse("portal:book", args=[1]), {"choice": choices[0]})

    assert response.status_code == 302
    booked = Appointment.objects.get(plan_session=session(plan, 1))
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.patient == bookable.patient
    assert booked.booked_by is None
    assert booked.window_override_reason == ""
    assert session(plan, 1).window_contains(booked.starts_at.date())
    follow = client.get(reverse("portal:appointments"))
    assert "is booked for" in follow.content.decode()


def test_a_time_outside_the_window_is_refused_with_the_window(
    plan, bookable, pat, as_user
):
    """Even a correctly signed choice outside the window is refused by the
    booking service (patients have no override), with the window's dates."""
    first = session(plan, 1)
    outside = datetime(2027, 1, 19, 9, 0, tzinfo=UTC)  # the day after it closes
    assert not first.window_contains(outside.date())
    client = as_user(pat)

    client.post(
        reverse("portal:book", args=[1]),
        {"choice": choice_at(bookable, outside, f"s{first.pk}")},
    )

    assert not Appointment.objects.filter(plan_session=first).exists()
    page = client.get(reverse("portal:book", args=[1])).content.decode()
    assert "Session 1 can only be booked between Monday 4 January 2027 and " in page
    assert "Monday 18 January 2027" in page


def test_the_service_refuses_outside_the_window(plan, bookable, clock):
    first = session(plan, 1)
    with pytest.raises(PortalRefused) as refused:
        book_own_session(
            patient=bookable.patient,
            plan_session=first,
            choice=SlotChoice(
                datetime(2027, 1, 19, 9, 0, tzinfo=UTC),
                bookable.practitioner,
                bookable.room,
                bookable.device,
            ),
            now=MONDAY,
        )
    assert refused.value.code == "outside_window"
    assert not Appointment.objects.filter(plan_session=first).exists()


def test_a_day_outside_the_window_is_refused_next_to_the_field(plan, pat, as_user):
    response = as_user(pat).get(reverse("portal:book", args=[1]), {"on": "2027-01-25"})
    body = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'class="error"[^>]*>Session 1 can only be booked between', body)
    assert 'value="2027-01-25"' in body  # what was typed stays in the field


def test_a_day_inside_the_window_lists_that_days_times(plan, pat, as_user):
    response = as_user(pat).get(reverse("portal:book", args=[1]), {"on": "2027-01-06"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Free times on Wednesday 6 January" in body
    assert "Wed 6 Jan 2027, 09:00" in body
    assert "Thu 7 Jan" not in body


def test_a_forged_or_replayed_choice_is_refused(plan, bookable, pat, as_user):
    client = as_user(pat)
    inside = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    for value in (
        "not-a-signed-value",
        # Signed for session 2, posted for session 1.
        choice_at(bookable, inside, f"s{session(plan, 2).pk}"),
    ):
        client.post(reverse("portal:book", args=[1]), {"choice": value})
    assert not Appointment.objects.exists()


@pytest.fixture
def booked_1(plan, bookable, pat, as_user):
    """Session 1 booked by Pat for Thursday 7 January at 09:00."""
    client = as_user(pat)
    client.post(
        reverse("portal:book", args=[1]),
        {
            "choice": choice_at(
                bookable,
                datetime(2027, 1, 7, 9, 0, tzinfo=UTC),
                f"s{session(plan, 1).pk}",
            )
        },
    )
    return Appointment.objects.get(plan_session=session(plan, 1))


def test_pat_moves_a_session_inside_its_window(booked_1, bookable, pat, as_user):
    client = as_user(pat)
    page = client.get(reverse("portal:move", args=[booked_1.pk]))
    assert page.status_code == 200
    new_time = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)

    client.post(
        reverse("portal:move", args=[booked_1.pk]),
        {"choice": choice_at(bookable, new_time, f"a{booked_1.pk}")},
    )

    booked_1.refresh_from_db()
    assert booked_1.starts_at == new_time
    assert booked_1.status == AppointmentStatus.BOOKED


def test_moving_outside_the_window_is_refused(booked_1, bookable, pat, as_user):
    client = as_user(pat)
    before = booked_1.starts_at

    client.post(
        reverse("portal:move", args=[booked_1.pk]),
        {
            "choice": choice_at(
                bookable, datetime(2027, 1, 20, 9, 0, tzinfo=UTC), f"a{booked_1.pk}"
            )
        },
    )

    booked_1.refresh_from_db()
    assert booked_1.starts_at == before
    page = client.get(reverse("portal:move", args=[booked_1.pk])).content.decode()
    assert "Session 1 can only be booked between" in page


def test_pat_cancels_before_the_notice_period(booked_1, pat, as_user, clock):
    # Thursday 09:00 is 27 hours after Wednesday 06:00: more than the 24 hours.
    clock.move_to(datetime(2027, 1, 6, 6, 0, tzinfo=UTC))
    response = as_user(pat).post(reverse("portal:cancel", args=[booked_1.pk]))
    assert response.status_code == 302
    booked_1.refresh_from_db()
    assert booked_1.status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize("late_action", ["cancel", "move"])
def test_a_late_change_is_refused_with_the_clinics_phone(
    late_action, booked_1, bookable, pat, as_user, clock, settings
):
    settings.SKINTERVAL_PORTAL_POLICIES = {
        bookable.clinic.slug: {
            "cancellation_notice_hours": 48,
            "phone": "020 7946 0000",
        }
    }
    # Wednesday 10:00 is 23 hours before Thursday 09:00: inside the 48 hours.
    clock.move_to(datetime(2027, 1, 6, 10, 0, tzinfo=UTC))
    client = as_user(pat)
    before = booked_1.starts_at
    if late_action == "cancel":
        response = client.post(reverse("portal:cancel", args=[booked_1.pk]))
        body = response.content.decode()
        assert response.status_code == 422
    else:
        client.post(
            reverse("portal:move", args=[booked_1.pk]),
            {
                "choice": choice_at(
                    bookable, datetime(2027, 1, 12, 9, 0, tzinfo=UTC), f"a{booked_1.pk}"
                )
            },
        )
        body = client.get(reverse("portal:move", args=[booked_1.pk])).content.decode()
    assert "up to 48 hours before they start" in body
    assert "please call the clinic on 020 7946 0000" in body
    booked_1.refresh_from_db()
    assert booked_1.status == AppointmentStatus.BOOKED
    assert booked_1.starts_at == before
    listing = client.get(reverse("portal:appointments")).content.decode()
    assert "Too close to change online" in listing


def test_the_next_session_waits_for_the_one_before(plan, pat, as_user):
    listing = as_user(pat).get(reverse("portal:appointments")).content.decode()
    assert reverse("portal:book", args=[1]) in listing
    assert reverse("portal:book", args=[2]) not in listing
    assert "Booked once the session before it is booked" in listing


def test_the_service_refuses_a_late_cancel(booked_1, bookable, clock):
    clock.move_to(datetime(2027, 1, 6, 10, 0, tzinfo=UTC))  # 23 hours before
    with pytest.raises(PortalRefused) as refused:
        cancel_own_appointment(
            patient=bookable.patient, appointment=booked_1, now=timezone.now()
        )
    assert refused.value.code == "late"
    booked_1.refresh_from_db()
    assert booked_1.status == AppointmentStatus.BOOKED
