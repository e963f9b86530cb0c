"""`manage.py revoke_api_token PREFIX`: refuse a token from now on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from skinterval.accounts.api_tokens import revoke_token
from skinterval.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Revoke an API token, named by its 8-character prefix (skt_<prefix>_…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].removeprefix("skt_").split("_", 1)[0]
        try:
            token = ApiToken.objects.select_related("user").get(token_prefix=prefix)
        except ApiToken.DoesNotExist:
            raise CommandError(f"No token with prefix {prefix!r}.") from None
        revoke_token(token=token)
        self.stdout.write(f"Revoked {token} of {token.user.username}.")
