"""Sealing: covering the newest audit events with one link of the hash chain.

An event is inserted as it happens (`services.record_write`, `record`, or folded
into the booking's one statement) and never changed. After its transaction
commits, a seal (`AuditSeal`) covers it: one row hashing every event with an id
in (the previous seal's end, the *settled horizon*], chained to the previous
seal. One seal serves every event of its moment, so an event costs the database
one insert, and concurrent bookings never queue on the chain.

The settled horizon is the highest id below which no event can still appear.
Ids are handed out before their transaction commits, so a transaction that began
first can commit last, with a lower id than rows sealed already; a range sealed
too early would miss it. So on PostgreSQL every writer of an event holds the
*writers' gate* (an advisory lock, shared) from before its id is drawn until it
commits, and the sealer, before reading the sequence, takes the gate exclusively
for an instant: every id drawn before that instant belongs to a transaction that
has ended, committed (visible now) or rolled back (a gap for good). The sealer
waits at most `_GATE_WAIT_MS` for the gate, so a long transaction holding it
only postpones the seal, and holds it for one short query. SQLite runs one
writer at a time: the sealing transaction itself holds the write lock.

Who seals, after a commit:

- PostgreSQL: one background thread per process (`_Sealer`). The committing
  thread only wakes it and goes on; the sealer seals everything of the last
  moment in one batch, so a booking's thread does no seal work at all.
- SQLite: the committing thread itself, at once. So does PostgreSQL with
  `AUDIT_SEAL_IN_BACKGROUND = False` (the test suite, whose per-test
  transactions another thread could not see).

Events stay unsealed only while their process lives between the commit and the
seal (milliseconds): if it dies, the next seal, the owner's page or
`verify_audit_log` covers them (docs/decisions/0012-audit-log.md).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from skinterval.audit.models import (
    CONTENT_FIELDS,
    GENESIS_HASH,
    AuditEvent,
    AuditSeal,
    event_digests,
    seal_hash,
)

logger = logging.getLogger(__name__)

# Any fixed numbers: the keys of two PostgreSQL advisory locks. The chain's
# lock puts sealers in one line (each seal continues the one before it); the
# writers' gate is described above.
CHAIN_LOCK_KEY = 727_101
WRITERS_GATE_KEY = 727_102
# The statement a writer runs (in its transaction, before the insert) to hold
# the gate until it commits; `GATE_STEP` is the same as a FROM item, for a
# writer that inserts its event inside a larger statement.
GATE_SQL = f"SELECT pg_advisory_xact_lock_shared({WRITERS_GATE_KEY})"
GATE_STEP = f"(SELECT pg_advisory_xact_lock_shared({WRITERS_GATE_KEY})) AS gate"
# How long a sealer waits for the writers' gate before trying again later.
_GATE_WAIT_MS = 50
# Events covered per seal at most; a longer backlog takes several seals.
_SEAL_BATCH = 1000
# How long the background sealer lets commits gather before one seal.
_GATHER_S = 0.1
# How often `seal_pending` tries a busy chain (up to about a second).
_PENDING_TRIES = 20
_EVENTS = AuditEvent._meta.db_table


def chain_head() -> tuple[str, int, int]:
    """Where the next seal continues: the newest link's hash, the next seal's
    place, and the id after which its events start. Before the first seal, the
    newest row of the older row chain (or the genesis hash), and the id just
    before the first event that chain did not cover."""
    seal = (
        AuditSeal.objects.order_by("-position")
        .values_list("seal_hash", "position", "up_to_id")
        .first()
    )
    if seal is not None:
        return seal[0], seal[1] + 1, seal[2]
    row = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("-chain_position")
        .values_list("row_hash", flat=True)
        .first()
    )
    first_unchained = (
        AuditEvent.objects.filter(chain_position__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    return row or GENESIS_HASH, 1, (first_unchained or 1) - 1


def seal_pending() -> int:
    """Seal every event committed before the call; how many events the seals
    covered.

    Called by many threads (and processes) at once. On PostgreSQL a sealer does
    not queue for the chain's lock: it tries again a moment later (the holder
    may have taken its horizon before this call's events committed), for at
    most `_PENDING_TRIES` tries. When the lock or the writers' gate stays busy
    that long (a long transaction wrote an event), the events wait for a
    later seal."""
    sealed = 0
    for _ in range(_PENDING_TRIES):
        locked, batch = _seal_batch()
        sealed += batch
        if locked and batch < _SEAL_BATCH:
            break
        if not locked:
            time.sleep(_GATHER_S / 10)
    return sealed


def _seal_batch() -> tuple[bool, int]:
    """One seal: whether this call could seal (PostgreSQL: it got the chain's
    lock and the writers' gate, waiting for neither long), and how many events
    the seal covered."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A seal lost in a crash is redone from the events, so its
                # transaction need not wait for the disk.
                cursor.execute(
                    "SELECT set_config('synchronous_commit', 'off', true), "
                    "pg_try_advisory_xact_lock(%s)",
                    [CHAIN_LOCK_KEY],
                )
                row = cursor.fetchone()
            if not (row and row[1]):
                return False, 0
        horizon = _settled_horizon()
        if horizon is None:
            return False, 0
        return True, _seal_up_to(horizon)


def _settled_horizon() -> int | None:
    """The highest id that no event still being written can have (None: the
    writers' gate stayed busy). The caller holds the chain's lock."""
    if connection.vendor != "postgresql":
        # The sealing transaction holds SQLite's write lock: nobody is writing.
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        return last or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'), "
            "set_config('lock_timeout', %s, true)",
            [f"{_GATE_WAIT_MS}ms"],
        )
        row = cursor.fetchone()
        previous = row[0] if row else "0"
        try:
            with transaction.atomic():  # a timeout undoes only this
                cursor.execute(
                    "SELECT pg_advisory_lock(%s), pg_sequence_last_value("
                    "pg_get_serial_sequence(%s, 'id')::regclass), "
                    "pg_advisory_unlock(%s)",
                    [WRITERS_GATE_KEY, _EVENTS, WRITERS_GATE_KEY],
                )
                row = cursor.fetchone()
        except OperationalError:
            return None
        finally:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    return int(row[1] or 0) if row else 0


