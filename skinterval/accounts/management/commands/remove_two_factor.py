"""`manage.py remove_two_factor USERNAME`: a staff member lost their phone.

Removes the login's authenticator devices; at the next login the set-up page
comes up and a new device is confirmed (the password is still needed first).
Recorded in the audit log as `otp_removed` by the system.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from skinterval.accounts.models import User
from skinterval.audit.models import AuditAction
from skinterval.audit.services import record
from skinterval.clinics.queries import staff_member_for


class Command(BaseCommand):
    help = "Remove a login's two-factor devices, so that it sets up a new one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}.") from None
        with transaction.atomic():
            removed, _ = TOTPDevice.objects.filter(user=user).delete()
            member = staff_member_for(user)
            record(
                request_or_user=None,
                action=AuditAction.OTP_REMOVED,
                obj=user,
                clinic=member.clinic if member is not None else None,
            )
        self.stdout.write(
            f"Removed {removed} device(s) of {user.username}; "
            "a new one is set up at the next login."
        )
