"""Writing to the audit log.

Two ways in:

- `record()`: append one event now (photos, FHIR exports, the login signals).
- The trail functions that the permission-checked loaders and the services call:
  `record_read(obj, user=...)`, `record_list(...)`, `record_export(...)` and
  `record_write(obj, action)`. Inside a request (`AuditTrailMiddleware`), reads,
  lists and exports are collected and appended together when the view has
  answered, in one short transaction; a read repeated within the request (a
  decorator and the view loading the same record) is written once. Writes are
  inserted at once, in the caller's transaction: a change that rolls back leaves
  no event, and no change commits without its event. Outside a request (tasks,
  commands, tests) every event is appended at once.

Sealing: an event is inserted and never changed; once its transaction commits,
a seal covers it (`audit.sealing`). A writer holds the writers' gate (shared)
from before its event's id is drawn until its commit, which is how the sealer
knows which ids are settled; writers never wait for each other
(docs/decisions/0012-audit-log.md).

Actor and address: a loader passes the user it checked permissions for (for the
JSON API that is the bearer token's user); a service passes the staff member it
acts for, or nothing, and then the request's `request.user` is the actor (the
system outside a request). The address is the request's `REMOTE_ADDR`.

No event costs a SELECT beyond the chain's head: roles come from the staff
membership cached on the login and from the objects already loaded.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from skinterval.audit.context import current_trail
from skinterval.audit.models import (
    RECORDED_MARK,
    ActorRole,
    AuditAction,
    AuditEvent,
)
from skinterval.audit.sealing import GATE_SQL, GATE_STEP, seal_after_commit
from skinterval.clinics.models import Clinic, StaffMember
from skinterval.clinics.queries import staff_member_for
from skinterval.patients.models import Patient

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser

    Actor = AnyUser | StaffMember | None

# Where a patient login's clinic is cached on the login object, for the request.
_PATIENT_CLINIC_KEY = "_skinterval_audit_patient_clinic"
_UNKNOWN = object()


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
    """Append one event now (a seal covers it after the commit: audit.sealing).
    `request_or_user` is who acted (None: the system
    itself); `obj` the model instance acted on (its type and primary key are
    recorded, never its contents), or `object_type`/`object_id` when there is no
    instance. The clinic is `clinic`, else the object's clinic, else the actor's."""
    user: AnyUser | None
    if isinstance(request_or_user, HttpRequest):
        user = request_or_user.user
        if source_ip is None:
            source_ip = request_or_user.META.get("REMOTE_ADDR")
    else:
        user = request_or_user
    event = _event(
        actor=user,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        clinic=clinic,
        source_ip=source_ip,
        now=now,
    )
    _append([event])
    return event


# --------------------------------------------------------------------- the trail


def record_read(obj: models.Model, *, user: AnyUser) -> None:
    """`user` was shown `obj` (called by the permission-checked loaders)."""
    _collect(_event(actor=user, action=AuditAction.VIEW, obj=obj))


def record_list(
    object_type: type[models.Model] | str,
    *,
    user: AnyUser,
    count: int,
    clinic: Clinic | None = None,
) -> None:
    """`user` was shown a list of `count` rows of a type: one event for the
    list, never one per row."""
    _collect(
        _event(
            actor=user,
            action=AuditAction.VIEW,
            object_type=_label(object_type),
            clinic=clinic,
            row_count=count,
        )
    )


def record_export(
    obj: models.Model | None = None,
    *,
    user: AnyUser | None = None,
    object_type: str = "",
    object_id: str = "",
    clinic: Clinic | None = None,
    count: int | None = None,
) -> None:
    """Data about `obj` (or of a report) left the application as a file."""
    _collect(
        _event(
            actor=_request_actor() if user is None else user,
            action=AuditAction.EXPORT,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            clinic=clinic,
            row_count=count,
        )
    )


def record_write(
    obj: models.Model, action: AuditAction | str, *, by: Actor = None
) -> None:
    """`obj` was created or changed: appended now, in the caller's transaction,
    so that the change and its event commit together. `by` is who did it (a
    staff member or a login); None means the request's login, or the system
    outside a request."""
    actor = _request_actor() if by is None else by
    _append([_event(actor=actor, action=action, obj=obj)])


def write_in_statement(
    obj: models.Model, action: AuditAction | str, *, by: Actor = None, written: str
) -> tuple[str, dict[str, Any]]:
    """The event of a row that one data-modifying statement is about to write,
    as the text of a second data-modifying step of that statement:
    `INSERT INTO <audit> ... SELECT ... FROM <written>`, where `written` names
    the statement's step (a `WITH` query) that returns the new row's `id`; and
    its parameters, all named `audit_*`. So the row and its event are written
    by one round trip and commit together (the booking fast path); the step
    holds the writers' gate until then. `obj` is the unsaved row (its clinic
    and type are read from it). Run `audit.sealing.seal_after_commit()` once
    the statement has written the row. PostgreSQL only."""
    values = _event_values(
        actor=_request_actor() if by is None else by, action=action, obj=obj
    )
    params = {f"audit_{column}": values[column] for column, _ in _STEP_COLUMNS}
    return _step_sql(written), params


# The columns an event is inserted with, and their PostgreSQL types (the
# parameters are typed, so the prepared statement never has to guess).
_STEP_COLUMNS = (
    ("occurred_at", "timestamptz"),
    ("actor_user_id", "bigint"),
    ("actor_role", "varchar"),
    ("clinic_id", "bigint"),
    ("action", "varchar"),
    ("object_type", "varchar"),
    ("source_ip", "inet"),
    ("row_count", "integer"),
)


def _step_sql(written: str) -> str:
    columns = ", ".join(column for column, _ in _STEP_COLUMNS)
    values = ", ".join(f"%(audit_{column})s::{kind}" for column, kind in _STEP_COLUMNS)
    return (
        f"INSERT INTO {AuditEvent._meta.db_table} ({columns}, object_id) "  # noqa: S608 - our names only
        f"SELECT {values}, {written}.id::text FROM {written}, {GATE_STEP}"
    )


def flush_trail(events: Iterable[AuditEvent]) -> None:
    """Append a request's collected events (AuditTrailMiddleware)."""
    pending = list(events)
    if pending:
        _append(pending)


