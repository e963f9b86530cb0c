"""The audit log: who did what, append-only, and tampering found by the chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from skinterval.audit.models import (
    CONTENT_FIELDS,
    GENESIS_HASH,
    AppendOnlyError,
    AuditAction,
    AuditEvent,
    AuditSeal,
)
from skinterval.audit.queries import verify_chain
from skinterval.audit.sealing import seal_pending
from skinterval.audit.services import record

AT = datetime(2027, 1, 4, 9, 30, 15, 123456, tzinfo=UTC)


def _request(user, ip="203.0.113.7"):
    request = RequestFactory().get("/anything/", REMOTE_ADDR=ip)
    request.user = user
    return request


def _three_events(world_a, pat):
    return [
        record(
            request_or_user=_request(world_a.practitioner.user),
            action=AuditAction.VIEW,
            obj=world_a.patient,
            now=AT,
        ),
        record(
            request_or_user=_request(pat, ip="2001:DB8::1"),
            action=AuditAction.VIEW,
            obj=world_a.patient,
            now=AT,
        ),
        record(
            request_or_user=world_a.front_desk.user,
            action=AuditAction.EXPORT,
            object_type="patients.patient",
            object_id="all",
            now=AT,
        ),
    ]


def test_a_row_says_who_where_what_when_and_from_where(world_a, pat):
    staff, patient, desk = _three_events(world_a, pat)
    staff.refresh_from_db()
    assert staff.actor_user_id == world_a.practitioner.user.pk
    assert staff.actor_role == "practitioner"
    assert staff.clinic_id == world_a.clinic.pk
    assert staff.action == "view"
    assert staff.object_type == "patients.patient"
    assert staff.object_id == str(world_a.patient.pk)
    assert staff.occurred_at == AT
    assert staff.source_ip == "203.0.113.7"

    patient.refresh_from_db()
    assert (patient.actor_role, patient.actor_user_id) == ("patient", pat.pk)
    assert patient.clinic_id == world_a.clinic.pk
    assert patient.source_ip == "2001:db8::1"

    # A user without a request: no address; the clinic is the actor's.
    assert (desk.actor_role, desk.source_ip) == ("front_desk", None)
    assert desk.clinic_id == world_a.clinic.pk


def test_no_names_or_clinical_values_are_written(world_a, pat):
    _three_events(world_a, pat)
    for event in AuditEvent.objects.all():
        text = event.canonical_content()
        for value in (
            world_a.patient.given_name,
            world_a.patient.family_name,
            world_a.patient.chart_number,
            world_a.practitioner.user.username,
            world_a.clinic.name,
        ):
            assert value not in text


def test_anonymous_and_system_actors(world_a):
    anonymous = record(request_or_user=_request(AnonymousUser()), action="login_failed")
    system = record(request_or_user=None, action="create", obj=world_a.patient)
    assert (anonymous.actor_role, anonymous.actor_user_id) == ("anonymous", None)
    assert anonymous.clinic_id is None
    assert (system.actor_role, system.clinic_id) == ("system", world_a.clinic.pk)


def test_unknown_actions_and_naive_times_are_refused(world_a):
    with pytest.raises(ValueError, match="action"):
        record(request_or_user=None, action="peek")
    with pytest.raises(ValueError, match="aware"):
        record(request_or_user=None, action="view", now=datetime(2027, 1, 4))  # noqa: DTZ001
    assert not AuditEvent.objects.exists()


def _sealed_three(world_a, pat):
    events = _three_events(world_a, pat)
    assert seal_pending() == 3
    return events


def test_one_seal_covers_the_events_of_its_moment(world_a, pat):
    """Events are inserted unsealed; one seal then covers them all, and the
    next seal continues it."""
    first, _, third = _three_events(world_a, pat)
    assert verify_chain().unsealed == 3
    assert seal_pending() == 3
    seal = AuditSeal.objects.get()
    assert (seal.position, seal.prev_hash) == (1, GENESIS_HASH)
    assert (seal.after_id, seal.up_to_id, seal.event_count) == (
        first.pk - 1,
        third.pk,
        3,
    )
    assert AuditEvent.objects.filter(row_hash__isnull=False).count() == 0
    fourth = record(request_or_user=None, action="view", obj=world_a.patient, now=AT)
    assert seal_pending() == 1
    second_seal = AuditSeal.objects.get(position=2)
    assert second_seal.prev_hash == seal.seal_hash
    assert (second_seal.after_id, second_seal.up_to_id) == (third.pk, fourth.pk)
    report = verify_chain()
    assert (report.ok, report.rows_checked, report.unsealed) == (True, 4, 0)


def test_the_application_cannot_change_a_row(world_a, pat):
    event = _three_events(world_a, pat)[0]
    event.action = "delete"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "view"


def test_the_application_cannot_delete_a_row(world_a, pat):
    event = _three_events(world_a, pat)[0]
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 3


def test_rows_are_added_by_record_only(world_a):
    """A row built by hand (with no or a made-up hash) is refused, and so is a
    bulk insert that would skip the chain."""
    forged = AuditEvent(
        occurred_at=AT, actor_role="system", action="view", prev_hash=GENESIS_HASH
    )
    with pytest.raises(AppendOnlyError):
        forged.save()
    forged.row_hash = "f" * 64
    with pytest.raises(AppendOnlyError):
        forged.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([forged])
    assert not AuditEvent.objects.exists()


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


_TRIGGERS = (
    ("audit_auditevent", "audit_event_append_only"),
    ("audit_auditseal", "audit_seal_append_only"),
)


def _tamper(sql, params=()):
    """Change rows behind the application's back. On PostgreSQL that takes the
    table owner switching the triggers off first (undone with the test's
    transaction), which is exactly what the hash chain is there to catch."""
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        for table, trigger in _TRIGGERS:
            _raw(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    _raw(sql, params)
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in _TRIGGERS:
            _raw(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        _raw("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "create"),
        ("actor_user_id", 999),
        ("object_id", "someone-else"),
        ("occurred_at", "2027-01-05 09:30:15.123456"),
        ("source_ip", "198.51.100.1"),
        ("row_count", 7),
    ],
)
def test_a_row_edited_behind_the_applications_back_is_found(
    column, value, world_a, pat
):
    _, second, _ = _sealed_three(world_a, pat)
    _tamper(
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608
        [value, second.pk],
    )
    report = verify_chain()
    assert not report.ok
    assert report.broken_at_id == second.pk
    assert report.rows_checked == 0
    assert "content" in report.reason


def test_a_resealed_range_breaks_the_link_to_the_next_seal(world_a, pat):
    """Whoever edits an event and recomputes its seal breaks the next seal's
    link."""
    from skinterval.audit.models import event_digests, seal_hash

    _, second, _ = _sealed_three(world_a, pat)
    fourth = record(request_or_user=None, action="view", obj=world_a.patient, now=AT)
    seal_pending()
    _tamper("UPDATE audit_auditevent SET action = 'create' WHERE id = %s", [second.pk])
    first_seal = AuditSeal.objects.get(position=1)
    rows = AuditEvent.objects.filter(id__lte=first_seal.up_to_id).order_by("id")
    digests = event_digests(rows.values("id", *CONTENT_FIELDS))
    forged = seal_hash(
        first_seal.prev_hash, first_seal.after_id, first_seal.up_to_id, digests
    )
    _tamper(
        "UPDATE audit_auditseal SET event_digests = %s, seal_hash = %s WHERE id = %s",
        [digests, forged, first_seal.pk],
    )
    report = verify_chain()
    assert not report.ok
    assert report.broken_at_id == fourth.pk
    assert "removed or added" in report.reason


def test_a_changed_count_of_sealed_entries_is_found(world_a, pat):
    """The owner's page picks the newest seals by their counts: a count made
    larger to hide older seals from it is found."""
    first, _, _ = _sealed_three(world_a, pat)
    _tamper("UPDATE audit_auditseal SET event_count = 3000")
    report = verify_chain(last=2000)
    assert (report.ok, report.broken_at_id) == (False, first.pk)
    assert "seal" in report.reason


def test_a_row_deleted_from_the_middle_is_found(world_a, pat):
    _, second, _ = _sealed_three(world_a, pat)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_at_id == second.pk
    assert "removed" in report.reason


def test_a_row_slipped_into_a_sealed_range_is_found(world_a, pat):
    """An id left free inside a sealed range (a transaction that rolled back)
    cannot be filled afterwards; nor can an id before the first seal."""
    first, second, third = _three_events(world_a, pat)
    fields = ", ".join(["id", *CONTENT_FIELDS])
    copy = (
        f"INSERT INTO audit_auditevent ({fields}) "  # noqa: S608 - our names only
        f"SELECT %s, {', '.join(CONTENT_FIELDS)} FROM audit_auditevent WHERE id = %s"
    )
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    assert seal_pending() == 2
    assert verify_chain().ok
    _tamper(copy, [second.pk, first.pk])
    report = verify_chain()
    assert (report.ok, report.broken_at_id) == (False, second.pk)
    assert "added" in report.reason
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    _tamper(copy, [first.pk - 1, third.pk])
    report = verify_chain()
    assert (report.ok, report.broken_at_id) == (False, first.pk - 1)
    assert "added" in report.reason


@pytest.mark.postgres_only
def test_postgresql_refuses_update_and_delete_whoever_asks(world_a, pat):
    event = _sealed_three(world_a, pat)[0]
    seal = AuditSeal.objects.get()
    for sql, pk in (
        ("UPDATE audit_auditevent SET action = 'delete' WHERE id = %s", event.pk),
        ("DELETE FROM audit_auditevent WHERE id = %s", event.pk),
        ("UPDATE audit_auditseal SET event_count = 2 WHERE id = %s", seal.pk),
        ("DELETE FROM audit_auditseal WHERE id = %s", seal.pk),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql, [pk])
    assert (AuditEvent.objects.count(), AuditSeal.objects.count()) == (3, 1)
    assert verify_chain().ok


def test_the_application_cannot_change_or_delete_a_seal(world_a, pat):
    _sealed_three(world_a, pat)
    seal = AuditSeal.objects.get()
    seal.event_count = 2
    with pytest.raises(AppendOnlyError):
        seal.save()
    with pytest.raises(AppendOnlyError):
        seal.delete()
    with pytest.raises(AppendOnlyError):
        AuditSeal.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditSeal.objects.update(event_count=2)
    assert verify_chain().ok


def test_the_rows_shown_by_a_list_are_in_the_hash(world_a):
    """`row_count` (added later) is hashed when set, and absent from the hashed
    text when not, so rows written before it still verify."""
    from skinterval.audit.services import record_list

    record(request_or_user=None, action="view", obj=world_a.patient, now=AT)
    record_list("patients.patient", user=world_a.front_desk.user, count=12)
    single, listed = AuditEvent.objects.order_by("id")
    assert "row_count" not in single.canonical_content()
    assert '"row_count":12' in listed.canonical_content()
    assert (listed.row_count, listed.object_id) == (12, "")
    assert verify_chain().ok


# ------------------------------------------------------- sealing after commit


def test_a_write_is_sealed_just_after_its_transaction_commits(
    world_a, django_capture_on_commit_callbacks
):
    """A service's event goes in with the change; a seal covers it once the
    change has committed. The event itself is never touched again."""
    from skinterval.audit.services import record_write

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE, by=world_a.front_desk)
        assert verify_chain().unsealed == 1
        assert not AuditSeal.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.prev_hash, event.row_hash, event.chain_position) == (None, None, None)
    assert AuditSeal.objects.get().event_count == 1
    assert verify_chain() == verify_chain().__class__(True, 1, unsealed=0)


def test_sealing_twice_changes_nothing(world_a):
    from skinterval.audit.services import record_write

    record_write(world_a.patient, AuditAction.UPDATE, by=world_a.front_desk)
    assert seal_pending() == 1
    assert seal_pending() == 0
    assert AuditSeal.objects.count() == 1


def test_the_first_seal_continues_the_older_row_chain(world_a):
    """Events from before seals carry their own row hashes; one a crash left
    unchained there is covered by the first seal, with the new events."""
    from skinterval.audit.models import canonical_content, chain_hash

    columns = ["id", *CONTENT_FIELDS]
    content = {
        "occurred_at": AT,
        "actor_user_id": None,
        "actor_role": "system",
        "clinic_id": world_a.clinic.pk,
        "action": "view",
        "object_type": "patients.patient",
        "object_id": "1",
        "source_ip": None,
        "row_count": None,
    }
    insert = (
        f"INSERT INTO audit_auditevent ({', '.join(columns)}, prev_hash, row_hash, "  # noqa: S608
        f"chain_position) VALUES ({', '.join(['%s'] * (len(columns) + 3))})"
    )
    values = [content[c] for c in CONTENT_FIELDS]
    first = chain_hash(GENESIS_HASH, canonical_content(content))
    second = chain_hash(first, canonical_content(content))
    _raw(insert, [101, *values, GENESIS_HASH, first, 1])
    _raw(
        insert.replace(", prev_hash, row_hash, chain_position", "").replace(
            ", %s, %s, %s)", ")"
        ),
        [102, *values],
    )
    _raw(insert, [103, *values, first, second, 2])
    if connection.vendor == "postgresql":  # SQLite's AUTOINCREMENT follows by itself
        _raw("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 103)")
    new = record(request_or_user=None, action="view", obj=world_a.patient, now=AT)
    assert new.pk > 103
    assert seal_pending() == 2
    seal = AuditSeal.objects.get()
    assert (seal.prev_hash, seal.after_id, seal.up_to_id) == (second, 101, new.pk)
    report = verify_chain()
    assert (report.ok, report.rows_checked, report.unsealed) == (True, 4, 0)
    assert verify_chain(last=2).complete is False
    assert verify_chain(last=4).complete is True


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_event_still_being_written_holds_back_the_seal(world_a):
    """An id is drawn before its transaction commits, so an event can commit
    after one with a higher id. The seal waits for it (the writers' gate)
    rather than seal past it, which would leave it outside the chain."""
    import psycopg

    from skinterval.audit.services import write_in_statement

    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
    )
    step, params = write_in_statement(
        world_a.patient, AuditAction.UPDATE, by=world_a.front_desk, written="w"
    )
    other.execute(f"WITH w AS (SELECT 1 AS id), logged AS ({step}) SELECT 1", params)
    row = other.execute("SELECT max(id) FROM audit_auditevent").fetchone()
    assert row is not None
    slow = row[0]
    fast = record(request_or_user=None, action="view", obj=world_a.patient)
    assert fast.pk > slow
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert seal_pending() == 0  # the slow writer still holds the gate
    # One wait for the gate, not one per try: each wait holds new writers back.
    gate_waits = [q for q in queries if "pg_advisory_xact_lock(" in q["sql"]]
    assert len(gate_waits) == 1
    other.commit()
    other.close()
    assert seal_pending() == 2
    report = verify_chain()
    assert (report.ok, report.rows_checked, report.unsealed) == (True, 2, 0)


def test_checking_many_small_seals_takes_a_few_queries(world_a):
    """A quiet clinic makes a seal per request; the owner's page checks the
    newest 2,000 events without a query per seal."""
    from django.test.utils import CaptureQueriesContext

    for _ in range(30):
        record(request_or_user=None, action="view", obj=world_a.patient)
        seal_pending()
    assert AuditSeal.objects.count() == 30
    with CaptureQueriesContext(connection) as queries:
        report = verify_chain(last=2000)
    assert (report.ok, report.rows_checked) == (True, 30)
    assert len(queries) <= 12  # whatever the number of seals
