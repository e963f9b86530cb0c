"""`manage.py verify_audit_log`: seal any rows still waiting, recompute the whole
hash chain (or its newest rows with --last N) and exit 1 when it is broken. Run
it on a schedule and alert on failure; the owner's page checks only the newest
rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from skinterval.audit.queries import verify_chain
from skinterval.audit.sealing import seal_pending


class Command(BaseCommand):
    help = "Check that the audit log's hash chain is whole."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--last",
            type=int,
            default=None,
            help="Check only the newest N rows (default: every row).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        last = options["last"]
        if last is not None and last < 1:
            raise CommandError("--last must be at least 1.")
        sealed = seal_pending()
        if sealed:
            self.stdout.write(f"Sealed {sealed} rows that were waiting.")
        report = verify_chain(last=last)
        scope = "whole log" if report.complete else f"newest {last} rows"
        if not report.ok:
            raise CommandError(
                f"Audit log broken at row {report.broken_at_id}: {report.reason} "
                f"({report.rows_checked} rows before it fit; {scope})."
            )
        self.stdout.write(f"Audit log intact: {report.rows_checked} rows ({scope}).")
