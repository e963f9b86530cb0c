"""Reading the audit log: a clinic's events, and checking that the chain is whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from skinterval.audit.models import GENESIS_HASH, AuditEvent
from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import require_staff

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser

# The owner's page checks the newest rows of the chain on every visit: enough to
# catch a recent edit, and bounded (a few tens of milliseconds) however long the
# log grows. The whole chain: `manage.py verify_audit_log` (docs/audit.md).
PAGE_CHECK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    rows_checked: int
    # The first row that does not fit the chain, and why.
    broken_at_id: int | None = None
    reason: str = ""
    # False when only the newest rows were checked (`verify_chain(last=...)`).
    complete: bool = True
    # Rows not sealed into the chain yet (normally none: each is sealed just
    # after its transaction commits; see `audit.sealing`).
    unsealed: int = 0


def verify_chain(*, chunk_size: int = 2000, last: int | None = None) -> ChainReport:
    """Walk the log in chain order, recomputing each row's hash from its
    columns and the row before it. A changed column, a changed hash, a row
    removed from the middle or inserted out of line all break the chain.

    With `last`, only the newest `last` rows are walked: the first of them is
    taken as the start (its own hash is still checked) and each later row must
    continue it. Rows removed from the end leave a shorter chain that is still
    whole: that is found only by comparing with a copy kept elsewhere
    (docs/audit.md)."""
    sealed = AuditEvent.objects.filter(chain_position__isnull=False)
    rows = sealed.order_by("chain_position")
    expected_prev: str | None = GENESIS_HASH
    complete = True
    unsealed = AuditEvent.objects.filter(chain_position__isnull=True).count()
    if last is not None:
        first_position = (
            sealed.order_by("-chain_position")
            .values_list("chain_position", flat=True)[last - 1 : last]
            .first()
        )
        if first_position is not None:
            rows = rows.filter(chain_position__gte=first_position)
            expected_prev = None
            complete = False
    checked = 0
    for event in rows.iterator(chunk_size=chunk_size):
        if expected_prev is not None and event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.pk,
                "does not continue the row before it (a row was removed or added)",
                complete,
                unsealed,
            )
        if event.row_hash != event.expected_hash():
            return ChainReport(
                False,
                checked,
                event.pk,
                "its content does not match its hash",
                complete,
                unsealed,
            )
        expected_prev = event.row_hash
        checked += 1
    return ChainReport(True, checked, complete=complete, unsealed=unsealed)


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
