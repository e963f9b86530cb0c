"""Concurrent booking clients as separate processes, for `booking_distinct_per_s`
and its ceiling.

In production, bookings arrive at several gunicorn worker *processes*
(docs/deploy.md), each with its own interpreter and database connection; the
benchmark's clients are the same: each is a process that sets Django up once and
then, round after round, either books its rows through the real
`book_appointment` or inserts them with plain prepared SQL (the ceiling). Both
kinds of round run in the same processes with the same concurrency. Setting up
and loading the rows happen before a barrier; the parent's clock runs from the
barrier to the last client's answer.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from typing import Any

# One row to book: (practitioner id, patient id (a UUID), start as an ISO instant).
BookingRow = tuple[int, Any, str]


class Clients:
    """`count` client processes; `round(kind, chunks)` gives chunk i to client i
    and returns the seconds from the start signal to the last client's answer."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._barrier = context.Barrier(count + 1)
        self._pipes: list[Connection] = []
        self._processes = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(
                target=_client, args=(child, self._barrier), daemon=True
            )
            process.start()
            self._pipes.append(parent)
            self._processes.append(process)
        for pipe in self._pipes:
            _expect(pipe.recv(), "ready")

    def round(self, kind: str, chunks: list[Any], **extra: Any) -> float:
        for pipe, chunk in zip(self._pipes, chunks, strict=True):
            pipe.send((kind, chunk, extra))
        self._barrier.wait()  # every client has loaded its rows
        started = time.perf_counter()
        answers = [pipe.recv() for pipe in self._pipes]
        elapsed = time.perf_counter() - started
        for answer in answers:
            _expect(answer, "done")
        return elapsed

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.send(("stop", None, {}))
        for process in self._processes:
            process.join(timeout=30)


def _expect(answer: Any, word: str) -> None:
    if not (isinstance(answer, tuple) and answer[0] == word):
        raise RuntimeError(f"a booking client failed: {answer!r}")


def _client(pipe: Connection, barrier: Barrier) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    pipe.send(("ready",))
    while True:
        kind, chunk, extra = pipe.recv()
        if kind == "stop":
            return
        try:
            work = _book if kind == "book" else _insert
            run = work(chunk, **extra)
            barrier.wait()
            run()
            pipe.send(("done",))
        except Exception as exc:  # reported to the parent, which stops the run
            pipe.send(("failed", f"{type(exc).__name__}: {exc}"))
            return


def _book(rows: list[BookingRow], *, service_id: int, now: str) -> Any:
    """Load what a request would have loaded (patient with clinic, practitioner,
    service), then book every row. The audit seal is the sealer service's work
    (a process of its own, started by the benchmark as in production)."""
    from skinterval.appointments.models import ServiceType
    from skinterval.appointments.services import book_appointment
    from skinterval.clinics.models import StaffMember
    from skinterval.patients.models import Patient

    service = ServiceType.objects.get(pk=service_id)
    members = StaffMember.objects.in_bulk({row[0] for row in rows})
    patients = Patient.objects.select_related("clinic").in_bulk(
        {row[1] for row in rows}
    )
    at = datetime.fromisoformat(now)
    jobs = [
        (members[m], patients[p], datetime.fromisoformat(start)) for m, p, start in rows
    ]

    def run() -> None:
        for member, patient, start in jobs:
            book_appointment(
                patient=patient,
                service_type=service,
                practitioner=member,
                starts_at=start,
                now=at,
            )

    return run


def _insert(rows: list[tuple[Any, ...]], *, sql: str) -> Any:
    """Plain prepared INSERTs of the same rows, autocommit, on a connection
    opened before the start (as the booking clients' connections are)."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or "",
        dbname=db["NAME"],
        autocommit=True,
    )

    def run() -> None:
        with conn:
            for row in rows:
                conn.execute(sql, row, prepare=True)

    return run
