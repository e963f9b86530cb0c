"""Real parallel bookings on PostgreSQL: exactly one wins, the rest are told the
time was taken, and nobody gets a server error — with the application's own
overlap check, and with it switched off so that only the database stands guard."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from skinterval import testing as t
from skinterval.appointments import services
from skinterval.appointments.errors import SlotTaken
from skinterval.appointments.models import Appointment, AppointmentStatus
from skinterval.appointments.services import book_appointment
from skinterval.appointments.tests.conftest import NOW, colleague, local
from skinterval.audit.models import AuditAction, AuditEvent
from skinterval.audit.queries import verify_chain

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TUESDAY = date(2027, 1, 5)
RACERS = 16


def race(jobs):
    """Run every job at once, each on its own database connection."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            job()
            result = "won"
        except SlotTaken:
            result = "taken"
        except Exception as exc:
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)


@pytest.fixture
def racers(bookable):
    """Separate patients, rooms and devices: only the shared resource under test
    can clash."""
    return [
        (
            t.make_patient(bookable.clinic),
            t.make_room(bookable.location),
            t.make_device(bookable.location),
        )
        for _ in range(RACERS)
    ]


def _job(w, patient, room, device, minute):
    def book():
        book_appointment(
            patient=patient,
            service_type=w.service,
            practitioner=w.practitioner,
            room=room,
            device=device,
            starts_at=local(TUESDAY, 10) + timedelta(minutes=minute),
            now=NOW,
        )

    return book


def test_one_winner_for_one_practitioner(bookable, racers):
    assert connection.vendor == "postgresql"
    jobs = [_job(bookable, p, r, d, 15 * (i % 3)) for i, (p, r, d) in enumerate(racers)]
    outcomes = race(jobs)
    assert outcomes == Counter({"won": 1, "taken": RACERS - 1})
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


@pytest.fixture
def without_app_check(monkeypatch):
    """Skip the application's overlap check: the database alone must refuse."""

    def trusting(appointment, *, now):
        return appointment.room.location_id

    monkeypatch.setattr(services, "_check_placement", trusting)


@pytest.mark.parametrize("shared", ["practitioner", "room", "device", "patient"])
def test_the_database_alone_stops_every_overlap(
    bookable, racers, without_app_check, shared
):
    jobs = []
    for i, (patient, room, device) in enumerate(racers):
        practitioner = bookable.practitioner
        if shared != "practitioner":
            practitioner = t.make_staff(bookable.clinic)
        kwargs = {
            "patient": bookable.patient if shared == "patient" else patient,
            "room": bookable.room if shared == "room" else room,
            "device": bookable.device if shared == "device" else device,
            "practitioner": practitioner,
        }

        def book(kwargs=kwargs, minute=15 * (i % 3)):
            book_appointment(
                service_type=bookable.service,
                starts_at=local(TUESDAY, 10) + timedelta(minutes=minute),
                now=NOW,
                **kwargs,
            )

        jobs.append(book)
    outcomes = race(jobs)
    assert outcomes == Counter({"won": 1, "taken": RACERS - 1})


def test_touching_appointments_do_not_clash(bookable, racers, without_app_check):
    """Half-open ranges: one ending at 11:15 (with buffer) and one starting then."""
    patient, room, device = racers[0]
    first = _job(bookable, patient, room, device, 0)
    first()
    second = _job(bookable, racers[1][0], racers[1][1], racers[1][2], 75)
    second()
    assert Appointment.objects.count() == 2


def test_concurrent_bookings_all_end_up_in_one_whole_chain(sealer_service, bookable):
    """Bookings from many threads (the fast path writes each event in the
    booking's own statement) are all sealed, each once, in one unbroken chain."""
    patients = [t.make_patient(bookable.clinic) for _ in range(12)]
    # Three of everything; thread n uses set n % 3, at its own time of day.
    practitioners = [bookable.practitioner, colleague(bookable), colleague(bookable)]
    rooms = [t.make_room(bookable.location) for _ in range(3)]
    devices = [t.make_device(bookable.location) for _ in range(3)]
    errors: list[str] = []

    def book(n: int) -> None:
        try:
            for week in range(4):
                book_appointment(
                    patient=patients[n],
                    service_type=bookable.service,
                    practitioner=practitioners[n % 3],
                    room=rooms[n % 3],
                    device=devices[n % 3],
                    starts_at=local(TUESDAY + timedelta(weeks=week), 9)
                    + timedelta(minutes=90 * (n // 3)),
                    now=NOW,
                )
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sealer_service(10.0)
    booked = set(Appointment.objects.values_list("pk", flat=True))
    assert len(booked) == 48
    created = AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="appointments.appointment"
    )
    assert {int(pk) for pk in created.values_list("object_id", flat=True)} == booked
    report = verify_chain()
    assert (report.ok, report.unsealed) == (True, 0)
    assert report.rows_checked == AuditEvent.objects.count()
