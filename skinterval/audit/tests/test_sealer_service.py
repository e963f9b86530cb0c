"""On PostgreSQL the sealer service (`manage.py seal_audit_log`) seals audit
events after their commit: the committing thread does no seal work, and a
stopped sealer leaves no database connection. Concurrent bookings sealed this
way: appointments/tests/test_concurrency.py."""

from __future__ import annotations

import io
import threading
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


def test_a_write_is_sealed_by_the_sealer_service(sealer_service, world_a):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE)
    # The committing thread inserted the row (holding the writers' gate, shared)
    # and did nothing of the seal: no chain lock, no exclusive gate, no seal row.
    sql = [q["sql"] for q in captured]
    assert [s for s in sql if "advisory" in s] == [sealing.GATE_SQL]
    assert not [s for s in sql if "audit_auditseal" in s]
    assert sealer_service(10.0)
    event = AuditEvent.objects.get()
    seal = AuditSeal.objects.get()
    assert seal.after_id < event.pk <= seal.up_to_id
    report = verify_chain()
    assert (report.ok, report.rows_checked, report.unsealed) == (True, 1, 0)


def test_a_stopped_sealer_leaves_no_connection(world_a, settings):
    settings.AUDIT_SEAL_AFTER_COMMIT = False
    stop = threading.Event()
    service = threading.Thread(
        target=sealing.follow, args=(stop,), kwargs={"interval_s": 0.02}
    )
    service.start()
    with transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE)
    stop.set()
    service.join(timeout=10)
    assert not service.is_alive()
    assert _other_sessions() == 0


def test_sealing_once_from_the_command_line(world_a, settings):
    from django.core.management import call_command

    settings.AUDIT_SEAL_AFTER_COMMIT = False  # as in production: left to the service

    with transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE)
        record_write(world_a.patient, AuditAction.UPDATE)
    out = io.StringIO()
    call_command("seal_audit_log", "--once", stdout=out)
    assert out.getvalue().strip() == "Sealed 2 events."
    assert sealing.all_sealed()
