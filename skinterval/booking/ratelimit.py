"""A small rate limiter for the public booking pages, on Django's cache.

Fixed windows per client address: `check(request, LIMIT)` counts one hit in the
current window and says how many seconds to wait when the count is over the
limit. Addresses are hashed before they become cache keys (no addresses in the
cache). The count lives in the `default` cache: per process with Django's default
local-memory cache, shared by every process once CACHES points at a shared cache
with atomic increment (Redis or Memcached). Behind a reverse proxy,
`SKINTERVAL_TRUSTED_PROXIES` makes REMOTE_ADDR the visitor's address
(`ops.client_address`); otherwise every visitor shares the proxy's address and
its limits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone


@dataclass(frozen=True)
class Limit:
    scope: str
    hits: int
    per_s: int


# Looking at free times (each search reads the calendar).
SEARCH = Limit("search", hits=60, per_s=60)
# Choosing a time and giving contact details: each makes a hold (and a patient).
HOLD = Limit("hold", hits=10, per_s=3600)
# Sending the questionnaire.
SUBMIT = Limit("submit", hits=20, per_s=3600)
# Calendar feed reads, per address (calendar programs poll every few hours).
FEED = Limit("feed", hits=120, per_s=3600)
# Opening or answering a waitlist offer link.
OFFER = Limit("offer", hits=30, per_s=3600)


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def check(request: HttpRequest, limit: Limit) -> int | None:
    """Count one hit; None when allowed, else the seconds until the window ends."""
    now_s = int(timezone.now().timestamp())
    window = now_s // limit.per_s
    who = hashlib.sha256(client_address(request).encode()).hexdigest()[:24]
    key = f"skinterval:rl:{limit.scope}:{who}:{window}"
    cache.add(key, 0, timeout=limit.per_s + 1)
    try:
        hits = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this as the first
        cache.set(key, 1, timeout=limit.per_s + 1)
        hits = 1
    if hits > limit.hits:
        return (window + 1) * limit.per_s - now_s
    return None
