"""Preferences per group and channel, and the unsubscribe link in every email:
no login, a signed token, no patient details in the URL."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from skinterval.reminders.links import unsubscribe_token
from skinterval.reminders.models import (
    Channel,
    ContactPreference,
    KindGroup,
    MessageKind,
    OutboxStatus,
)
from skinterval.reminders.services import set_contact_preference
from skinterval.reminders.tests.conftest import (
    NOW,
    TUESDAY,
    book,
    local,
    rows,
    run_worker,
)

pytestmark = pytest.mark.django_db
MORNING = local(NOW.date(), 8)


def unsubscribe_path(message):
    header = message.extra_headers["List-Unsubscribe"]
    return header.strip("<>").removeprefix("http://localhost")


def test_an_opted_out_group_is_not_scheduled(clinic):
    set_contact_preference(
        patient=clinic.patient,
        group=KindGroup.APPOINTMENTS,
        channel=Channel.EMAIL,
        enabled=False,
        now=NOW,
        via="test",
    )
    book(clinic, local(TUESDAY, 10))
    assert rows() == []


def test_opting_out_after_scheduling_stops_what_is_pending(clinic):
    book(clinic, local(TUESDAY, 10))
    set_contact_preference(
        patient=clinic.patient,
        group=KindGroup.APPOINTMENTS,
        channel=Channel.EMAIL,
        enabled=False,
        now=NOW,
        via="test",
    )
    assert {r.status for r in rows()} == {OutboxStatus.CANCELLED}
    run_worker(local(TUESDAY, 9))
    assert mail.outbox == []


def test_the_preference_is_checked_again_when_due(clinic):
    """A preference changed without the service (say, in the admin) still
    holds: the worker checks it before sending."""
    book(clinic, local(TUESDAY, 10))
    ContactPreference.objects.create(
        clinic=clinic.clinic,
        patient=clinic.patient,
        group=KindGroup.APPOINTMENTS,
        channel=Channel.EMAIL,
        enabled=False,
        changed_at=NOW,
        changed_via="admin",
    )
    run_worker(MORNING)
    assert mail.outbox == []
    assert rows()[0].note == "the patient opted out"


def test_every_email_has_a_working_unsubscribe_link(clinic, client):
    book(clinic, local(TUESDAY, 10))
    run_worker(MORNING)
    (message,) = mail.outbox
    path = unsubscribe_path(message)
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert path in message.body
    # Nothing about the patient in the link.
    patient = clinic.patient
    for detail in (
        patient.given_name,
        patient.family_name,
        patient.email,
        str(patient.pk),
        patient.chart_number,
    ):
        assert detail not in path
    # Opening it (as a mail scanner would) changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert b"appointment confirmations and reminders" in page.content
    assert not ContactPreference.objects.exists()
    # The button stops them, with no login.
    done = client.post(path, {"action": "unsubscribe"})
    assert done.status_code == 200
    assert b"will no longer send you" in done.content
    pref = ContactPreference.objects.get()
    assert (pref.group, pref.channel, pref.enabled) == ("appointments", "email", False)
    assert {r.status for r in rows(kind=MessageKind.APPOINTMENT_REMINDER)} == {
        OutboxStatus.CANCELLED
    }
    # And can start them again.
    client.post(path, {"action": "resubscribe"})
    assert ContactPreference.objects.get().enabled is True


def test_one_click_unsubscribe_from_the_mail_provider(clinic, client):
    book(clinic, local(TUESDAY, 10))
    run_worker(MORNING)
    path = unsubscribe_path(mail.outbox[0])
    response = client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert ContactPreference.objects.get().enabled is False


def test_only_the_group_and_channel_of_the_message_stop(clinic, client):
    book(clinic, local(TUESDAY, 10))
    (reminder, _) = rows(kind=MessageKind.APPOINTMENT_REMINDER)
    client.post(reverse("reminders:unsubscribe", args=[unsubscribe_token(reminder.pk)]))
    set_contact_preference(
        patient=clinic.patient,
        group=KindGroup.RECALLS,
        channel=Channel.EMAIL,
        enabled=True,
        now=NOW,
        via="test",
    )
    prefs = {(p.group, p.enabled) for p in ContactPreference.objects.all()}
    assert prefs == {("appointments", False), ("recalls", True)}


@pytest.mark.parametrize(
    "token",
    ["garbage", "MQ:1abcde:forgedsignature", "1"],
)
def test_a_forged_or_damaged_link_is_refused(clinic, client, token):
    book(clinic, local(TUESDAY, 10))
    response = client.post(reverse("reminders:unsubscribe", args=[token]))
    assert response.status_code == 404
    assert b"This link is not valid" in response.content
    assert not ContactPreference.objects.exists()


def test_a_token_for_one_message_cannot_be_turned_into_another(clinic, client):
    book(clinic, local(TUESDAY, 10))
    first, second = rows()[:2]
    token = unsubscribe_token(first.pk)
    forged = token.replace(
        token.split(":")[0], unsubscribe_token(second.pk).split(":")[0]
    )
    assert (
        client.get(reverse("reminders:unsubscribe", args=[forged])).status_code == 404
    )
