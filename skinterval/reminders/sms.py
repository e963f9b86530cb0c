"""Text messages: one small interface, chosen by `SKINTERVAL_SMS_BACKEND`.

A backend is a class with `send(*, to, body, message_id)`; `message_id` is the same
on every attempt of one message, for gateways that accept an idempotency key. The
default sends nothing, and while it is selected no text message is scheduled at
all (`services.sms_configured`).
"""

from __future__ import annotations

import logging
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, message_id: str) -> None:
        """Hand one text message to the gateway; raise on failure."""


class NoOpSmsBackend:
    def send(self, *, to: str, body: str, message_id: str) -> None:
        log.info("text message %s not sent: no SMS backend configured", message_id)


class LocmemSmsBackend:
    """Keeps what it is given in `LocmemSmsBackend.outbox` (tests)."""

    outbox: ClassVar[list[dict[str, str]]] = []

    def send(self, *, to: str, body: str, message_id: str) -> None:
        self.outbox.append({"to": to, "body": body, "message_id": message_id})


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(str(settings.SKINTERVAL_SMS_BACKEND))()
    return backend
