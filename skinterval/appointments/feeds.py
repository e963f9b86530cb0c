"""Private calendar feeds: making, turning off and finding them by token.

A feed's address carries a token of two parts: a public `key` (12 hex digits,
to find the row) and a secret (43 URL-safe characters, 256 bits). Only the
SHA-256 of the secret is stored, and it is compared in constant time, so neither
the database nor a timing difference gives the address away. Making a new feed
turns off the patient's previous one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from django.db import transaction

from skinterval.appointments.models import CalendarFeed
from skinterval.patients.models import Patient

KEY_LENGTH = 12
_TOKEN = re.compile(r"[0-9a-f]{12}[A-Za-z0-9_-]{43}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_calendar_feed(
    *, patient: Patient, now: datetime
) -> tuple[CalendarFeed, str]:
    """A new feed for the patient (the old one stops working) and its token,
    which is never stored and cannot be shown again."""
    with transaction.atomic():
        revoke_calendar_feed(patient=patient, now=now)
        key = secrets.token_hex(KEY_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        feed = CalendarFeed.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            key=key,
            secret_sha256=_digest(secret),
            created_at=now,
        )
    return feed, key + secret


def revoke_calendar_feed(*, patient: Patient, now: datetime) -> int:
    """Turn off the patient's feed; returns how many were active (0 or 1)."""
    return CalendarFeed.objects.filter(patient=patient, revoked_at=None).update(
        revoked_at=now
    )


def active_feed(patient: Patient) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(patient=patient, revoked_at=None).first()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed the token opens, or None (malformed, unknown, wrong secret
    or turned off)."""
    if not _TOKEN.fullmatch(token):
        return None
    key, secret = token[:KEY_LENGTH], token[KEY_LENGTH:]
    feed = (
        CalendarFeed.objects.select_related("patient__clinic")
        .filter(key=key, revoked_at=None)
        .first()
    )
    if feed is None:
        _digest(secret)  # the same work either way
        return None
    if not hmac.compare_digest(feed.secret_sha256, _digest(secret)):
        return None
    return feed
