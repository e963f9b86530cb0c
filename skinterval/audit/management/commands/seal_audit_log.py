"""`manage.py seal_audit_log`: the sealer service. Covers new audit events with
seals every moment until stopped (SIGTERM or Ctrl-C); with --once, seals what is
waiting and exits. On PostgreSQL web and task workers leave the seal to it
(docs/deploy.md, docs/audit.md)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from skinterval.audit import sealing


class Command(BaseCommand):
    help = "Seal new audit events into the hash chain, continuously or once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Seal what is waiting and exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(f"Sealed {sealing.seal_pending()} events.")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("Sealing audit events as they are written (stop: Ctrl-C).")
        sealing.follow(stop)
        self.stdout.write("Sealer stopped.")
