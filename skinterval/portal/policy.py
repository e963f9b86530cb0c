"""Clinic policy for what patients may do themselves in the portal.

These are **clinic policy**, not evidence: how long before an appointment a
patient may still cancel or move it online, and what to tell them when it is too
late. Each clinic may set its own in the Django setting
`SKINTERVAL_PORTAL_POLICIES`, keyed by the clinic's short name (slug)::

    SKINTERVAL_PORTAL_POLICIES = {
        "clinic-a": {"cancellation_notice_hours": 48, "phone": "+44 20 7946 0000"},
    }

A clinic without an entry gets `DEFAULT_POLICY`. (No clinic-table column: the
setting keeps this out of the clinics migrations until clinic settings get a
screen of their own.)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.conf import settings

from skinterval.clinics.models import Clinic


@dataclass(frozen=True, slots=True)
class PortalPolicy:
    # Online cancelling or moving closes this many hours before the start.
    cancellation_notice_hours: int = 24
    # The clinic's phone number for late changes and worries ("" = not set).
    phone: str = ""

    def last_online_change_at(self, starts_at: datetime) -> datetime:
        return starts_at - timedelta(hours=self.cancellation_notice_hours)

    def allows_change(self, starts_at: datetime, now: datetime) -> bool:
        """Whether `now` is early enough to cancel or move online."""
        return now <= self.last_online_change_at(starts_at)


DEFAULT_POLICY = PortalPolicy()


def policy_for(clinic: Clinic) -> PortalPolicy:
    overrides = getattr(settings, "SKINTERVAL_PORTAL_POLICIES", {}).get(clinic.slug)
    if not overrides:
        return DEFAULT_POLICY
    known = {f.name for f in fields(PortalPolicy)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(
            f"SKINTERVAL_PORTAL_POLICIES[{clinic.slug!r}]: "
            f"unknown keys {sorted(unknown)}"
        )
    return PortalPolicy(**overrides)
