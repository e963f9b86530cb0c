"""Bearer tokens for the JSON API (`/api/`) and the FHIR endpoints (`/fhir/`).

A token reads ``skt_<prefix>_<secret>``. Only the SHA-256 of the whole token is stored,
so a copy of the database grants nothing; the 8-character prefix is kept in clear to
name the token in lists. Lookup is by hash (an indexed equality on a value the caller
cannot choose to match partially), followed by a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from skinterval.accounts.models import ApiToken, User

TOKEN_PREFIX = "skt_"  # noqa: S105 - a label, not a secret
_PREFIX_LEN = 8
_TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(*, user: User, name: str, now: datetime | None = None) -> str:
    """Create a token for `user` and return its secret: the only time it is shown."""
    created_at = now or timezone.now()
    for _attempt in range(5):
        prefix = secrets.token_hex(_PREFIX_LEN // 2)
        token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                ApiToken.objects.create(
                    user=user,
                    name=name[:100],
                    token_prefix=prefix,
                    token_hash=_hash(token),
                    created_at=created_at,
                )
        except IntegrityError:  # prefix collision: draw again
            continue
        return token
    raise RuntimeError("Could not draw a unique token prefix.")  # pragma: no cover


def revoke_token(*, token: ApiToken, now: datetime | None = None) -> None:
    """Refuse the token from now on (kept for the record, never deleted here)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])


def bearer_secret(request: HttpRequest) -> str | None:
    """The token from ``Authorization: Bearer …``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value or None


def user_for_token(token: str, *, now: datetime | None = None) -> User | None:
    """The active user a token belongs to, or None (unknown, revoked, inactive)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _hash(token)
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if not row.user.is_active:
        return None
    moment = now or timezone.now()
    if row.last_used_at is None or moment - row.last_used_at >= _TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=moment)
    return row.user


def user_for_bearer(request: HttpRequest) -> User | None:
    """The user the request's bearer token belongs to, or None."""
    token = bearer_secret(request)
    if token is None:
        return None
    return user_for_token(token)
