"""Measure slot search and booking on one database; run as a subprocess by
bench/bench_scheduling.py, which chooses the database through the environment.

Prints one JSON list of results on stdout; progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def say(message: str) -> None:
    print(f"[bench]     {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def slot_search(clinic: Any, db: str, searches: int = 200) -> list[dict[str, Any]]:
    from bench.scheduling_data import FIRST_DAY
    from skinterval.appointments.models import ServiceKind, ServiceType
    from skinterval.appointments.queries import find_slots_for
    from skinterval.domain import wallclock
    from skinterval.patients.models import Patient

    rng = random.Random(11)
    service = ServiceType.objects.get(clinic=clinic, kind=ServiceKind.MICRONEEDLING)
    patients = list(Patient.objects.filter(clinic=clinic)[:500])
    timings: list[float] = []
    found: list[int] = []
    for n in range(searches + 20):
        first_on = FIRST_DAY + timedelta(days=rng.randint(30, 700))
        now = wallclock.to_utc(first_on - timedelta(days=1), dtime(12), clinic.zone)
        started = time.perf_counter()
        options = find_slots_for(
            clinic=clinic,
            service=service,
            first_on=first_on,
            last_on=first_on + timedelta(days=13),
            target_on=first_on + timedelta(days=7),
            now=now,
            patient=rng.choice(patients),
            limit=10,
            per_day_limit=3,
        )
        elapsed = (time.perf_counter() - started) * 1000
        if n >= 20:  # the first searches warm caches and connections
            timings.append(elapsed)
            found.append(len(options))
    say(
        f"slot search: {len(timings)} searches, mean {statistics.mean(found):.1f} slots"
    )
    params = {
        "db": db,
        "searches": searches,
        "window_days": 14,
        "appointments": 200_000,
        "practitioners": 20,
        "rooms": 10,
        "devices": 4,
        "seed": 2027,
    }
    return [
        {
            "name": "slot_search_p50_ms",
            "value": round(percentile(timings, 50), 2),
            "unit": "ms",
            "params": params,
        },
        {
            "name": "slot_search_p95_ms",
            "value": round(percentile(timings, 95), 2),
            "unit": "ms",
            "params": params,
        },
    ]


def _race(jobs: list[Any]) -> Counter[str]:
    from django.db import connections

    from skinterval.appointments.errors import SlotTaken

    barrier = threading.Barrier(len(jobs))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(job: Any) -> None:
        try:
            barrier.wait()
            job()
            result = "won"
        except SlotTaken:
            result = "taken"
        except Exception as exc:
            result = "error"
            say(f"server error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def same_slot(clinic: Any, db: str, racers: int = 50) -> list[dict[str, Any]]:
    from bench.scheduling_data import FIRST_DAY
    from skinterval.appointments.models import Appointment, ServiceKind, ServiceType
    from skinterval.appointments.services import book_appointment
    from skinterval.clinics.models import Device, Room, StaffMember
    from skinterval.domain import wallclock
    from skinterval.patients.models import Patient

    service = ServiceType.objects.get(clinic=clinic, kind=ServiceKind.MICRONEEDLING)
    member = StaffMember.objects.filter(clinic=clinic).order_by("pk")[0]
    day = FIRST_DAY + timedelta(days=800)
    while (day.weekday() + 0) % 7 >= 5:
        day += timedelta(days=1)
    rooms = list(Room.objects.filter(clinic=clinic))
    devices = list(Device.objects.filter(clinic=clinic))
    patients = list(Patient.objects.filter(clinic=clinic)[:racers])
    base = wallclock.to_utc(day, dtime(10), clinic.zone)
    now = base - timedelta(days=30)

    def job(n: int) -> Any:
        return lambda: book_appointment(
            patient=patients[n],
            service_type=service,
            practitioner=member,
            room=rooms[n % len(rooms)],
            device=devices[n % len(devices)],
            starts_at=base + timedelta(minutes=15 * (n % 3)),
            now=now,
        )

    outcomes = _race([job(n) for n in range(racers)])
    Appointment.objects.filter(
        clinic=clinic, starts_at__gte=base - timedelta(days=1)
    ).delete()
    say(f"same slot: {dict(outcomes)}")
    params = {"db": db, "concurrent": racers, "practitioner": 1}
    return [
        {
            "name": "booking_same_slot_winners",
            "value": outcomes["won"],
            "unit": "count",
            "params": params,
        },
        {
            "name": "booking_same_slot_server_errors",
            "value": outcomes["error"],
            "unit": "count",
            "params": params,
        },
    ]


def _make_ceiling_table(connection: Any) -> None:
    """A copy of the appointments table that costs the database the same per
    insert: same columns, indexes, exclusion and check constraints (LIKE ...
    INCLUDING ALL), the same foreign keys, and the same rows already in it."""
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_insert_ceiling")
        cur.execute(
            "CREATE TABLE bench_insert_ceiling"
            " (LIKE appointments_appointment INCLUDING ALL)"
        )
        cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'appointments_appointment'::regclass AND contype = 'f'"
        )
        for (definition,) in cur.fetchall():
            cur.execute(f"ALTER TABLE bench_insert_ceiling ADD {definition}")
        cur.execute(
            "INSERT INTO bench_insert_ceiling SELECT * FROM appointments_appointment"
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('bench_insert_ceiling', 'id'),"
            " (SELECT max(id) FROM bench_insert_ceiling))"
        )
        cur.execute("ANALYZE bench_insert_ceiling")


def _start_sealer_service() -> subprocess.Popen[bytes]:
    """The audit sealer service (`manage.py seal_audit_log`), as production runs
    it beside the web workers (docs/deploy.md): the bookings' events are sealed
    by it, and its work on the database is part of what is measured."""
    return subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parent.parent / "manage.py"),
            "seal_audit_log",
        ],
        stdout=subprocess.DEVNULL,
    )


def _seconds_until_sealed(
    sealer: subprocess.Popen[bytes], timeout_s: float = 60.0
) -> float:
    """From the end of a booking round until the sealer service has sealed
    every event (requests never wait for it)."""
    from skinterval.audit.sealing import all_sealed

    started = time.perf_counter()
    while not all_sealed():
        if sealer.poll() is not None:
            raise RuntimeError(f"the audit sealer service exited ({sealer.returncode})")
        if time.perf_counter() - started > timeout_s:
            raise RuntimeError("the audit seal did not catch up within 60 s")
        time.sleep(0.01)
    return time.perf_counter() - started


def distinct_throughput(
    clinic: Any, db: str, workers: int = 4, per_worker: int = 200, rounds: int = 5
) -> list[dict[str, Any]]:
    """Bookings that never clash, through the booking service, against plain SQL
    inserts of the same rows into a copy of the table with the same constraints,
    foreign keys and data, by the same `workers` client processes
    (bench/booking_clients.py). Rounds alternate between the two so that a busy
    moment on the machine hits both; the median round of each is reported."""
    from django.db import connection

    from bench.booking_clients import Clients
    from bench.scheduling_data import FIRST_DAY
    from skinterval.appointments.models import Appointment, ServiceKind, ServiceType
    from skinterval.clinics.models import StaffMember
    from skinterval.domain import wallclock
    from skinterval.patients.models import Patient

    service = ServiceType.objects.get(clinic=clinic, kind=ServiceKind.CONSULTATION)
    staff = list(
        StaffMember.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    patients = list(
        Patient.objects.filter(clinic=clinic)
        .order_by("pk")
        .values_list("pk", flat=True)[: workers * per_worker]
    )
    zone = clinic.zone
    first_free = FIRST_DAY + timedelta(days=900)

    def plan_for(w: int, first_on: Any) -> list[tuple[int, Any, str]]:
        """(practitioner, patient, start) for client w: its own practitioner, on
        the days that practitioner works, every 30 minutes."""
        out: list[tuple[int, Any, str]] = []
        day = first_on
        while len(out) < per_worker:
            if (day.weekday() + w) % 7 < 5:
                for slot in range(24):
                    if len(out) == per_worker:
                        break
                    start = wallclock.to_utc(day, dtime(8), zone) + timedelta(
                        minutes=30 * slot
                    )
                    patient = patients[w * per_worker + len(out)]
                    out.append((staff[w], patient, start.isoformat()))
            day += timedelta(days=1)
        return out

    _make_ceiling_table(connection)
    clients = Clients(workers)
    sealer = _start_sealer_service()
    booking_rates, ceiling_rates, seal_waits = [], [], []
    try:
        for r in range(WARM_UP_ROUNDS + rounds):
            first_on = first_free + timedelta(days=60 * r)
            now = wallclock.to_utc(first_on - timedelta(days=1), dtime(0), zone)
            plans = [plan_for(w, first_on) for w in range(workers)]
            with connection.cursor() as cur:  # clear the last round's deleted rows
                cur.execute("VACUUM ANALYZE appointments_appointment")
                cur.execute("VACUUM ANALYZE bench_insert_ceiling")
            booking_s = clients.round(
                "book", plans, service_id=service.pk, now=now.isoformat()
            )
            seal_s = _seconds_until_sealed(sealer)
            booked = Appointment.objects.filter(
                clinic=clinic, starts_at__gte=wallclock.to_utc(first_on, dtime(0), zone)
            )
            rows = list(booked.values_list(*CEILING_COLUMNS))
            booked.delete()
            ceiling_s = clients.round(
                "insert",
                [rows[i::workers] for i in range(workers)],
                sql=CEILING_INSERT,
            )
            if r >= WARM_UP_ROUNDS:  # new connections, caches, prepared statements
                booking_rates.append(len(rows) / booking_s)
                ceiling_rates.append(len(rows) / ceiling_s)
                seal_waits.append(seal_s)
            say(
                f"distinct round {r + 1}{' (warm-up)' if r < WARM_UP_ROUNDS else ''}: "
                f"{len(rows)} booked in {booking_s:.2f} s (all sealed "
                f"{seal_s:.2f} s later), ceiling {ceiling_s:.2f} s"
            )
    finally:
        clients.close()
        sealer.terminate()
        sealer.wait(timeout=30)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE bench_insert_ceiling")
    params = {
        "db": db,
        "concurrent": workers,
        "clients": "processes",
        "bookings_per_round": workers * per_worker,
        "rounds": rounds,
        "warm_up_rounds": WARM_UP_ROUNDS,
        "statistic": "median round",
        "audit_sealer": "service process",
        "audit_sealed_within_s": round(max(seal_waits), 2),
    }
    return [
        {
            "name": "booking_distinct_per_s",
            "value": round(statistics.median(booking_rates), 1),
            "unit": "bookings/s",
            "params": params,
        },
        {
            "name": "insert_ceiling_per_s",
            "value": round(statistics.median(ceiling_rates), 1),
            "unit": "inserts/s",
            "params": params,
        },
    ]


def calendar_week(clinic: Any, db: str, requests: int = 50) -> list[dict[str, Any]]:
    """The staff calendar's JSON for one week of every practitioner, through
    Django's test Client as a logged-in practitioner, on the 200,000-appointment
    clinic and on a second clinic of 10,000 appointments with the same density
    (the same 20 practitioners' week, over 37 days instead of two years)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from bench.scheduling_data import FIRST_DAY, drop_clinic, generate
    from skinterval.clinics.models import StaffMember
    from skinterval.testing import log_in_client

    small = generate(
        appointments=10_000, days=37, patients=1_000, slug="bench-calendar-10k"
    )
    with connection.cursor() as cur:  # fresh planner statistics for both clinics
        cur.execute("ANALYZE appointments_appointment")
    monday = FIRST_DAY + timedelta(days=7)
    params = {
        "start": f"{monday.isoformat()}T00:00:00",
        "end": f"{(monday + timedelta(days=7)).isoformat()}T00:00:00",
        "timeZone": "Europe/London",
    }
    results = []
    try:
        for count, target in ((10_000, small), (200_000, clinic)):
            member = StaffMember.objects.filter(clinic=target).order_by("pk")[0]
            # Logged in with the second factor passed, as staff are.
            client = log_in_client(Client(), member.user)
            timings: list[float] = []
            with override_settings(ALLOWED_HOSTS=["testserver"]):
                for n in range(requests + 5):
                    started = time.perf_counter()
                    response = client.get(
                        reverse("calendar:events"), params, secure=True
                    )
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise SystemExit(f"calendar JSON: {response.status_code}")
                    if n >= 5:  # the first requests warm caches and connections
                        timings.append(elapsed)
            shown = sum(1 for e in response.json() if e.get("display") != "background")
            say(f"calendar week, {count} appointments: {shown} events shown")
            dashboard = _dashboard_ms(member.user, monday, requests)
            say(f"dashboard, {count} appointments: {dashboard:.1f} ms")
            results.append(
                {
                    "name": "dashboard_ms",
                    "value": round(dashboard, 2),
                    "unit": "ms",
                    "params": {
                        "db": db,
                        "appointments": count,
                        "practitioners": 20,
                        "requests": requests,
                        "statistic": "median",
                        "day": monday.isoformat(),
                    },
                }
            )
            results.append(
                {
                    "name": "calendar_week_ms",
                    "value": round(statistics.median(timings), 2),
                    "unit": "ms",
                    "params": {
                        "db": db,
                        "appointments": count,
                        "events_in_week": shown,
                        "practitioners": 20,
                        "requests": requests,
                        "statistic": "median",
                    },
                }
            )
    finally:
        drop_clinic(small)
    return results


def _dashboard_ms(user: Any, day: Any, requests: int) -> float:
    """Median server time of the staff dashboard on a busy day of the data set
    (the clock is set to that day's noon, so "today" has its appointments; the
    login happens on that day too, or its session would have expired)."""
    import time_machine
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from skinterval.testing import log_in_client

    timings: list[float] = []
    noon = datetime.combine(day, dtime(12), tzinfo=UTC)
    with (
        time_machine.travel(noon, tick=True),
        override_settings(ALLOWED_HOSTS=["testserver"]),
    ):
        client = log_in_client(Client(), user)
        for n in range(requests + 5):
            started = time.perf_counter()
            response = client.get(reverse("clinics:dashboard"), secure=True)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"dashboard: {response.status_code}")
            if n >= 5:
                timings.append(elapsed)
    return statistics.median(timings)


WARM_UP_ROUNDS = 1

CEILING_COLUMNS = (
    "clinic_id",
    "patient_id",
    "service_type_id",
    "practitioner_id",
    "location_id",
    "starts_at",
    "ends_at",
    "blocked_from_at",
    "blocked_until_at",
    "status",
)
CEILING_INSERT = (
    "INSERT INTO bench_insert_ceiling ("
    + ", ".join(CEILING_COLUMNS)
    + ", window_override_reason, outside_window, cancellation_reason, sequence,"
    " created_at, updated_at) VALUES ("
    + ", ".join(["%s"] * len(CEILING_COLUMNS))
    + ", '', false, '', 0, now(), now())"
)


def main() -> None:
    db = sys.argv[1]
    _setup()
    from bench.scheduling_data import generate

    started = time.perf_counter()
    clinic = generate()
    say(f"{db}: data ready in {time.perf_counter() - started:.1f} s")
    results = slot_search(clinic, db)
    results += same_slot(clinic, db)
    if db == "postgres":
        results += distinct_throughput(clinic, db)
        results += calendar_week(clinic, db)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
