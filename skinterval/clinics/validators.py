"""Validators for clinic settings."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    """Accept only IANA zone names (`Europe/London`), never offsets like `+01:00`:
    an offset cannot follow daylight-saving changes, and every series interval is
    computed on the clinic's local calendar."""
    if value not in _zones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name such as Europe/London."),
            params={"value": value},
            code="invalid_timezone",
        )
