"""`manage.py create_api_token USERNAME [--name NAME]`: print a new API token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from skinterval.accounts.api_tokens import issue_token
from skinterval.accounts.models import User


class Command(BaseCommand):
    help = "Create a bearer token for the JSON API and print it (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is not active.")
        self.stdout.write(issue_token(user=user, name=options["name"]))
