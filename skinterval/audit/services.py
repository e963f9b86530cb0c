"""Writing to the audit log: `record()`, the one way rows are added."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from skinterval.audit.models import (
    GENESIS_HASH,
    ActorRole,
    AuditAction,
    AuditEvent,
    chain_hash,
)
from skinterval.clinics.models import Clinic
from skinterval.clinics.queries import staff_member_for
from skinterval.patients.models import Patient

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser

# Any fixed number: the key of the PostgreSQL advisory lock that puts audit
# inserts in one line (so that each row continues the row before it).
_CHAIN_LOCK_KEY = 727_101


def record(
    *,
    request_or_user: HttpRequest | AnyUser | None,
    action: AuditAction | str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    clinic: Clinic | None = None,
    source_ip: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event. `request_or_user` is who acted (None: the system itself);
    `obj` the model instance acted on (its type and primary key are recorded,
    never its contents), or `object_type`/`object_id` when there is no instance.
    The clinic is `clinic`, else the object's clinic, else the actor's."""
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action: {action!r}")
    occurred_at = now or timezone.now()
    if timezone.is_naive(occurred_at):
        raise ValueError("Audit times are aware instants (UTC).")
    user: AnyUser | None
    if isinstance(request_or_user, HttpRequest):
        user = request_or_user.user
        if source_ip is None:
            source_ip = request_or_user.META.get("REMOTE_ADDR")
    else:
        user = request_or_user
    role, actor_clinic_id = _actor(user)
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
    clinic_id = (
        clinic.pk
        if clinic is not None
        else getattr(obj, "clinic_id", None) or actor_clinic_id
    )
    event = AuditEvent(
        occurred_at=occurred_at,
        actor_user_id=user.pk if user is not None and user.is_authenticated else None,
        actor_role=role,
        clinic_id=clinic_id,
        action=action,
        object_type=object_type[:60],
        object_id=object_id[:64],
        source_ip=_normalised_ip(source_ip),
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        # On SQLite every transaction begins IMMEDIATE (config/settings.py): it
        # holds the write lock already, so no other insert comes in between.
        last = (
            AuditEvent.objects.order_by("-id")
            .values_list("row_hash", flat=True)
            .first()
        )
        event.prev_hash = last or GENESIS_HASH
        event.row_hash = chain_hash(event.prev_hash, event.canonical_content())
        event.save()
    return event


def _actor(user: AnyUser | None) -> tuple[ActorRole, int | None]:
    """The actor's role and clinic id."""
    if user is None:
        return ActorRole.SYSTEM, None
    if not user.is_authenticated:
        return ActorRole.ANONYMOUS, None
    member = staff_member_for(user)
    if member is not None:
        return ActorRole(member.role), member.clinic_id
    clinic_id = (
        Patient.objects.filter(user_id=user.pk)
        .values_list("clinic_id", flat=True)
        .first()
    )
    if clinic_id is not None:
        return ActorRole.PATIENT, clinic_id
    return ActorRole.OTHER_LOGIN, None


def _normalised_ip(value: Any) -> str | None:
    """The address as the database gives it back (so the hash can be recomputed
    from the row), or None when it is not an IP address."""
    if not value:
        return None
    text = str(value).strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6:
        return clean_ipv6_address(text)
    return str(address)
