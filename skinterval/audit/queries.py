"""Reading the audit log: a clinic's events, and checking that the chain is whole."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from skinterval.audit import sealing
from skinterval.audit.models import (
    CONTENT_FIELDS,
    GENESIS_HASH,
    AuditEvent,
    AuditSeal,
    event_digests,
)
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser

# The owner's page checks the newest events of the chain on every visit (whole
# seals, so a few more than this): enough to catch a recent edit, and bounded
# however long the log grows. The whole chain: `manage.py verify_audit_log`
# (docs/audit.md).
PAGE_CHECK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    # Events whose content was checked against the chain.
    rows_checked: int
    # The first event that does not fit the chain, and why.
    broken_at_id: int | None = None
    reason: str = ""
    # False when only the newest events were checked (`verify_chain(last=...)`).
    complete: bool = True
    # Events no seal covers yet (normally none, or those of the last moment:
    # each is sealed just after its transaction commits; see `audit.sealing`).
    unsealed: int = 0


class _Broken(Exception):
    def __init__(self, event_id: int, reason: str) -> None:
        self.event_id, self.reason = event_id, reason


def verify_chain(*, chunk_size: int = 2000, last: int | None = None) -> ChainReport:
    """Walk the chain and recompute it: the older row chain (each event's own
    hash) and then the seals, each from its events. A changed column, a changed
    hash or seal, an event removed from the middle or inserted into a sealed
    range all break it.

    With `last`, only the newest seals covering at least `last` events are
    walked (and the newest rows of the row chain when the seals cover fewer):
    the first of them is taken as the start, and each later one must continue
    it. Events removed from the end leave a shorter chain that is still whole:
    that is found only by comparing with a copy kept elsewhere (docs/audit.md)."""
    seals: QuerySet[AuditSeal] = AuditSeal.objects.order_by("position")
    rows: QuerySet[AuditEvent] = AuditEvent.objects.filter(
        chain_position__isnull=False
    ).order_by("chain_position")
    unsealed = sealing.unsealed().count()
    expected_prev: str | None = GENESIS_HASH
    complete = True
    if last is not None:
        seals, covered, all_seals = _newest_seals(last)
        rows, whole_rows = _newest_rows(rows, last - covered if all_seals else 0)
        complete = whole_rows and all_seals
        if not complete:
            expected_prev = None
    checked = 0
    try:
        for event in rows.iterator(chunk_size=chunk_size):
            if expected_prev is not None and event.prev_hash != expected_prev:
                raise _Broken(event.pk, _NOT_CONTINUED)
            if event.row_hash != event.expected_hash():
                raise _Broken(event.pk, "its content does not match its hash")
            expected_prev = event.row_hash
            checked += 1
        after_id: int | None = None
        if complete:
            _check_nothing_before_the_seals()
        for run in _runs(seals):
            events = _events_of(run)
            ids = [event["id"] for event in events]
            for seal in run:
                in_range = events[
                    bisect_right(ids, seal.after_id) : bisect_right(ids, seal.up_to_id)
                ]
                checked += _check_seal(seal, in_range, expected_prev, after_id)
                expected_prev, after_id = seal.seal_hash, seal.up_to_id
    except _Broken as broken:
        return ChainReport(
            False, checked, broken.event_id, broken.reason, complete, unsealed
        )
    return ChainReport(True, checked, complete=complete, unsealed=unsealed)


_NOT_CONTINUED = "does not continue the entry before it (an entry was removed or added)"


def _newest_seals(last: int) -> tuple[QuerySet[AuditSeal], int, bool]:
    """The newest seals covering at least `last` events (all of them when they
    cover fewer), how many events they cover, and whether that is all seals."""
    covered, first_position = 0, None
    for position, count in (
        AuditSeal.objects.order_by("-position")
        .values_list("position", "event_count")
        .iterator(chunk_size=100)
    ):
        covered += count
        first_position = position
        if covered >= last:
            break
    seals = AuditSeal.objects.order_by("position")
    if first_position is not None:
        seals = seals.filter(position__gte=first_position)
    return seals, covered, first_position in (None, 1)


def _newest_rows(
    rows: QuerySet[AuditEvent], count: int
) -> tuple[QuerySet[AuditEvent], bool]:
    """The newest `count` rows of the row chain, and whether they are all of
    it (then the first must continue the genesis hash)."""
    if count <= 0:
        return rows.none(), not rows.exists()
    newest = rows.order_by("-chain_position").values_list("chain_position", flat=True)
    first = newest[count - 1 : count].first()
    if first is None:
        return rows, True
    return rows.filter(chain_position__gte=first), first == 1


# Seals checked together, with one query for their events: a quiet clinic
# makes small seals, and the owner's page must not send a query per seal.
_SEALS_PER_QUERY = 200


def _runs(seals: QuerySet[AuditSeal]) -> Iterator[list[AuditSeal]]:
    run: list[AuditSeal] = []
    for seal in seals.iterator(chunk_size=_SEALS_PER_QUERY):
        run.append(seal)
        if len(run) == _SEALS_PER_QUERY:
            yield run
            run = []
    if run:
        yield run


def _events_of(run: list[AuditSeal]) -> list[dict[str, Any]]:
    """The events in the ids a run of seals covers, in id order (the seals
    being consecutive is checked seal by seal)."""
    return list(
        AuditEvent.objects.filter(
            id__gt=min(s.after_id for s in run),
            id__lte=max(s.up_to_id for s in run),
            chain_position__isnull=True,
        )
        .order_by("id")
        .values("id", *CONTENT_FIELDS)
    )


def _check_seal(
    seal: AuditSeal,
    covered: list[dict[str, Any]],
    expected_prev: str | None,
    after_id: int | None,
) -> int:
    """Check one seal against the link before it and the events now in its
    range (`covered`, in id order); how many events it covers."""
    first_id = seal.after_id + 1
    if expected_prev is not None and seal.prev_hash != expected_prev:
        raise _Broken(first_id, _NOT_CONTINUED)
    if after_id is not None and seal.after_id != after_id:
        raise _Broken(min(first_id, after_id + 1), _NOT_CONTINUED)
    sealed = seal.event_digests.splitlines()
    if seal.seal_hash != seal.expected_hash() or seal.event_count != len(sealed):
        raise _Broken(first_id, "the seal of the entries from here was changed")
    found = event_digests(covered).splitlines()
    for now, then in zip_longest(found, sealed):
        if now != then:
            now_id = int(now.split()[0]) if now else None
            then_id = int(then.split()[0]) if then else None
            if now_id == then_id and now_id is not None:
                raise _Broken(now_id, "its content does not match its seal")
            if then_id is not None and (now_id is None or then_id < now_id):
                raise _Broken(then_id, "a sealed entry was removed")
            raise _Broken(now_id or first_id, "it was added to entries already sealed")
    return len(found)


def _check_nothing_before_the_seals() -> None:
    """No event outside the row chain has an id before the first seal's range:
    one there was slipped in afterwards (the first seal starts at the first
    event the row chain did not cover)."""
    first = (
        AuditSeal.objects.order_by("position")
        .values_list("after_id", flat=True)
        .first()
    )
    stray = (
        AuditEvent.objects.filter(chain_position__isnull=True, id__lte=first)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
        if first is not None
        else None
    )
    if stray is not None:
        raise _Broken(stray, "it was added to entries already sealed")


def events_for_owner(
    user: AnyUser,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_user_id: int | None = None,
    actor_role: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
) -> QuerySet[AuditEvent]:
    """The events of the owner's own clinic, newest first, narrowed by the
    filters given (`since` inclusive, `until` exclusive). Rows of other clinics
    and rows with no clinic are never in it. Anyone but a clinic owner: 403."""
    member = require_staff(user, [StaffRole.OWNER])
    rows = AuditEvent.objects.filter(clinic_id=member.clinic_id)
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    if until is not None:
        rows = rows.filter(occurred_at__lt=until)
    if actor_user_id is not None:
        rows = rows.filter(actor_user_id=actor_user_id)
    if actor_role:
        rows = rows.filter(actor_role=actor_role)
    if action:
        rows = rows.filter(action=action)
    if object_type:
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=object_id)
    return rows.order_by("-occurred_at", "-id")