def _seal_up_to(horizon: int) -> int:
    """Cover the oldest unsealed events up to `horizon` with one seal; the
    caller holds the chain's lock."""
    prev_hash, position, after_id = chain_head()
    if horizon <= after_id:
        return 0
    rows: list[dict[str, Any]] = list(
        AuditEvent.objects.filter(
            id__gt=after_id, id__lte=horizon, chain_position__isnull=True
        )
        .order_by("id")
        .values("id", *CONTENT_FIELDS)[:_SEAL_BATCH]
    )
    if not rows:
        return 0
    up_to_id = rows[-1]["id"] if len(rows) == _SEAL_BATCH else horizon
    digests = event_digests(rows)
    AuditSeal(
        position=position,
        after_id=after_id,
        up_to_id=up_to_id,
        event_count=len(rows),
        event_digests=digests,
        prev_hash=prev_hash,
        seal_hash=seal_hash(prev_hash, after_id, up_to_id, digests),
        sealed_at=timezone.now(),
    ).save()
    return len(rows)


def seal_after_commit() -> None:
    """Have the events the current transaction wrote sealed once it commits
    (at once when there is no transaction). A failure to seal is logged and the
    events wait for the next seal."""
    transaction.on_commit(_seal_soon, robust=True)


def _seal_soon() -> None:
    if connection.vendor == "postgresql" and settings.AUDIT_SEAL_IN_BACKGROUND:
        _sealer.wake()
    else:
        seal_pending()


def wait_for_seal(timeout_s: float = 10.0) -> bool:
    """Block until this process's sealer has sealed everything committed before
    the call (True), or `timeout_s` passed (False). For process exit, tests and
    measurements; requests never wait for the seal."""
    return _sealer.drain(timeout_s)


class _Sealer:
    """The process's background sealer (PostgreSQL).

    `wake()` costs the committing thread a flag and, once per process, starting
    the thread. The thread lets commits gather for `_GATHER_S`, seals them in
    one batch, and goes on until no wake-up arrived during its last batch,
    then closes its database connection and sleeps: an idle process holds no
    connection for it. A fork (gunicorn's workers) starts its own thread."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self) -> None:
        with self._idle:  # the flag and the note together: see `_run`
            self._busy = True
            self._wake.set()
        if self._thread is None or self._pid != os.getpid():
            with self._start:
                if self._thread is None or self._pid != os.getpid():
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, name="audit-sealer", daemon=True
                    )
                    self._thread.start()

    def drain(self, timeout_s: float) -> bool:
        if self._thread is None or self._pid != os.getpid():
            return True
        with self._idle:
            return self._idle.wait_for(lambda: not self._busy, timeout_s)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            try:
                while self._wake.is_set():
                    # Let the commits of the next moment join this
                    # batch: one seal's fixed cost then serves them all.
                    time.sleep(_GATHER_S)
                    self._wake.clear()
                    locked, sealed = _seal_batch()
                    if not locked or sealed == _SEAL_BATCH:
                        # Another process holds the chain (and may have looked
                        # before our events committed), the writers' gate was
                        # busy, or a backlog: again.
                        self._wake.set()
            except Exception:
                # The events stay unsealed and are covered by the next seal.
                logger.exception("Sealing audit events failed")
            finally:
                connection.close()
                with self._idle:
                    if not self._wake.is_set():
                        self._busy = False
                        self._idle.notify_all()


_sealer = _Sealer()
# A process that exits just after a write seals it first (gunicorn's workers,
# management commands); a killed process leaves it to the next seal.
atexit.register(wait_for_seal, 5.0)
