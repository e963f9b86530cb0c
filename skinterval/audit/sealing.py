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

Who seals:

- PostgreSQL: the sealer service, a process of its own (`manage.py
  seal_audit_log`, `follow()`), one seal of everything written in the last
  `_GATHER_S`. Web workers and task workers only insert events: a booking's
  process does no seal work at all.
- SQLite, and PostgreSQL with `AUDIT_SEAL_AFTER_COMMIT = True` (the test
  suite): the committing thread itself, at once. SQLite runs one write at a
  time anyway.

Events wait unsealed for a moment (`_GATHER_S`), or longer while the service is
stopped: the owner's page and `verify_audit_log` seal them too, and report
how many wait (docs/decisions/0012-audit-log.md).
"""

from __future__ import annotations

import logging
import threading
import time
from enum import Enum
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
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
# How long the sealer service lets commits gather before one seal.
_GATHER_S = 0.1
# How often `seal_pending` tries a busy chain (up to about a second).
_PENDING_TRIES = 20
# While a writer keeps the gate, the sealer service waits longer between tries
# (up to this), and says so in the log once it has waited this long.
_GATE_BACKOFF_MAX_S = 5.0
_GATE_WARN_AFTER_S = 30.0
_EVENTS = AuditEvent._meta.db_table
# PostgreSQL: the last event id the sequence handed out (the table's name is
# the parameter).
_LAST_ID = "pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass)"


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
    most `_PENDING_TRIES` tries. When the writers' gate stays busy (a long
    transaction wrote an event) it gives up at once: waiting again would hold
    every new writer back again, and the events wait for a later seal."""
    sealed = 0
    for _ in range(_PENDING_TRIES):
        outcome, batch = _seal_batch()
        sealed += batch
        if outcome is _Outcome.GATE_BUSY or (
            outcome is _Outcome.SEALED and batch < _SEAL_BATCH
        ):
            break
        if outcome is _Outcome.CHAIN_BUSY:
            time.sleep(_GATHER_S / 10)
    return sealed


class _Outcome(Enum):
    SEALED = "sealed"  # possibly nothing, when nothing was waiting
    CHAIN_BUSY = "chain busy"  # another sealer holds the chain
    GATE_BUSY = "gate busy"  # a writer held the gate past `_GATE_WAIT_MS`


def _seal_batch() -> tuple[_Outcome, int]:
    """One seal, and how many events it covered."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
                row = cursor.fetchone()
            if not (row and row[0]):
                return _Outcome.CHAIN_BUSY, 0
        horizon = _settled_horizon()
        if horizon is None:
            return _Outcome.GATE_BUSY, 0
        return _Outcome.SEALED, _seal_up_to(horizon)


def _settled_horizon() -> int | None:
    """The highest id that no event still being written can have (None: the
    writers' gate stayed busy). The caller holds the chain's lock.

    PostgreSQL: the gate is taken inside a savepoint that is always rolled
    back, which releases it (and the lock timeout set for it) whatever
    happens; no lock can outlive the query. The sequence must hand out ids one
    at a time (`CACHE 1`, the default): with a cache, a backend could still
    hold lower ids than the sequence's last value."""
    if connection.vendor != "postgresql":
        # The sealing transaction holds SQLite's write lock: nobody is writing.
        return _newest_id()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{_GATE_WAIT_MS}ms"]
            )
            cursor.execute(
                f"SELECT pg_advisory_xact_lock(%s), {_LAST_ID}",
                [WRITERS_GATE_KEY, _EVENTS],
            )
            row = cursor.fetchone()
            transaction.set_rollback(True)  # releases the gate at once
    except OperationalError:  # the lock timeout: a writer kept the gate
        return None
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
    (at once when there is no transaction), when this process seals its own
    (`AUDIT_SEAL_AFTER_COMMIT`); else the sealer service will. A failure to seal
    is logged and the events wait for the next seal."""
    if settings.AUDIT_SEAL_AFTER_COMMIT:
        transaction.on_commit(seal_pending, robust=True)


def unsealed() -> QuerySet[AuditEvent]:
    """The committed events no seal covers yet."""
    _, _, after_id = chain_head()
    return AuditEvent.objects.filter(id__gt=after_id, chain_position__isnull=True)


def all_sealed() -> bool:
    """Whether every committed event is covered by a seal."""
    return not unsealed().exists()


def follow(stop: threading.Event, *, interval_s: float = _GATHER_S) -> None:
    """The sealer service's loop (`manage.py seal_audit_log`): every
    `interval_s`, one seal of what committed meanwhile, until `stop` is set.

    It runs in a process of its own: a sealing thread inside a web worker would
    hold that worker's interpreter lock while it hashes, and delay the answers
    of the requests it serves. When nothing was written since the last look,
    a look is one query. An error is logged and the loop goes on with a new
    connection (the events wait, unsealed, meanwhile)."""
    seen, busy_since, wait_s = -1, 0.0, interval_s
    while not stop.is_set():
        wait_s = interval_s
        try:
            newest = _newest_id()
            if newest != seen:
                outcome, sealed = _seal_batch()
                if outcome is _Outcome.SEALED:
                    busy_since = 0.0
                    if sealed == _SEAL_BATCH:
                        continue  # a backlog: at once
                    seen = newest
                elif outcome is _Outcome.GATE_BUSY:
                    # Each wait for the gate holds new writers back for up to
                    # `_GATE_WAIT_MS`: wait longer between tries while a long
                    # transaction keeps it.
                    busy_since = busy_since or time.monotonic()
                    busy_s = time.monotonic() - busy_since
                    wait_s = min(_GATE_BACKOFF_MAX_S, interval_s + busy_s / 4)
                    if busy_s >= _GATE_WARN_AFTER_S and busy_s - wait_s < (
                        _GATE_WARN_AFTER_S
                    ):
                        logger.warning(
                            "Audit events have waited %.0f s for their seal: a "
                            "transaction that wrote one is still open",
                            busy_s,
                        )
        except Exception:
            logger.exception("Sealing audit events failed")
            connection.close()
            seen = -1
        stop.wait(wait_s)
    connection.close()


def _newest_id() -> int:
    """The id of the newest event (PostgreSQL: the last id handed out)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_LAST_ID}", [_EVENTS])
            row = cursor.fetchone()
        return int(row[0] or 0) if row else 0
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0
