"""The bad values every form and API field is sent, by kind of field.

Each is something a real browser, script or copy-paste can produce: text that
needs escaping, text that the database cannot hold (NUL), text that looks odd
on screen (bidirectional override, joiners, combining marks, emoji), and the
wrong type of value for numbers, dates and choices.
"""

from __future__ import annotations

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Both at once, for forms: a tag in text and an attribute break-out.
MARKUP = SCRIPT + IMG
# What a browser must never receive unescaped, whatever payload carried it.
RAW_MARKUP = ("<script>alert(1)", "<img src=x onerror=alert(1)>")

NUL = "a\x00b"
# Right-to-left override, zero-width joiner, a combining accent, an emoji with a
# skin-tone modifier, a non-BMP letter: all valid text a name may hold.
UNICODE = (
    "Zoe\u0301 \u202eevil\u202c "
    "\U0001f469\u200d\U0001f52c \U0001f44d\U0001f3fd \U00010437"
)
LONG = "x" * 100_000

# Per kind of field: the bad values, each with a short name for messages.
TEXT = {
    "markup": MARKUP,
    "unicode": UNICODE,
    "nul": NUL,
    "long": LONG,
}
NUMBER = {
    "letters": "abc",
    "negative": "-1",
    "huge": "9" * 30,
    "superscript-digit": "\u00b2",
}
DATE = {
    "letters": "abc",
    "year-9999": "9999-12-31",
    "year-1": "0001-01-01",
}
TIME = {"letters": "abc", "no-such-time": "25:61"}
# Hidden fields and choices: ids, codes and instants the page put there.
CHOICE = {
    "letters": "abc",
    "huge": "9" * 30,
    "superscript-digit": "\u00b2",
    "nul": NUL,
    "markup": MARKUP,
    "far-instant": "9999-12-31T23:59:59+00:00",
}
# Choices Django's forms check themselves: the distinct ways to be wrong.
GROUPED_CHOICE = {k: CHOICE[k] for k in ("letters", "huge", "nul", "markup")}

# Values a form must refuse (never store): it shows them back with a message.
MUST_REFUSE_TEXT = frozenset({"nul", "long"})
