"""`manage.py send_due_messages`: send the messages whose time has come.

Runs in a loop (sleeping `--interval` seconds when nothing is due) until stopped;
`--once` sends what is due now and exits, for cron. Any number of these can run
at once: each claims its own rows.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from skinterval.reminders.delivery import Outcome, send_due


class Command(BaseCommand):
    help = "Send due messages to patients (email, and SMS when a gateway is set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds to sleep when idle"
        )
        parser.add_argument("--batch", type=int, default=20, help="rows per claim")
        parser.add_argument(
            "--lease",
            type=float,
            default=300.0,
            help="seconds a claim is held before other workers may take it over",
        )
        parser.add_argument("--worker-id", default="", help="name in the outbox rows")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or f"{socket.gethostname()}:{os.getpid()}"
        lease = timedelta(seconds=options["lease"])
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        total = Outcome()
        while not stopping:
            outcome = send_due(
                clock=timezone.now,
                worker_id=worker_id,
                batch=options["batch"],
                lease=lease,
            )
            total.add(outcome)
            if outcome.handled == 0:
                if options["once"]:
                    break
                time.sleep(options["interval"])
        self.stdout.write(
            f"sent {total.sent}, skipped {total.skipped}, deferred {total.deferred}, "
            f"failed {total.failed}, lost {total.lost}"
        )
