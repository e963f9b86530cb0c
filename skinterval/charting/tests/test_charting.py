"""Charting a session: consent gate, safety re-check, depth caps, completion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.charting.models import ChartedArea, ChartStatus, SessionChart
from skinterval.charting.services import (
    AreaEntry,
    ChartingRefused,
    DepthRefused,
    complete_session,
    start_session,
    withdraw_consent,
)
from skinterval.charting.tests.conftest import NO, NOW, consent

pytestmark = pytest.mark.django_db


def chart_url(appointment):
    return reverse("charting:chart", args=[appointment.pk])


def screening(**yes):
    return {k: ("yes" if yes.get(k) else "no") for k in NO} | {"check_in_notes": ""}


def area_post(depth="1.0", device=None, world=None, **extra):
    data = {
        "areas-TOTAL_FORMS": "1",
        "areas-INITIAL_FORMS": "1",
        "areas-MIN_NUM_FORMS": "0",
        "areas-MAX_NUM_FORMS": "16",
        "areas-0-area": "cheeks",
        "areas-0-depth_mm": depth,
        "areas-0-passes": "3",
        "areas-0-device": str(device.pk if device else world.device.pk),
        "areas-0-cartridge_lot": "LOT-42",
        "anaesthetic": "topical",
        "adjuncts": "",
        "endpoint": "pinpoint_bleeding",
        "reaction": "expected",
        "notes": "",
    }
    data.update(extra)
    return data


def start(world, appointment, **answers):
    return start_session(
        appointment=appointment,
        practitioner=world.practitioner,
        answers=NO | answers,
        now=NOW,
    )


def entry(world, depth="1.0", device=None):
    return AreaEntry(
        area="cheeks",
        depth_mm=Decimal(depth),
        passes=3,
        device=device or world.device,
        cartridge_lot="LOT-1",
    )


def complete(world, chart, depth="1.0", device=None, reaction="expected"):
    return complete_session(
        chart=chart,
        practitioner=world.practitioner,
        areas=[entry(world, depth, device)],
        anaesthetic="topical",
        adjuncts="",
        endpoint="pinpoint_bleeding",
        reaction=reaction,
        notes="",
        now=NOW,
    )


def test_no_session_starts_without_a_consent_in_force(world_a, session_1, as_user):
    with pytest.raises(ChartingRefused) as refused:
        start(world_a, session_1)
    assert refused.value.code == "no_consent"
    response = as_user(world_a.practitioner.user).get(chart_url(session_1))
    assert response.status_code == 409
    page = response.content.decode()
    assert "signed consent to micro-needling" in page
    sign = reverse("charting:sign", args=[world_a.patient.pk, "microneedling"])
    assert f"{sign}?next_chart={session_1.pk}" in page
    posted = as_user(world_a.practitioner.user).post(chart_url(session_1), screening())
    assert posted.status_code == 409
    assert not SessionChart.objects.exists()


def test_a_withdrawn_consent_does_not_count(world_a, session_1):
    withdraw_consent(
        consent=consent(world_a), withdrawn_by=world_a.front_desk, reason="", now=NOW
    )
    with pytest.raises(ChartingRefused):
        start(world_a, session_1)


def test_signing_from_the_chart_page_leads_back_to_it(world_a, session_1, as_user):
    from skinterval.charting.consent_texts import CURRENT

    url = reverse("charting:sign", args=[world_a.patient.pk, "microneedling"])
    response = as_user(world_a.practitioner.user).post(
        f"{url}?next_chart={session_1.pk}",
        {
            "text_version": CURRENT["microneedling"].version,
            "has_read": "on",
            "agrees": "on",
            "signed_name": world_a.patient.full_name,
        },
    )
    assert response["Location"] == chart_url(session_1)


@pytest.mark.parametrize("question", list(NO))
def test_any_yes_at_the_re_check_holds_the_session(
    question, world_a, session_1, as_user
):
    consent(world_a)
    client = as_user(world_a.practitioner.user)
    response = client.post(chart_url(session_1), screening(**{question: True}))
    assert response.status_code == 302
    chart = SessionChart.objects.get()
    assert chart.status == ChartStatus.HELD
    assert getattr(chart, question) is True
    page = client.get(chart_url(session_1)).content.decode()
    assert "Session held at the safety re-check" in page
    assert reverse("plans:new", args=[world_a.patient.pk]) in page
    # Charting cannot continue.
    client.post(chart_url(session_1), area_post(world=world_a))
    assert not ChartedArea.objects.exists()
    with pytest.raises(ChartingRefused):
        complete(world_a, chart)
    session_1.refresh_from_db()
    assert session_1.status == AppointmentStatus.ARRIVED


def test_an_unanswered_question_is_asked_again_next_to_it(world_a, session_1, as_user):
    consent(world_a)
    data = screening()
    del data["new_cold_sore"]
    data["check_in_notes"] = "Feels well"
    response = as_user(world_a.practitioner.user).post(chart_url(session_1), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Answer yes or no." in page
    assert "Feels well" in page
    assert not SessionChart.objects.exists()


def test_the_whole_session_is_charted_and_the_appointment_completed(
    world_a, session_1, as_user
):
    consent(world_a)
    client = as_user(world_a.practitioner.user)
    client.post(chart_url(session_1), screening())
    chart = SessionChart.objects.get()
    assert chart.status == ChartStatus.IN_PROGRESS
    page = client.get(chart_url(session_1)).content.decode()
    assert "Cheeks" in page
    assert "plan 1.0–1.5 mm" in page
    response = client.post(chart_url(session_1), area_post("1.25", world=world_a))
    assert response.status_code == 302
    chart.refresh_from_db()
    assert chart.status == ChartStatus.COMPLETED
    assert chart.reaction == "expected"
    area = chart.areas.get()
    assert (area.area, area.depth_mm, area.passes, area.cartridge_lot) == (
        "cheeks",
        Decimal("1.25"),
        3,
        "LOT-42",
    )
    session_1.refresh_from_db()
    assert session_1.status == AppointmentStatus.COMPLETED
    assert "Charted session" in client.get(chart_url(session_1)).content.decode()


def test_a_depth_above_the_plan_is_refused_next_to_the_field(
    world_a, session_1, as_user
):
    consent(world_a)
    client = as_user(world_a.practitioner.user)
    client.post(chart_url(session_1), screening())
    response = client.post(
        chart_url(session_1), area_post("2.0", world=world_a, notes="kept")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "2 mm is deeper than the plan allows for this area (1.5 mm)" in page
    assert 'value="2.0"' in page
    assert "kept" in page
    assert SessionChart.objects.get().status == ChartStatus.IN_PROGRESS


def test_a_depth_above_the_device_maximum_is_refused(world_a, session_1, as_user):
    short = t.make_device(
        world_a.location, name="Short pen", max_depth_mm=Decimal("1.0")
    )
    consent(world_a)
    chart = start(world_a, session_1)
    with pytest.raises(DepthRefused) as refused:
        complete(world_a, chart, "1.25", device=short)
    assert "Short pen (1 mm)" in refused.value.reasons["cheeks"]
    response = as_user(world_a.practitioner.user).post(
        chart_url(session_1), area_post("1.25", device=short)
    )
    assert response.status_code == 422
    assert "deeper than the maximum of Short pen" in response.content.decode()
    assert not ChartedArea.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("areas-0-depth_mm", "deep", "Enter a number."),
        ("areas-0-depth_mm", "0", "greater than or equal to 0.01"),
        ("areas-0-passes", "0", "greater than or equal to 1"),
        ("areas-0-device", "999999", "Select a valid choice."),
        ("areas-0-cartridge_lot", "", "This field is required."),
        ("areas-0-area", "forehead", "This area is not in the plan."),
        ("reaction", "sunburn", "Select a valid choice."),
        ("areas-TOTAL_FORMS", "0", "Chart every treated area"),
    ],
)
def test_bad_input_is_refused_with_a_message_never_an_error(
    field, value, message, world_a, session_1, as_user
):
    consent(world_a)
    start(world_a, session_1)
    response = as_user(world_a.practitioner.user).post(
        chart_url(session_1), area_post(world=world_a, **{field: value})
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert SessionChart.objects.get().status == ChartStatus.IN_PROGRESS


def test_another_clinics_device_is_not_offered(world_a, world_b, session_1, as_user):
    consent(world_a)
    start(world_a, session_1)
    response = as_user(world_a.practitioner.user).post(
        chart_url(session_1), area_post(device=world_b.device)
    )
    assert response.status_code == 422
    assert world_b.device.name not in response.content.decode()


def test_defaults_come_from_the_last_charted_session(world_a, session_1, as_user):
    consent(world_a)
    complete(world_a, start(world_a, session_1), "1.25")
    second = t.make_appointment(
        world_a,
        plan_session=session_1.plan_session.plan.sessions.get(number=2),
        device=world_a.device,
        starts_at=session_1.starts_at.replace(month=2),
        ends_at=session_1.ends_at.replace(month=2),
        blocked_from_at=session_1.starts_at.replace(month=2),
        blocked_until_at=session_1.ends_at.replace(month=2),
    )
    start(world_a, second)
    page = as_user(world_a.practitioner.user).get(chart_url(second)).content.decode()
    assert 'value="1.25"' in page
    assert 'value="LOT-1"' in page
    assert '<option value="topical" selected>' in page


def test_only_the_clinics_practitioners_chart(world_a, world_b, session_1, pat):
    consent(world_a)
    with pytest.raises(Exception, match="practitioners"):
        start_session(
            appointment=session_1,
            practitioner=world_a.front_desk,
            answers=NO,
            now=NOW,
        )
    with pytest.raises(Exception, match="practitioners"):
        start_session(
            appointment=session_1,
            practitioner=world_b.practitioner,
            answers=NO,
            now=NOW,
        )
    assert not SessionChart.objects.exists()


def test_posting_as_another_persona_changes_nothing(
    world_a, world_b, session_1, pat, as_user
):
    consent(world_a)
    for user, status in (
        (world_a.front_desk.user, 403),
        (world_b.practitioner.user, 404),
        (pat, 403),
    ):
        response = as_user(user).post(chart_url(session_1), screening())
        assert response.status_code == status
    assert not SessionChart.objects.exists()


def test_a_consultation_is_not_charted_here(world_a, as_user):
    consent(world_a)
    response = as_user(world_a.practitioner.user).get(
        chart_url(t.make_appointment(world_a))
    )
    assert response.status_code == 409
    assert "Only a planned micro-needling session" in response.content.decode()


def test_the_appointment_page_links_to_the_chart_for_practitioners_only(
    world_a, session_1, as_user
):
    url = reverse("appointments:detail", args=[session_1.pk])
    alice = as_user(world_a.practitioner.user).get(url).content.decode()
    bob = as_user(world_a.front_desk.user).get(url).content.decode()
    assert chart_url(session_1) in alice
    assert chart_url(session_1) not in bob
