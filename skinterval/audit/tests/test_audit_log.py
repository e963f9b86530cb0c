"""The audit log: who did what, append-only, and tampering found by the chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from skinterval.audit.models import (
    GENESIS_HASH,
    AppendOnlyError,
    AuditAction,
    AuditEvent,
)
from skinterval.audit.queries import verify_chain
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


def test_each_row_continues_the_one_before(world_a, pat):
    first, second, third = _three_events(world_a, pat)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert verify_chain().ok
    assert verify_chain().rows_checked == 3


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


def _tamper(sql, params=()):
    """Change rows behind the application's back. On PostgreSQL that takes the
    table owner switching the trigger off first (undone with the test's
    transaction), which is exactly what the hash chain is there to catch."""
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    _raw(sql, params)
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE")
        _raw("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")
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
    _, second, _ = _three_events(world_a, pat)
    _tamper(
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608
        [value, second.pk],
    )
    report = verify_chain()
    assert not report.ok
    assert report.broken_at_id == second.pk
    assert report.rows_checked == 1
    assert "content" in report.reason


def test_a_rehashed_row_breaks_the_link_to_the_next(world_a, pat):
    """Whoever edits a row and recomputes its hash breaks the next row's link."""
    from skinterval.audit.models import chain_hash

    _, second, third = _three_events(world_a, pat)
    second.action = "create"
    forged_hash = chain_hash(second.prev_hash, second.canonical_content())
    _tamper(
        "UPDATE audit_auditevent SET action = 'create', row_hash = %s WHERE id = %s",
        [forged_hash, second.pk],
    )
    report = verify_chain()
    assert not report.ok
    assert report.broken_at_id == third.pk
    assert "removed or added" in report.reason


def test_a_row_deleted_from_the_middle_is_found(world_a, pat):
    _, second, third = _three_events(world_a, pat)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_at_id == third.pk


@pytest.mark.postgres_only
def test_postgresql_refuses_update_and_delete_whoever_asks(world_a, pat):
    event = _three_events(world_a, pat)[0]
    for sql in (
        "UPDATE audit_auditevent SET action = 'delete' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql, [event.pk])
    assert AuditEvent.objects.count() == 3
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
    """A service's event goes in unsealed, so that concurrent bookings do not
    queue on the chain's lock, and is chained once the change has committed."""
    from skinterval.audit.services import record_write

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record_write(world_a.patient, AuditAction.UPDATE, by=world_a.front_desk)
        waiting = AuditEvent.objects.get()
        assert (waiting.prev_hash, waiting.row_hash, waiting.chain_position) == (
            None,
            None,
            None,
        )
        assert verify_chain().unsealed == 1
    sealed = AuditEvent.objects.get()
    assert sealed.prev_hash == GENESIS_HASH
    assert sealed.chain_position == 1
    assert sealed.row_hash == sealed.expected_hash()
    assert verify_chain() == verify_chain().__class__(True, 1, unsealed=0)


def test_rows_are_chained_in_the_order_they_were_sealed(world_a, pat):
    """A row waiting unsealed (its transaction began first and committed last)
    is chained after rows sealed before it; the chain still verifies."""
    from skinterval.audit.sealing import seal_pending
    from skinterval.audit.services import record_write

    record_write(world_a.patient, AuditAction.UPDATE, by=world_a.front_desk)
    late = AuditEvent.objects.get()
    first, _, third = _three_events(world_a, pat)  # sealed as they go in
    assert (first.chain_position, third.chain_position) == (1, 3)
    assert first.prev_hash == GENESIS_HASH
    assert verify_chain().unsealed == 1
    assert seal_pending() == 1
    assert seal_pending() == 0
    late.refresh_from_db()
    assert late.pk < first.pk
    assert (late.chain_position, late.prev_hash) == (4, third.row_hash)
    report = verify_chain()
    assert (report.ok, report.rows_checked, report.unsealed) == (True, 4, 0)


def test_sealing_twice_changes_nothing(world_a):
    """The seal touches only rows without a hash."""
    from skinterval.audit.sealing import seal_pending
    from skinterval.audit.services import record_write

    record_write(world_a.patient, AuditAction.UPDATE, by=world_a.front_desk)
    seal_pending()
    before = AuditEvent.objects.values_list("row_hash", "chain_position").get()
    assert seal_pending() == 0
    assert AuditEvent.objects.values_list("row_hash", "chain_position").get() == before


@pytest.mark.postgres_only
def test_postgresql_allows_only_the_seal_of_an_unsealed_row(world_a):
    """The trigger lets a row without a hash be sealed once, with its content
    unchanged; changing content while sealing, or sealing again, is refused."""
    from skinterval.audit.models import chain_hash
    from skinterval.audit.sealing import seal_pending
    from skinterval.audit.services import record_write

    record_write(world_a.patient, AuditAction.UPDATE, by=world_a.front_desk)
    event = AuditEvent.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(
            "UPDATE audit_auditevent SET action = 'delete', prev_hash = %s, "
            "row_hash = %s, chain_position = 1 WHERE id = %s",
            [GENESIS_HASH, "a" * 64, event.pk],
        )
    assert seal_pending() == 1
    event.refresh_from_db()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(
            "UPDATE audit_auditevent SET row_hash = %s WHERE id = %s",
            [chain_hash(GENESIS_HASH, "forged"), event.pk],
        )
    assert verify_chain().ok
