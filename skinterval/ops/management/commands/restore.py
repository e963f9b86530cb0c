"""`manage.py restore PATH [--yes]`: put a backup made by `manage.py backup` back.

Checks the whole archive before changing anything; refuses another vendor's
backup, one made by newer code, and (without --yes) a database or photo folder
that already holds data. Stop the web and worker processes first. Errors exit
with status 2 and a message, never a traceback. See docs/operations.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from skinterval.ops.archive import BackupError
from skinterval.ops.backups import restore_backup


class Command(BaseCommand):
    help = "Restore the database and the clinical photos from a backup archive."

    # Like dbshell: no system checks, which import every URL and view; the
    # command needs only the database settings and the photo folder.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", help="The backup archive, or - to read it from standard input."
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Replace a database and photo folder that already hold data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["path"]
        quiet = options["verbosity"] < 1

        def progress(message: str) -> None:
            if not quiet:
                self.stderr.write(message, style_func=str)

        source = sys.stdin.buffer if path == "-" else Path(path)
        try:
            summary = restore_backup(
                source=source,
                overwrite=options["yes"],
                now=timezone.now(),
                progress=progress,
            )
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from None
        except OSError as error:
            raise CommandError(f"The restore failed: {error}", returncode=2) from None
        self.stdout.write(
            f"Restored the backup made at {summary.manifest.created_at}: the "
            f"database and {summary.photos} photo files.",
            style_func=str,
        )
        if summary.previous_photo_dir is not None:
            self.stdout.write(
                f"The photo files that were there before are kept in "
                f"{summary.previous_photo_dir}; delete them once you have checked "
                "the restored installation.",
                style_func=str,
            )
        if summary.photos_without_file:
            self.stdout.write(
                f"Warning: {summary.photos_without_file} photo records have no "
                "file in this backup.",
                style_func=str,
            )
        if summary.migrate_needed:
            self.stdout.write(
                "This code has migrations the backup had not applied: run "
                "`manage.py migrate` now.",
                style_func=str,
            )
