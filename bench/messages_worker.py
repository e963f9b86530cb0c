"""Measure message delivery lag on one database; run as a subprocess by
bench/bench_messages.py, which chooses the database through the environment.

Writes `messages` outbox rows (booked appointments' confirmations) due evenly over
`spread_s` seconds starting a few seconds from now, starts `workers` real
`manage.py send_due_messages` processes, optionally kills one of them with
SIGKILL halfway through (and does not restart it), waits until every row is sent,
and reports the lag `sent_at - send_at`. Prints one JSON list on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START_DELAY_S = 4.0  # workers start and load Django before the first is due
INTERVAL_S = 0.5  # how long an idle worker sleeps
LEASE_S = 10.0


def say(message: str) -> None:
    print(f"[bench]     {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(messages: int, spread_s: float) -> Any:
    """A fresh clinic with `messages` due confirmations; returns the first due
    instant."""
    from django.db import transaction
    from django.utils import timezone

    from skinterval import testing as t
    from skinterval.appointments.models import Appointment, ServiceType
    from skinterval.clinics.models import Clinic
    from skinterval.reminders.models import MessagingSettings, OutboxMessage

    with transaction.atomic():
        n = Clinic.objects.filter(slug__startswith="bench-messages").count()
        clinic = t.make_clinic(
            name=f"Bench messages {n}", slug=f"bench-messages-{n}", timezone="UTC"
        )
        MessagingSettings.objects.create(
            clinic=clinic,
            quiet_hours_start=dtime(0),
            quiet_hours_end=dtime(0),
        )
        location = t.make_location(clinic)
        room = t.make_room(location)
        practitioner = t.make_staff(clinic, username=f"bench-messages-{n}")
        service = ServiceType.objects.create(
            clinic=clinic, kind="consultation", name="Consultation", duration_min=30
        )
        patients = [
            t.make_patient(clinic, email=f"bench{i}@example.test") for i in range(50)
        ]
        now = timezone.now()
        first_visit = now + timedelta(days=30)
        appointments = Appointment.objects.bulk_create(
            Appointment(
                clinic=clinic,
                patient=patients[i % len(patients)],
                service_type=service,
                practitioner=practitioner,
                location=location,
                room=room,
                starts_at=first_visit + timedelta(minutes=30 * i),
                ends_at=first_visit + timedelta(minutes=30 * i + 30),
                blocked_from_at=first_visit + timedelta(minutes=30 * i),
                blocked_until_at=first_visit + timedelta(minutes=30 * i + 30),
            )
            for i in range(messages)
        )
        first_due = now + timedelta(seconds=START_DELAY_S)
        step = spread_s / max(messages - 1, 1)
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                clinic=clinic,
                patient=a.patient,
                appointment=a,
                kind="booking_confirmation",
                channel="email",
                due_at=first_due + timedelta(seconds=i * step),
                send_at=first_due + timedelta(seconds=i * step),
                expires_at=a.starts_at,
                appointment_sequence=0,
            )
            for i, a in enumerate(appointments)
        )
    return clinic


def measure(messages: int, workers: int, spread_s: float, kill: bool) -> dict[str, Any]:
    from skinterval.reminders.models import OutboxMessage, OutboxStatus

    clinic = seed(messages, spread_s)
    rows = OutboxMessage.objects.filter(clinic=clinic)
    env = {**os.environ, "LOG_LEVEL": "ERROR"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "send_due_messages",
                "--interval",
                str(INTERVAL_S),
                "--lease",
                str(LEASE_S),
                "--worker-id",
                f"bench-{n}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    started = time.monotonic()
    killed = False
    deadline = started + START_DELAY_S + spread_s + LEASE_S + 60
    try:
        while time.monotonic() < deadline:
            open_rows = rows.exclude(status=OutboxStatus.SENT).count()
            if not open_rows:
                break
            holding = rows.filter(status=OutboxStatus.SENDING, worker_id="bench-0")
            if kill and not killed and open_rows <= messages // 2 and holding.exists():
                # Killed while it holds a claim: those rows wait for the lease.
                procs[0].send_signal(signal.SIGKILL)
                procs[0].wait()
                killed = True
            time.sleep(0.01 if kill and not killed else 0.2)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
    lags = [
        (sent - due).total_seconds()
        for sent, due in rows.filter(status=OutboxStatus.SENT).values_list(
            "sent_at", "send_at"
        )
        if sent is not None
    ]
    return {
        "lags": lags,
        "lost": messages - len(lags),
        "killed": killed,
    }


def main(db: str) -> None:
    _setup()
    messages = int(os.environ.get("BENCH_MESSAGES", "1000"))
    spread_s = float(os.environ.get("BENCH_MESSAGES_SPREAD_S", "20"))
    results: list[dict[str, Any]] = []
    for workers, kill in ((1, False), (2, False), (2, True)):
        say(
            f"{db}: {messages} messages over {spread_s:g} s, {workers} workers"
            + (", one killed halfway" if kill else "")
        )
        got = measure(messages, workers, spread_s, kill)
        lags = got["lags"]
        params = {
            "db": db,
            "messages": messages,
            "workers": workers,
            "spread_s": spread_s,
            "idle_interval_s": INTERVAL_S,
            "lease_s": LEASE_S,
            "worker_killed": got["killed"],
            "lost": got["lost"],
        }
        results.append(
            {
                "name": "message_lag_p99_s",
                "value": round(percentile(lags, 99), 3) if lags else -1.0,
                "unit": "s",
                "params": params,
            }
        )
        results.append(
            {
                "name": "message_lag_p50_s",
                "value": round(percentile(lags, 50), 3) if lags else -1.0,
                "unit": "s",
                "params": params,
            }
        )
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
