"""On PostgreSQL a process's background thread seals services' audit events after
their commit: the committing thread does no seal work, and an idle sealer holds
no database connection. Concurrent bookings sealed this way:
appointments/tests/test_concurrency.py."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from skinterval.audit import sealing
from skinterval.audit.models import AuditAction, AuditEvent, AuditSeal
from skinterval.audit.queries import verify_chain
from skinterval.audit.services import record_write

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _other_sessions() -> int:
    """Sessions on the test database but ours, once the server has seen any
    connection closed just now go (a closed connection's server process takes a
    moment to end)."""
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (count,) = cursor.fetchone()
        if count == 0:
            break
        time.sleep(0.05)
    return int(count)


def test_a_write_is_sealed_by_the_background_thread(background_sealer, world_a):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE)
    # The committing thread inserted the row (holding the writers' gate, shared)
    # and did nothing of the seal: no chain lock, no exclusive gate, no seal row.
    sql = [q["sql"] for q in captured]
    assert [s for s in sql if "advisory" in s] == [sealing.GATE_SQL]
    assert not [s for s in sql if "audit_auditseal" in s]
    assert sealing.wait_for_seal(10.0)
    event = AuditEvent.objects.get()
    seal = AuditSeal.objects.get()
    assert seal.after_id < event.pk <= seal.up_to_id
    assert verify_chain().unsealed == 0
    assert verify_chain().ok


def test_an_idle_sealer_holds_no_connection(background_sealer, world_a):
    with transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE)
    assert sealing.wait_for_seal(10.0)
    assert _other_sessions() == 0
