"""`manage.py backup [--out PATH]`: the database and the photos in one archive.

Safe while the application runs. Progress goes to stderr, the summary to stdout
(to stderr when the archive itself goes to stdout with `--out -`). Errors exit
with status 2 and a message, never a traceback. See docs/operations.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from skinterval.ops.archive import BackupError
from skinterval.ops.backups import (
    default_backup_path,
    megabytes,
    write_backup,
)


class Command(BaseCommand):
    help = "Back up the database and the clinical photos into one archive file."

    # Like dbshell: no system checks, which import every URL and view; the
    # command needs only the database settings and the photo folder.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            help=(
                "The archive to write: a new *.tar.gz or *.tar file, or - for "
                "standard output (a plain tar, e.g. to pipe into an encryption "
                "tool). Default: var/backups/skinterval-<UTC time>.tar.gz."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        out: str | None = options["out"]
        quiet = options["verbosity"] < 1

        def progress(message: str) -> None:
            if not quiet:
                self.stderr.write(message, style_func=str)

        to_stdout = out == "-"
        target = (
            sys.stdout.buffer
            if to_stdout
            else Path(out)
            if out
            else default_backup_path(now=now)
        )
        try:
            summary = write_backup(target=target, now=now, progress=progress)
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from None
        except OSError as error:
            raise CommandError(f"The backup failed: {error}", returncode=2) from None
        where = "standard output" if to_stdout else str(target)
        report = self.stderr if to_stdout else self.stdout
        report.write(
            f"Backup written to {where}: database {megabytes(summary.database_bytes)}, "
            f"{summary.photos} photo files ({megabytes(summary.photo_bytes)}).",
            style_func=str,
        )
        report.write(
            f"Payload SHA-256: {summary.manifest.payload_sha256}", style_func=str
        )
