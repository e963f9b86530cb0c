"""Loading outbox rows for the pages that show them."""

from __future__ import annotations

from skinterval.reminders.links import message_pk_from_token
from skinterval.reminders.models import OutboxMessage


def message_for_token(token: str) -> OutboxMessage | None:
    """The message an unsubscribe link came in, or None for a forged, damaged or
    unknown token. The token is the only credential: no login is asked for."""
    pk = message_pk_from_token(token)
    if pk is None:
        return None
    return (
        OutboxMessage.objects.select_related("clinic", "patient").filter(pk=pk).first()
    )
