"""Absolute links in messages, and the signed unsubscribe token.

Links start with `settings.SKINTERVAL_BASE_URL`. The unsubscribe token names only
the message it came in (its outbox id), signed with the secret key: no patient
detail is in the URL, and no login is needed to use it.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, reverse

UNSUBSCRIBE_SALT = "skinterval.reminders.unsubscribe"


def absolute(path: str) -> str:
    return f"{str(settings.SKINTERVAL_BASE_URL).rstrip('/')}{path}"


def unsubscribe_token(message_pk: int) -> str:
    return signing.dumps(message_pk, salt=UNSUBSCRIBE_SALT)


def message_pk_from_token(token: str) -> int | None:
    """The outbox id a token was made for, or None for a forged or damaged one
    (the signature is compared in constant time)."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(message_pk: int) -> str:
    return absolute(
        reverse(
            "reminders:unsubscribe", kwargs={"token": unsubscribe_token(message_pk)}
        )
    )


def portal_url() -> str:
    """The patient portal's front page (it asks the patient to log in)."""
    return absolute(reverse("portal:home"))


def _portal(name: str, **kwargs: object) -> str:
    """A portal page, or the portal's front page while that page does not exist."""
    try:
        return absolute(reverse(f"portal:{name}", kwargs=kwargs or None))
    except NoReverseMatch:
        return portal_url()


def booking_url(session_number: int | None = None) -> str:
    """Where the patient books: the planned session's page, or their appointments."""
    if session_number is not None:
        return _portal("book", number=session_number)
    return _portal("appointments")


def check_in_url(appointment_id: int | None) -> str:
    """The check-in form for the session."""
    if appointment_id is None:
        return _portal("check_ins")
    return _portal("check_in", appointment_id=appointment_id)


def aftercare_url() -> str:
    return _portal("aftercare")
