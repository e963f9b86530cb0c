"""The clinic owner's audit log page: their clinic's events only, filters,
pages, newest first, and the tamper check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from skinterval.audit.models import AuditEvent
from skinterval.audit.queries import verify_chain
from skinterval.audit.sealing import seal_pending
from skinterval.audit.services import record
from skinterval.audit.views import PAGE_SIZE

URL = reverse("audit:search")
# 23:30 UTC on 4 January is already the 5th in Auckland: days are the clinic's.
AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _view(user, obj, *, at=AT, ip="192.0.2.1"):
    return record(request_or_user=user, action="view", obj=obj, now=at, source_ip=ip)


def _page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    return response


def _ids(response):
    """The events listed, but the owner's own log-in (by the test client)."""
    return [
        entry.event.pk
        for entry in response.context["entries"]
        if entry.event.action != "login"
    ]


@pytest.fixture
def events(world_a, world_b):
    a = [
        _view(world_a.practitioner.user, world_a.patient, at=AT),
        _view(
            world_a.front_desk.user, world_a.other_patient, at=AT + timedelta(days=1)
        ),
        record(
            request_or_user=world_a.practitioner.user,
            action="update",
            obj=world_a.patient,
            now=AT + timedelta(days=2),
        ),
    ]
    b = [_view(world_b.practitioner.user, world_b.patient, at=AT + timedelta(days=1))]
    seal_pending()
    return a, b


def test_the_owner_sees_their_clinics_events_newest_first(
    events, olivia, as_user, world_a
):
    a, _ = events
    response = _page(as_user(olivia))
    assert _ids(response) == [e.pk for e in reversed(a)]
    text = response.content.decode()
    assert "Alice (Practitioner)" in text
    assert str(world_a.patient.pk) in text
    assert world_a.patient.given_name not in text  # the log holds ids only


def test_the_owner_of_b_sees_nothing_of_a(events, oscar, as_user, world_a):
    _, b = events
    response = _page(as_user(oscar))
    assert _ids(response) == [b[0].pk]
    clinics = {entry.event.clinic_id for entry in response.context["entries"]}
    assert clinics == {b[0].clinic_id}
    text = response.content.decode()
    assert str(world_a.patient.pk) not in text
    assert str(world_a.other_patient.pk) not in text
    # Even asked for A's object by id, B's owner finds nothing.
    asked = _page(
        as_user(oscar), object_type="patients.patient", object_id=world_a.patient.pk
    )
    assert _ids(asked) == []


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "pat"])
def test_anyone_but_an_owner_is_refused(persona, request, as_user, events):
    user = request.getfixturevalue(persona)
    response = as_user(user).get(URL)
    assert response.status_code == 403
    assert "192.0.2.1" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_filters(events, olivia, as_user, world_a):
    first, second, third = events[0]
    client = as_user(olivia)
    alice = world_a.practitioner.user
    assert _ids(_page(client, actor=f"user:{alice.pk}")) == [third.pk, first.pk]
    assert _ids(_page(client, action="update")) == [third.pk]
    assert _ids(
        _page(client, object_type="patients.patient", object_id=world_a.patient.pk)
    ) == [third.pk, first.pk]
    # Days are the clinic's (London: UTC in January), both ends inclusive.
    assert _ids(_page(client, from_on="2027-01-05", to_on="2027-01-05")) == [second.pk]
    assert _ids(_page(client, from_on="2027-01-05")) == [third.pk, second.pk]
    assert _ids(_page(client, to_on="2027-01-04")) == [first.pk]


def test_the_actor_filter_offers_roles(events, olivia, as_user, world_a, pat):
    patient_event = _view(pat, world_a.patient)
    response = _page(as_user(olivia), actor="role:patient")
    assert _ids(response) == [patient_event.pk]
    assert "Patient (login" in response.content.decode()


def test_a_date_range_the_wrong_way_round_is_explained(events, olivia, as_user):
    response = as_user(olivia).get(
        URL, {"from_on": "2027-01-06", "to_on": "2027-01-05"}
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["to_on"] == ["The end date is before the start date."]
    text = response.content.decode()
    assert 'value="2027-01-06"' in text  # what was typed is kept
    assert response.context["entries"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"from_on": "yesterday"},
        {"action": "peek"},
        {"actor": "user:not-a-number"},
        {"object_type": "../../etc"},
        {"page": "9999"},
        {"object_id": "x" * 65},
    ],
)
def test_bad_filters_never_cause_a_server_error(params, events, olivia, as_user):
    response = as_user(olivia).get(URL, params)
    assert response.status_code in (200, 422)


def test_pages_keep_the_filters(world_a, olivia, as_user):
    alice = world_a.practitioner.user
    made = [
        _view(alice, world_a.patient, at=AT + timedelta(minutes=i))
        for i in range(PAGE_SIZE + 5)
    ]
    client = as_user(olivia)
    first = _page(client, actor=f"user:{alice.pk}")
    assert _ids(first) == [e.pk for e in reversed(made)][:PAGE_SIZE]
    assert f"actor=user%3A{alice.pk}&amp;page=2" in first.content.decode()
    second = _page(client, actor=f"user:{alice.pk}", page=2)
    assert _ids(second) == [e.pk for e in reversed(made)][PAGE_SIZE:]


def test_the_page_says_the_chain_is_intact(events, olivia, as_user):
    response = _page(as_user(olivia))
    assert response.context["chain"].ok
    assert "Intact." in response.content.decode()


def _tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
            )


def test_the_page_says_when_the_chain_is_broken(events, olivia, oscar, as_user):
    a, _ = events
    _tamper("UPDATE audit_auditevent SET action = 'export' WHERE id = %s", [a[0].pk])
    own = _page(as_user(olivia))
    assert not own.context["chain"].ok
    assert f"Entry {a[0].pk} of this clinic" in own.content.decode()
    other = _page(as_user(oscar))
    text = other.content.decode()
    assert "An entry of another clinic" in text
    assert str(a[0].pk) not in text.split("Tamper check")[1].split("</section>")[0]


def test_the_page_checks_only_the_newest_rows(events, olivia, as_user, monkeypatch):
    """An old edit is beyond the page's check; the command checks everything."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from skinterval.audit import views

    a, _ = events
    _tamper("UPDATE audit_auditevent SET action = 'export' WHERE id = %s", [a[0].pk])
    _view(olivia, a[0])
    _view(olivia, a[0])
    seal_pending()  # a later seal of two events: enough for the page's check
    monkeypatch.setattr(views, "PAGE_CHECK_ROWS", 2)
    response = _page(as_user(olivia))
    chain = response.context["chain"]
    assert chain.ok
    assert not chain.complete
    assert 2 <= chain.rows_checked <= AuditEvent.objects.count() - 4
    assert not verify_chain().ok
    with pytest.raises(CommandError, match=f"broken at row {a[0].pk}"):
        call_command("verify_audit_log")


def test_verify_last_catches_an_edit_among_the_newest_rows(events, world_a):
    _view(world_a.practitioner.user, world_a.patient)
    _view(world_a.practitioner.user, world_a.patient)
    seal_pending()
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest is not None
    _tamper("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [newest.pk])
    report = verify_chain(last=2)
    assert (report.ok, report.broken_at_id, report.complete) == (
        False,
        newest.pk,
        False,
    )
