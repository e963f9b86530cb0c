"""Alice assesses a patient, reviews and approves the plan, and books the series."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from skinterval import testing as t
from skinterval.appointments.models import (
    Appointment,
    AppointmentStatus,
    ServiceType,
)
from skinterval.e2e.browser import MONDAY, assert_accessible, log_in, screenshot
from skinterval.plans.models import Plan, PlanStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_assess_approve_and_book_the_whole_series(page: Page, clinic_a):
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, "alice")
        page.goto(reverse("patients:detail", args=[clinic_a.patient.pk]))
        page.get_by_role("link", name="New assessment and plan").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Assessment for")
        scar = page.get_by_label("Scar 1")
        scar.get_by_label("Area").select_option("cheeks")
        scar.get_by_label("Scar type").select_option("icepick")
        scar.get_by_label("Goodman & Baron grade").select_option("3")
        page.get_by_label("Device").select_option(str(clinic_a.device.pk))
        screenshot(page, "assessment")
        assert_accessible(page)
        page.get_by_role("button", name="Generate the plan").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Plan, version 1")
        expect(page.get_by_role("heading", name="Decision: Proceed")).to_be_visible()
        expect(page.locator("body")).to_contain_text("icepick_predominant")
        expect(page.get_by_role("heading", name="Sources")).to_be_visible()
        screenshot(page, "plan")
        assert_accessible(page)

        page.get_by_role("button", name="Approve this plan").click()
        expect(page.get_by_text("Plan approved.")).to_be_visible()
        plan = Plan.objects.get(patient=clinic_a.patient)
        assert plan.status == PlanStatus.APPROVED

        page.get_by_role("link", name="Book the sessions").click()
        expect(page).to_have_url(
            re.compile(reverse("appointments:book_series", args=[plan.pk]))
        )
        expect(page.get_by_role("heading", name="Session 1")).to_be_visible()
        screenshot(page, "book-series")
        assert_accessible(page)

        page.get_by_role("button", name="Book every session at its best time").click()
        expect(page.get_by_text(re.compile(r"\d+ sessions booked\."))).to_be_visible()
        booked = Appointment.objects.filter(
            plan_session__plan=plan, status=AppointmentStatus.BOOKED
        )
        assert booked.count() == plan.sessions.count()
        assert not booked.filter(outside_window=True).exists()
        screenshot(page, "series-booked")
        assert_accessible(page)


def test_the_form_keeps_what_was_typed_when_the_engine_refuses_it(page: Page, clinic_a):
    with time_machine.travel(MONDAY, tick=True):
        log_in(page, "alice")
        page.goto(reverse("plans:new", args=[clinic_a.patient.pk]))
        page.get_by_label("Isotretinoin", exact=True).select_option("stopped")
        page.get_by_label("Isotretinoin stopped on").fill("2027-02-01")
        page.get_by_role("button", name="Generate the plan").click()

        expect(page.get_by_text("is after assessed_on")).to_be_visible()
        expect(page.get_by_label("Isotretinoin stopped on")).to_have_value("2027-02-01")
        assert not Plan.objects.exists()
        assert_accessible(page)


def test_bob_moves_session_2_inside_its_window_but_not_outside(page: Page, clinic_a):
    with time_machine.travel(MONDAY, tick=True):
        plan = t.make_plan(clinic_a.patient, clinic_a.practitioner, approve=True)
        from skinterval.appointments.queries import slots_for_plan_session
        from skinterval.appointments.services import book_appointment

        service = ServiceType.objects.get(clinic=clinic_a.clinic)
        for session in plan.sessions.order_by("number")[:2]:
            session.refresh_from_db()
            best = slots_for_plan_session(
                plan_session=session, service=service, now=MONDAY, limit=1
            )[0]
            second = book_appointment(
                patient=plan.patient,
                service_type=service,
                practitioner=best.practitioner,
                room=best.room,
                device=best.device,
                starts_at=best.slot.start,
                now=MONDAY,
                plan_session=session,
            )

        log_in(page, "bob")
        page.goto(reverse("appointments:detail", args=[second.pk]))
        expect(page.get_by_role("heading", level=1)).to_contain_text("session 2")
        screenshot(page, "reschedule")
        assert_accessible(page)
        page.get_by_role("button", name="Move here").nth(1).click()
        expect(page.get_by_text("Appointment moved.")).to_be_visible()
        second.refresh_from_db()
        assert second.sequence == 1

        session = second.plan_session
        assert session is not None
        too_late = session.latest_on.toordinal() + 7
        from datetime import date

        day = date.fromordinal(too_late)
        while day.weekday() > 4:
            day = date.fromordinal(day.toordinal() + 1)
        page.get_by_label("New day").fill(day.isoformat())
        page.get_by_label("New time").fill("10:00")
        page.get_by_role("button", name="Move", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text(
            "outside the session's window"
        )
        screenshot(page, "reschedule-refused")
        assert_accessible(page)
        before = second.starts_at
        second.refresh_from_db()
        assert second.starts_at == before


def test_the_dashboard_shows_todays_work(page: Page, clinic_a):
    with time_machine.travel(MONDAY, tick=True):
        t.make_plan(clinic_a.patient, clinic_a.practitioner, approve=True)
        t.make_plan(clinic_a.other_patient, clinic_a.practitioner)
        t.make_appointment(clinic_a, patient=clinic_a.other_patient)
        log_in(page, "alice")
        page.get_by_role("link", name="Today").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        expect(page.get_by_role("heading", name="Awaiting approval")).to_be_visible()
        expect(page.locator("body")).to_contain_text("session 1, opens")
        screenshot(page, "dashboard")
        assert_accessible(page)
