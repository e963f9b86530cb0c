"""Sealing: giving unsealed audit rows their place in the hash chain.

A service's event is inserted without hashes in the service's own transaction
(`services.record_write`, or folded into the booking's one statement) and sealed
after that transaction commits, so that concurrent bookings never queue on the
chain's one lock.

Who seals, after a commit:

- PostgreSQL: one background thread per process (`_Sealer`). The committing
  thread only wakes it and goes on; the sealer chains everything unsealed in one
  batch, so under load one seal serves many bookings and a booking's thread does
  no seal work at all.
- SQLite: the committing thread itself, at once. SQLite runs one write at a time
  anyway, so a second writing thread would only add waits for the file's lock.
  So does PostgreSQL with `AUDIT_SEAL_IN_BACKGROUND = False` (the test suite,
  whose per-test transactions another thread could not see).

A row stays unsealed only if its process dies between the commit and the seal
(milliseconds): the next seal, the owner's page and `verify_audit_log` chain it
(docs/decisions/0012-audit-log.md, "Sealing after the commit").
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection, models, transaction

from skinterval.audit.models import (
    CONTENT_FIELDS,
    GENESIS_HASH,
    AuditEvent,
    canonical_content,
    chain_hash,
)

logger = logging.getLogger(__name__)

# Any fixed number: the key of the PostgreSQL advisory lock that puts audit
# inserts in one line (so that each row continues the row before it).
CHAIN_LOCK_KEY = 727_101
# Rows sealed per transaction; a longer backlog takes several.
_SEAL_BATCH = 1000
# How long the background sealer lets commits gather before one seal.
_GATHER_S = 0.1
_TABLE = AuditEvent._meta.db_table
_SEAL_SQL = (
    f"UPDATE {_TABLE} "  # noqa: S608 - the table name is ours
    "SET prev_hash = %s, row_hash = %s, chain_position = %s "
    "WHERE id = %s AND row_hash IS NULL"
)
# PostgreSQL: a whole batch in one statement.
_SEAL_BATCH_SQL = (
    f"UPDATE {_TABLE} AS e "  # noqa: S608 - the table name is ours
    "SET prev_hash = v.prev_hash, row_hash = v.row_hash, chain_position = v.position "
    "FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[])"
    " AS v(prev_hash, row_hash, position, id) "
    "WHERE e.id = v.id AND e.row_hash IS NULL"
)


def chain_head() -> tuple[str, int]:
    """The newest sealed row's hash and place (the genesis hash and 0 when none)."""
    head = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("-chain_position")
        .values_list("row_hash", "chain_position")
        .first()
    )
    if head is None or head[0] is None or head[1] is None:
        return GENESIS_HASH, 0
    return head[0], head[1]


def unsealed() -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(row_hash__isnull=True)


def seal_pending() -> int:
    """Give every unsealed row its place in the chain; how many were sealed.

    Called by many threads (and processes) at once, it never waits for another
    sealer on PostgreSQL: when the chain's lock is taken, the holder seals for
    everyone. That is safe because the holder looks again after releasing the
    lock: a row committed before someone found the lock taken was committed
    before that release, so the look after it sees the row (and seals it, or
    leaves it to a sealer that started later and looks again itself)."""
    sealed = 0
    while True:
        locked, batch = _seal_batch()
        sealed += batch
        if not locked or connection.in_atomic_block or not unsealed().exists():
            return sealed


def _seal_batch() -> tuple[bool, int]:
    """One transaction of sealing: whether it got the chain's lock (PostgreSQL
    does not wait for it), and how many rows it sealed."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A seal lost in a crash is redone from the rows, so its
                # transaction need not wait for the disk.
                cursor.execute(
                    "SELECT set_config('synchronous_commit', 'off', true), "
                    "pg_try_advisory_xact_lock(%s)",
                    [CHAIN_LOCK_KEY],
                )
                row = cursor.fetchone()
            if not (row and row[1]):
                return False, 0
        # SQLite: every transaction holds the write lock already.
        return True, _seal_locked()


def _seal_locked() -> int:
    """Chain the oldest unsealed rows (id order) after the chain's head; the
    caller holds the chain's lock."""
    head_hash, position = chain_head()
    batch: list[tuple[str, str, int, int]] = []
    rows = unsealed().order_by("id").values("id", *CONTENT_FIELDS)[:_SEAL_BATCH]
    for row in rows:
        position += 1
        row_hash = chain_hash(head_hash, canonical_content(row))
        batch.append((head_hash, row_hash, position, row["id"]))
        head_hash = row_hash
    if batch and connection.vendor == "postgresql":
        columns = [list(column) for column in zip(*batch, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(_SEAL_BATCH_SQL, columns)
    elif batch:
        with connection.cursor() as cursor:
            cursor.executemany(_SEAL_SQL, batch)
    return len(batch)


def seal_after_commit() -> None:
    """Have what the current transaction wrote unsealed sealed once it commits
    (at once when there is no transaction). A failure to seal is logged and the
    rows wait, unsealed, for the next seal."""
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
                        # before our rows committed), or a backlog: again.
                        self._wake.set()
            except Exception:
                # The rows stay unsealed and are chained by the next seal.
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
