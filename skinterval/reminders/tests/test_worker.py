"""The worker: claims that never overlap, leases that expire, the sweeper that
hands a dead worker's rows to another, retries, and the stable Message-ID."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings

from skinterval import testing as t
from skinterval.reminders import delivery
from skinterval.reminders.delivery import (
    MAX_ATTEMPTS,
    claim_due,
    deliver,
    release_expired_leases,
    send_due,
)
from skinterval.reminders.models import Channel, KindGroup, OutboxMessage, OutboxStatus
from skinterval.reminders.services import set_contact_preference
from skinterval.reminders.sms import LocmemSmsBackend
from skinterval.reminders.tests.conftest import NOW, TUESDAY, book, local

pytestmark = pytest.mark.django_db
MORNING = local(NOW.date(), 9)
LEASE = timedelta(seconds=60)


def _at(moment):
    return lambda: moment


def due_messages(world, n):
    """n booked appointments, each with its confirmation due now."""
    from skinterval.reminders.services import schedule_for_appointment

    ids = []
    for i in range(n):
        starts = local(TUESDAY, 9) + timedelta(minutes=30 * i)
        appointment = t.make_appointment(
            world,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            blocked_from_at=starts,
            blocked_until_at=starts + timedelta(minutes=30),
        )
        schedule_for_appointment(appointment=appointment, now=MORNING)
        ids.append(
            OutboxMessage.objects.get(
                appointment=appointment, kind="booking_confirmation"
            ).pk
        )
    return ids


def test_two_workers_never_claim_the_same_row(clinic):
    ids = due_messages(clinic, 7)
    first = claim_due(now=MORNING, worker_id="a", limit=4, lease=LEASE)
    second = claim_due(now=MORNING, worker_id="b", limit=4, lease=LEASE)
    third = claim_due(now=MORNING, worker_id="c", limit=4, lease=LEASE)
    assert len(first.ids) == 4
    assert len(second.ids) == 3
    assert third.ids == []
    assert set(first.ids) | set(second.ids) == set(ids)
    assert not set(first.ids) & set(second.ids)
    held = OutboxMessage.objects.get(pk=first.ids[0])
    assert (held.status, held.worker_id, held.lease_until, held.attempts) == (
        OutboxStatus.SENDING,
        "a",
        MORNING + LEASE,
        1,
    )


def test_a_dead_workers_rows_go_to_another_after_the_lease(clinic):
    due_messages(clinic, 3)
    dead = claim_due(now=MORNING, worker_id="dead", limit=10, lease=LEASE)
    assert len(dead.ids) == 3
    # Before the lease runs out nobody else may take them.
    assert send_due(clock=lambda: MORNING + LEASE / 2, worker_id="b").handled == 0
    assert mail.outbox == []
    later = MORNING + LEASE + timedelta(seconds=1)
    assert send_due(clock=lambda: later, worker_id="b").sent == 3
    assert len(mail.outbox) == 3
    # The first worker wakes up: its claim is gone, it sends nothing more.
    woke = deliver(dead, clock=lambda: later, send_timeout=timedelta(0))
    assert (woke.sent, woke.lost) == (0, 0)  # its lease is over: it hands back
    woke = deliver(
        delivery.Claim(dead.token, dead.ids, later + LEASE),
        clock=lambda: later,
    )
    assert (woke.sent, woke.lost) == (0, 3)
    assert len(mail.outbox) == 3
    assert set(
        OutboxMessage.objects.filter(pk__in=dead.ids).values_list("attempts", flat=True)
    ) == {2}


def test_the_sweeper_alone_releases_expired_leases(clinic):
    due_messages(clinic, 2)
    claim_due(now=MORNING, worker_id="dead", limit=10, lease=LEASE)
    assert release_expired_leases(now=MORNING + LEASE) == 0
    assert release_expired_leases(now=MORNING + LEASE + timedelta(seconds=1)) == 2
    assert set(OutboxMessage.objects.values_list("status", "claim_token")) == {
        (OutboxStatus.PENDING, "")
    }


def test_a_crash_between_send_and_mark_resends_with_the_same_message_id(
    clinic, monkeypatch
):
    """At least once: when a worker loses its lease after handing a message over
    but before marking it, the next worker sends it again, and the copy carries
    the same Message-ID for the receiving side to recognise."""
    (pk,) = due_messages(clinic, 1)
    slow = claim_due(now=MORNING, worker_id="slow", limit=1, lease=LEASE)
    later = MORNING + LEASE + timedelta(seconds=1)
    from django.core.mail import get_connection as real

    class Stalls:
        def send_messages(self, messages):
            real().send_messages(messages)
            # ...and stalls past its lease: another worker takes the row over.
            monkeypatch.setattr(delivery, "get_connection", real)
            send_due(clock=lambda: later, worker_id="other")
            return len(messages)

        def close(self):
            pass

    monkeypatch.setattr(delivery, "get_connection", lambda **kw: Stalls())
    outcome = deliver(slow, clock=lambda: MORNING)
    assert outcome.lost == 1
    assert len(mail.outbox) == 2
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert ids == {f"<skinterval.outbox.{pk}@localhost>"}
    row = OutboxMessage.objects.get(pk=pk)
    assert (row.status, row.worker_id) == (OutboxStatus.SENT, "other")


def test_a_failing_backend_is_retried_later_then_given_up(clinic, monkeypatch):
    (pk,) = due_messages(clinic, 1)

    class Down:
        def send_messages(self, messages):
            raise ConnectionRefusedError("smtp down")

        def close(self):
            pass

    monkeypatch.setattr(delivery, "get_connection", lambda **kw: Down())
    at = MORNING
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_due(clock=_at(at), worker_id="w").failed == 1
        row = OutboxMessage.objects.get(pk=pk)
        if attempt < MAX_ATTEMPTS:
            assert row.status == OutboxStatus.PENDING
            assert row.send_at > at  # backed off
            assert row.note == f"attempt {attempt} failed: ConnectionRefusedError"
            at = row.send_at
    assert row.status == OutboxStatus.FAILED
    assert "smtp down" not in row.note  # no error text (it can quote addresses)


def test_a_lease_about_to_run_out_hands_the_rest_back(clinic):
    due_messages(clinic, 3)
    claim = claim_due(now=MORNING, worker_id="w", limit=3, lease=LEASE)
    times = iter([MORNING, MORNING, MORNING + LEASE - timedelta(seconds=5)])
    outcome = deliver(
        claim, clock=lambda: next(times), send_timeout=timedelta(seconds=10)
    )
    assert outcome.sent == 1
    confirmations = OutboxMessage.objects.filter(kind="booking_confirmation")
    assert sorted(confirmations.values_list("status", flat=True)) == [
        OutboxStatus.PENDING,
        OutboxStatus.PENDING,
        OutboxStatus.SENT,
    ]


@override_settings(SKINTERVAL_SMS_BACKEND="skinterval.reminders.sms.LocmemSmsBackend")
def test_text_messages_go_through_the_configured_backend(clinic):
    LocmemSmsBackend.outbox.clear()
    clinic.patient.phone = "+44 7700 900123"
    clinic.patient.save(update_fields=["phone"])
    set_contact_preference(
        patient=clinic.patient,
        group=KindGroup.APPOINTMENTS,
        channel=Channel.SMS,
        enabled=True,
        now=NOW,
        via="test",
    )
    appointment = book(clinic, local(TUESDAY, 10))
    sms = OutboxMessage.objects.get(
        appointment=appointment, kind="booking_confirmation", channel=Channel.SMS
    )
    send_due(clock=lambda: MORNING, worker_id="w")
    assert LocmemSmsBackend.outbox == [
        {
            "to": "+44 7700 900123",
            "body": "Clinic A: your appointment is booked for Tuesday 12 January "
            "2027 at 10:00.",
            "message_id": f"outbox-{sms.pk}",
        }
    ]
    assert len(mail.outbox) == 1  # and the email too


def test_without_a_gateway_no_text_message_is_scheduled(clinic):
    clinic.patient.phone = "+44 7700 900123"
    clinic.patient.save(update_fields=["phone"])
    set_contact_preference(
        patient=clinic.patient,
        group=KindGroup.APPOINTMENTS,
        channel=Channel.SMS,
        enabled=True,
        now=NOW,
        via="test",
    )
    book(clinic, local(TUESDAY, 10))
    assert not OutboxMessage.objects.filter(channel=Channel.SMS).exists()


def test_the_command_sends_what_is_due_once(clinic):
    from io import StringIO

    import time_machine
    from django.core.management import call_command

    due_messages(clinic, 2)
    out = StringIO()
    with time_machine.travel(MORNING, tick=False):
        call_command("send_due_messages", "--once", stdout=out)
    assert "sent 2," in out.getvalue()
    assert len(mail.outbox) == 2
