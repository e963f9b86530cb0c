"""One row per (appointment or plan, kind, due time, channel); the words of the
messages; the clinic owner's view of them in the admin."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from config.tests.test_templates_translated import untranslated
from skinterval.reminders.models import MessagingSettings, OutboxMessage
from skinterval.reminders.tests.conftest import (
    NOW,
    TUESDAY,
    book,
    local,
    rows,
    run_worker,
)

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "reminders"


def _copy(row, **changes):
    fields = {
        f.name: getattr(row, f.name)
        for f in OutboxMessage._meta.concrete_fields
        if not f.primary_key
    }
    fields.update(changes)
    return OutboxMessage(**fields)


def test_the_database_refuses_a_second_row_for_the_same_message(clinic):
    appointment = book(clinic, local(TUESDAY, 10))
    reminder = rows(appointment=appointment, kind="appointment_reminder")[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        _copy(reminder, status="cancelled").save()
    # Another channel, or another due time, is another message.
    _copy(reminder, channel="sms").save()
    _copy(reminder, due_at=reminder.due_at.replace(minute=5)).save()


def test_plan_rows_are_unique_per_plan_kind_and_time(clinic):
    from skinterval import testing as t

    plan = t.make_plan(clinic.patient, clinic.practitioner, approve=True)
    (opens, _) = rows(plan=plan)
    with pytest.raises(IntegrityError), transaction.atomic():
        _copy(opens).save()


def test_subjects_carry_no_health_details_and_links_are_absolute(clinic):
    book(
        clinic,
        local(TUESDAY, 10),
        service_type=clinic.service,
        device=clinic.device,
    )
    run_worker(local(NOW.date(), 8))
    (message,) = mail.outbox
    assert message.subject == "Your appointment at Clinic A"
    assert "needling" not in message.body.lower()  # the service is not named
    assert "Tuesday 12 January 2027 at 10:00" in message.body
    assert "1 Harbour Street" in message.body
    for line in message.body.splitlines():
        if "/portal/" in line or "/unsubscribe/" in line:
            assert "http://localhost/" in line


def test_email_templates_mark_their_text_for_translation():
    problems = {
        path.name: found
        for path in sorted(TEMPLATES.rglob("*.*"))
        if (found := untranslated(path.read_text(encoding="utf-8")))
    }
    assert not problems


def test_the_clinic_owner_sees_their_clinics_messages_read_only(
    clinic, world_b, as_user
):
    book(clinic, local(TUESDAY, 10))
    other = book(
        world_b,
        local(date(2027, 1, 11), 10),  # clinic B works on Mondays
        service_type=_consultation(world_b),
        patient=_with_email(world_b.patient),
    )
    theirs = rows(appointment=other)[0]
    owner = as_user(clinic.owner.user)
    listing = owner.get(reverse("admin:reminders_outboxmessage_changelist"))
    assert listing.status_code == 200
    shown = {row.pk for row in listing.context["cl"].result_list}
    assert shown == {r.pk for r in rows(patient=clinic.patient)}
    assert theirs.pk not in shown
    mine = rows(patient=clinic.patient)[0]
    page = owner.get(reverse("admin:reminders_outboxmessage_change", args=[mine.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    refused = owner.get(
        reverse("admin:reminders_outboxmessage_change", args=[theirs.pk])
    )
    assert refused.status_code == 302
    assert owner.get(reverse("admin:reminders_outboxmessage_add")).status_code == 403


def test_the_owner_adds_the_clinics_settings_once(clinic, as_user):
    owner = as_user(clinic.owner.user)
    add = reverse("admin:reminders_messagingsettings_add")
    response = owner.post(
        add,
        {
            "reminder_hours_before": "72, 2",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
            "send_time": "10:00",
            "window_closing_days": "4",
            "recall_notice_days": "10",
            "language": "en",
        },
    )
    assert response.status_code == 302
    saved = MessagingSettings.objects.get()
    assert (saved.clinic, saved.reminder_hours) == (clinic.clinic, (72, 2))
    assert owner.get(add).status_code == 403
    bad = owner.post(
        reverse("admin:reminders_messagingsettings_change", args=[saved.pk]),
        {
            "reminder_hours_before": "soon",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
            "send_time": "10:00",
            "window_closing_days": "4",
            "recall_notice_days": "10",
            "language": "en",
        },
    )
    assert bad.status_code == 200
    assert "reminder_hours_before" in bad.context["adminform"].form.errors


def _consultation(world):
    from skinterval.appointments.models import ServiceType

    return ServiceType.objects.create(
        clinic=world.clinic, kind="consultation", name="Consultation", duration_min=30
    )


def _with_email(patient):
    patient.email = "b@example.test"
    patient.save(update_fields=["email"])
    return patient
