"""Create the demo clinics, logins and patients (synthetic people only).

Idempotent: running it again updates the same rows instead of adding more. It
refuses to run unless demo mode is on (SKINTERVAL_DEMO=1, as `make demo` sets),
because it creates logins whose password is `demo`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from skinterval.demo.seed import DEMO_LOGINS, seed_demo


class Command(BaseCommand):
    help = "Create the demo clinics, logins and synthetic patients (demo mode only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when demo mode is off (for tests; never in production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEMO_MODE or options["force"]):
            raise CommandError(
                "seed_demo creates logins with the password 'demo'; it runs only "
                "with SKINTERVAL_DEMO=1 (make demo sets it)."
            )
        with transaction.atomic():
            summary = seed_demo()
        self.stdout.write(self.style.SUCCESS(summary))
        self.stdout.write("Demo logins (password: demo):")
        for username, description in DEMO_LOGINS:
            self.stdout.write(f"  {username:<8} {description}")
        self.stdout.write(
            "Staff logins then ask for a two-factor code: in demo mode the page "
            "shows the current demo code."
        )
