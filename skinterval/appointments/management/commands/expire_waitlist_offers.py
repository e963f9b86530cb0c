"""Close lapsed waitlist offers and pass their times to the next in line.

Run it every few minutes (cron, a systemd timer or the scheduler of the platform).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from skinterval.appointments.waitlist import expire_offers


class Command(BaseCommand):
    help = "Close lapsed waitlist offers and offer their times to the next in line."

    def handle(self, *args: Any, **options: Any) -> None:
        count = expire_offers(now=timezone.now())
        self.stdout.write(f"{count} offer(s) expired.")
