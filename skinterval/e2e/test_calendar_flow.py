"""Bob opens the week calendar, sees an appointment and opens it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.clinics.models import TimeOff
from skinterval.domain import wallclock
from skinterval.e2e.browser import assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A Monday morning in January, so that dates on the screenshot never change.
MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def _at(world, day: date, hour: int, **fields):
    starts = wallclock.to_utc(day, time(hour), world.clinic.zone)
    return t.make_appointment(
        world,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from_at=starts,
        blocked_until_at=starts + timedelta(minutes=30),
        **fields,
    )


@pytest.fixture
def week_a(world_a):
    for n, patient in enumerate((world_a.patient, world_a.other_patient), start=1):
        patient.chart_number = f"A-{n:04d}"
        patient.save(update_fields=["chart_number"])
    for weekday in range(1, 5):
        t.make_working_interval(world_a.practitioner, world_a.location, weekday=weekday)
    TimeOff.objects.create(
        clinic=world_a.clinic,
        staff_member=world_a.practitioner,
        starts_on=date(2027, 1, 8),
        ends_on=date(2027, 1, 8),
        reason="Training",
    )
    world_a.booked = _at(world_a, date(2027, 1, 5), 10)
    _at(
        world_a,
        date(2027, 1, 6),
        14,
        patient=world_a.other_patient,
        status=AppointmentStatus.HELD,
        hold_expires_at=MONDAY + timedelta(days=3),
    )
    _at(world_a, date(2027, 1, 4), 9, status=AppointmentStatus.ARRIVED)
    return world_a


def test_bob_opens_the_week_and_an_appointment_from_it(page: Page, week_a):
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, "bob")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Calendar"
        ).click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Calendar: All practitioners"
        )
        event = page.get_by_role("link", name=re.compile("10:00.*PatientA Primary"))
        expect(event).to_be_visible()
        expect(page.locator(".fc-event.appt-held")).to_contain_text(
            "Held while booking"
        )
        expect(page.locator(".fc-event.time-off")).to_contain_text("Alice away")
        expect(page.locator(".fc-toolbar-title")).to_contain_text("Jan")
        expect(page.locator("#calendar-status")).to_have_text("")
        screenshot(page, "calendar-week")
        assert_accessible(page)

        event.click()
        expect(page).to_have_url(
            re.compile(
                re.escape(reverse("appointments:detail", args=[week_a.booked.pk]))
            )
        )
        expect(page.get_by_role("heading", level=1)).to_have_text("Consultation")


def _drag_to(page: Page, event, day: date, clock: str) -> None:
    """Press on the event, move to the day's column at the clock-time row, let go."""
    column = page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']")
    row = page.locator(f"td.fc-timegrid-slot-lane[data-time='{clock}:00']")
    source, col_box, row_box = (
        event.bounding_box(),
        column.bounding_box(),
        row.bounding_box(),
    )
    assert source is not None
    assert col_box is not None
    assert row_box is not None
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + 4)
    page.mouse.down()
    target_x = col_box["x"] + col_box["width"] / 2
    target_y = row_box["y"] + 4
    page.mouse.move(target_x, target_y - 20, steps=8)
    page.mouse.move(target_x, target_y, steps=4)
    page.mouse.up()


def test_bob_drags_an_appointment_to_another_time_and_not_onto_a_taken_one(
    page: Page, week_a
):
    page.set_viewport_size({"width": 1280, "height": 1500})  # the whole day in view
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, "bob")
        page.goto(reverse("calendar:page"))
        event = page.locator(".fc-event.appt-booked")
        expect(event).to_contain_text("10:00")

        _drag_to(page, event, date(2027, 1, 7), "11:00")

        expect(page.locator("#calendar-status")).to_have_text(
            "Appointment moved to Thu 7 Jan 2027, 11:00."
        )
        expect(page.locator(".fc-event.appt-booked")).to_contain_text("11:00")
        week_a.booked.refresh_from_db()
        assert week_a.booked.starts_at == wallclock.to_utc(
            date(2027, 1, 7), time(11), week_a.clinic.zone
        )
        screenshot(page, "calendar-drag")
        assert_accessible(page)

        # Wednesday 14:00 is held for another patient with the same practitioner.
        _drag_to(page, page.locator(".fc-event.appt-booked"), date(2027, 1, 6), "14:00")

        expect(page.locator("#calendar-status")).to_contain_text("already booked then")
        expect(page.locator(".fc-event.appt-booked")).to_contain_text("11:00")
        before = week_a.booked.starts_at
        week_a.booked.refresh_from_db()
        assert week_a.booked.starts_at == before
