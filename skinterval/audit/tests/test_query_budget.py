"""What the audit log costs a request: pages that list many patients write one
event, and a request's reads are written together, in one INSERT (after taking
the writers' gate, on PostgreSQL), whatever the number of rows on the page. The
seal comes after the commit, in the background on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skinterval import testing as t
from skinterval.audit.models import AuditEvent

MONDAY = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(MONDAY, tick=False):
        yield


def _patients_today(world, count, start=0):
    for i in range(start, start + count):
        patient = t.make_patient(world.clinic)
        starts = datetime(2027, 1, 4, 9, 0, tzinfo=UTC) + timedelta(minutes=20 * i)
        t.make_appointment(
            world,
            patient=patient,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=15),
            blocked_from_at=starts,
            blocked_until_at=starts + timedelta(minutes=15),
        )


def _audit_sql(queries):
    return [q["sql"] for q in queries if "audit_auditevent" in q["sql"]]


def _get(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return queries.captured_queries


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (reverse("clinics:dashboard"), None),
        (reverse("calendar:events"), {"start": "2027-01-04", "end": "2027-01-11"}),
        (reverse("patients:list"), None),
    ],
    ids=["dashboard", "calendar", "patient list"],
)
def test_a_list_page_writes_one_event_whatever_its_length(
    url, params, world_a, as_user
):
    client = as_user(world_a.front_desk.user)
    _patients_today(world_a, 2)
    client.get(url, params or {})  # warm the session
    few = _get(client, url, params)
    _patients_today(world_a, 12, start=2)
    before = AuditEvent.objects.count()
    many = _get(client, url, params)

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.object_id == ""
    assert event.row_count is not None
    assert event.row_count >= 14
    inserts = [s for s in _audit_sql(many) if s.startswith("INSERT")]
    assert len(inserts) == 1
    # The audit log's share: one insert.
    assert len(_audit_sql(many)) == 1
    assert len(many) == len(few)


def test_the_dashboards_event_counts_the_patients_it_names(world_a, as_user):
    _patients_today(world_a, 5)
    _get(as_user(world_a.front_desk.user), reverse("clinics:dashboard"))
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert (event.object_type, event.row_count) == ("patients.patient", 5)


def _statements(queries):
    """The statements a request sent, without the test's savepoints."""
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.parametrize("url", [reverse("portal:home"), reverse("portal:plan")])
def test_reads_cost_one_insert_nothing_more(url, world_a, pat, as_user, monkeypatch):
    """A portal page: Pat's record is loaded by the decorator and by the view,
    the event is written once, and the actor's role costs no query of its own.
    Measured against the same page with the loaders' recording switched off."""
    client = as_user(pat)
    client.get(url)
    audited = _statements(_get(client, url))
    monkeypatch.setattr("skinterval.patients.queries.record_read", _nothing)
    plain = _statements(_get(client, url))

    extra = [s for s in audited if s not in plain]
    # PostgreSQL first takes the writers' gate (shared: writers never wait for
    # each other): one statement more, and no other.
    gate = [s for s in extra if "pg_advisory_xact_lock_shared" in s]
    assert len(gate) == (connection.vendor == "postgresql")
    writes = [s for s in extra if s not in gate]
    assert [s.split()[0] for s in writes] == ["INSERT"]
    assert "audit_auditevent" in writes[0]
    assert len(audited) == len(plain) + 1 + len(gate)


def _nothing(*args, **kwargs):
    return None
