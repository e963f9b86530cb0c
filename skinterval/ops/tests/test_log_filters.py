"""A secret link's token never reaches the server log."""

from __future__ import annotations

import io
import logging

from django.test import Client

from skinterval.ops.log_filters import REDACTED, RedactTokens

FEED_TOKEN = "0f3a9c1be2d4a7c9" + "Zq7vY1x0_Lw-Jr8sTnQm3kPa9eB2cD4fH6gU"


def _record(name, message, *args):
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)


def test_a_feed_token_in_a_logged_path_is_redacted():
    record = _record("django.request", "Not Found: %s", f"/feeds/{FEED_TOKEN}.ics")
    assert RedactTokens().filter(record)
    assert record.getMessage() == f"Not Found: /feeds/{REDACTED}.ics"


def test_other_loggers_and_short_paths_are_left_alone():
    other = _record("skinterval.reminders", "expire_waitlist_offers_and_more ran")
    path = _record("django.request", "Not Found: %s", "/patients/12/plan/")
    for record in (other, path):
        before = record.getMessage()
        assert RedactTokens().filter(record)
        assert record.getMessage() == before


def test_the_server_log_shows_no_token_of_a_refused_feed(db):
    """Through the configured console handler: a wrong or revoked feed is 404,
    logged by Django with its path, and the token is not in the output."""
    (console,) = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactTokens) for f in h.filters)
    ]
    assert isinstance(console, logging.StreamHandler)
    written = io.StringIO()
    previous = console.setStream(written)
    try:
        response = Client().get(f"/feeds/{FEED_TOKEN}.ics")
    finally:
        console.setStream(previous)
    assert response.status_code == 404
    assert "Not Found: /feeds/[redacted].ics" in written.getvalue()
    assert FEED_TOKEN not in written.getvalue()
