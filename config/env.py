"""Typed readers for environment variables that fail loudly.

Settings come only from the environment (twelve-factor). A value that is present but
malformed stops start-up with a message naming the variable, instead of silently
falling back to a default that could, for example, turn DEBUG on in production.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """The variable's value, or `default`; missing with no default is an error."""
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """`Header-Name: value` (e.g. `X-Forwarded-Proto: https`) as Django's
    SECURE_PROXY_SSL_HEADER pair, or None when unset or blank.

    Only set it behind a proxy that always overwrites that header: otherwise any
    client could claim its plain-HTTP request arrived over HTTPS.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, sep, value = (part.strip() for part in raw.partition(":"))
    if not sep or not header or not value or " " in header:
        raise ImproperlyConfigured(
            f"{name}={raw!r} must look like 'X-Forwarded-Proto: https'."
        )
    meta_key = header.upper().replace("-", "_")
    if not meta_key.startswith("HTTP_"):
        meta_key = f"HTTP_{meta_key}"
    return meta_key, value