def _collect(event: AuditEvent) -> None:
    trail = current_trail()
    if trail is None:
        _append([event])
        return
    trail.add(event)


def _request_actor() -> AnyUser | None:
    trail = current_trail()
    if trail is None:
        return None
    user: AnyUser | None = getattr(trail.request, "user", None)
    return user


# ------------------------------------------------------------- building a row


def _label(object_type: type[models.Model] | str) -> str:
    if isinstance(object_type, str):
        return object_type
    return object_type._meta.label_lower


class _EventFields(TypedDict, total=False):
    """`_event_values`' keywords, so that callers of `_event` are checked too."""

    actor: Required[Actor]
    action: Required[AuditAction | str]
    obj: models.Model | None
    object_type: str
    object_id: str
    clinic: Clinic | None
    source_ip: str | None
    row_count: int | None
    now: datetime | None


def _event(**fields: Unpack[_EventFields]) -> AuditEvent:
    event = AuditEvent(**_event_values(**fields))
    setattr(event, RECORDED_MARK, True)
    return event


# A frozen set: checked for every event, and `AuditAction.values` builds a list.
_ACTIONS = frozenset(AuditAction.values)


def _event_values(
    *,
    actor: Actor,
    action: AuditAction | str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    clinic: Clinic | None = None,
    source_ip: str | None = None,
    row_count: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """An event's columns, but the hashes."""
    if action not in _ACTIONS:
        raise ValueError(f"Unknown audit action: {action!r}")
    occurred_at = now or timezone.now()
    if timezone.is_naive(occurred_at):
        raise ValueError("Audit times are aware instants (UTC).")
    if source_ip is None:
        trail = current_trail()
        source_ip = trail.source_ip if trail is not None else None
    role, actor_user_id, actor_clinic_id = _actor(actor, obj)
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
    clinic_id = (
        clinic.pk
        if clinic is not None
        else getattr(obj, "clinic_id", None) or actor_clinic_id
    )
    return {
        "occurred_at": occurred_at,
        "actor_user_id": actor_user_id,
        "actor_role": role,
        "clinic_id": clinic_id,
        "action": action,
        "object_type": object_type[:60],
        "object_id": object_id[:64],
        "source_ip": _normalised_ip(source_ip),
        "row_count": row_count,
    }


def _actor(
    actor: Actor, obj: models.Model | None = None
) -> tuple[ActorRole, int | None, int | None]:
    """The actor's role, login id and clinic id, from rows already loaded: the
    staff membership is cached on the login for the request, and a patient's
    clinic is read once per login object (none when it is the record shown)."""
    if actor is None:
        return ActorRole.SYSTEM, None, None
    if isinstance(actor, StaffMember):
        return ActorRole(actor.role), actor.user_id, actor.clinic_id
    if not actor.is_authenticated:
        return ActorRole.ANONYMOUS, None, None
    member = staff_member_for(actor)
    if member is not None:
        return ActorRole(member.role), actor.pk, member.clinic_id
    cache = actor.__dict__
    clinic_id = cache.get(_PATIENT_CLINIC_KEY, _UNKNOWN)
    if clinic_id is _UNKNOWN:
        if isinstance(obj, Patient) and obj.user_id == actor.pk:
            clinic_id = obj.clinic_id
        else:
            clinic_id = (
                Patient.objects.filter(user_id=actor.pk)
                .values_list("clinic_id", flat=True)
                .first()
            )
        cache[_PATIENT_CLINIC_KEY] = clinic_id
    if clinic_id is not None:
        return ActorRole.PATIENT, actor.pk, int(clinic_id)
    return ActorRole.OTHER_LOGIN, actor.pk, None


def _append(events: list[AuditEvent]) -> None:
    """Insert the events, in order, in the caller's transaction (or one of their
    own), holding the writers' gate until it commits; a seal covers them once
    it has."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(GATE_SQL)
        for event in events:
            event.save()
    seal_after_commit()


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
