"""Reading the audit log: checking that its hash chain is whole."""

from __future__ import annotations

from dataclasses import dataclass

from skinterval.audit.models import GENESIS_HASH, AuditEvent


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    rows_checked: int
    # The first row that does not fit the chain, and why.
    broken_at_id: int | None = None
    reason: str = ""


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the log in insertion order, recomputing each row's hash from its
    columns and the row before it. A changed column, a changed hash, a row
    removed from the middle or inserted out of line all break the chain.

    Rows removed from the end leave a shorter chain that is still whole: that
    is found only by comparing with a copy kept elsewhere (docs/audit.md)."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.pk,
                "does not continue the row before it (a row was removed or added)",
            )
        if event.row_hash != event.expected_hash():
            return ChainReport(
                False, checked, event.pk, "its content does not match its hash"
            )
        expected_prev = event.row_hash
        checked += 1
    return ChainReport(True, checked)
