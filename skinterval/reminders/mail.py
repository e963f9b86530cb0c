"""An email backend that appends each message, as one JSON line, to a file.

For the crash test and the benchmark (and handy in development): every message
handed over is one `os.write` to a file opened with O_APPEND, so a worker killed
at any moment leaves whole lines only, and the file shows every hand-over,
duplicates included. Set `SKINTERVAL_EMAIL_FILE` to the file's path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class JsonLinesEmailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.path = str(settings.SKINTERVAL_EMAIL_FILE)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            for message in email_messages:
                line = json.dumps(
                    {
                        "message_id": message.extra_headers.get("Message-ID", ""),
                        "to": list(message.to),
                        "subject": str(message.subject),
                        "message": message.message().as_string(),
                    }
                )
                os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return len(email_messages)
