"""Secrets in request paths never reach the log.

Three kinds of link carry a bearer secret in their path: a patient's calendar
feed (`/feeds/<token>.ics`), an email's unsubscribe link and a waitlist offer.
Django logs the path of every 4xx and 5xx answer (`django.request`) and the
development server logs every request (`django.server`), so a revoked feed or an
expired offer would put its token in the server's log. The console handler
passes the records of those two loggers through `RedactTokens` first (only
those: elsewhere a long name such as a command's is not a secret).
"""

from __future__ import annotations

import logging
import re

# The project's tokens are url-safe base64 or hex of at least 16 random bytes (22+
# characters; signed links end in such a signature); nothing else in one of its
# paths runs that long without a slash or a dot, except an id, which is no loss.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,}")
REDACTED = "[redacted]"
PATH_LOGGERS = ("django.request", "django.server")


def redact(text: str) -> str:
    return _TOKEN.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites the record's message with every token-like run replaced; the
    record is always kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(PATH_LOGGERS):
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
