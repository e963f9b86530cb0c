"""The audit log: one append-only row per access to or change of protected data.

A row says who (login id and role), at which clinic, did what (view, create, ...)
to which object (its type and opaque id), when (UTC) and from which address. It
never holds clinical values or names: the object id is enough to find the record,
for those allowed to see it.

Rows are never changed or deleted by the application: `save()` refuses anything
but an insert, `delete()` and the queryset's `update()`/`delete()` refuse, and on
PostgreSQL a trigger refuses UPDATE and DELETE outright. A change made behind the
application's back (raw SQL, a database console) is found by the hash chain:

- An event is inserted as it happens and never touched again.
- Just after, a *seal* (`AuditSeal`) covers every event in a range of ids in one
  hash, chained to the seal before it (`audit.sealing`). One seal serves all the
  events of its moment, so concurrent bookings never queue on the chain and an
  event costs the database one insert.
- Events written before seals existed carry their own hashes (`prev_hash`,
  `row_hash`, `chain_position`: one link per row); the first seal continues that
  row chain. New events leave those columns empty.

`verify_chain()` (audit.queries) recomputes both. See docs/audit.md and
docs/decisions/0012-audit-log.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import Clinic

# The `prev_hash` of the very first row.
GENESIS_HASH = "0" * 64
# Set on events built by audit.services (the only way rows come in).
RECORDED_MARK = "_skinterval_recorded"


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit row (or to insert one that does not
    continue the chain)."""


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")
    # Login security (docs/decisions/0017-staff-two-factor-and-lockout.md).
    LOCKED_OUT = "locked_out", _("Locked out after failed logins")
    OTP_SETUP = "otp_setup", _("Set up two-factor login")
    OTP_VERIFIED = "otp_verified", _("Passed two-factor check")
    OTP_FAILED = "otp_failed", _("Wrong two-factor code")
    OTP_REMOVED = "otp_removed", _("Two-factor devices removed")


class ActorRole(models.TextChoices):
    """The role the actor acted in: a clinic role, a patient, or none."""

    OWNER = "owner", _("Clinic owner")
    PRACTITIONER = "practitioner", _("Practitioner")
    FRONT_DESK = "front_desk", _("Front desk")
    PATIENT = "patient", _("Patient")
    OTHER_LOGIN = "other_login", _("Login without a clinic role")
    ANONYMOUS = "anonymous", _("Not logged in")
    SYSTEM = "system", _("The system (no login)")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Rows can be read and added one at a time (through `audit.services.record`),
    never changed or removed in bulk."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be changed.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are added one at a time, by record().")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("when (UTC)"))
    actor_user_id = models.PositiveBigIntegerField(_("login id"), null=True, blank=True)
    actor_role = models.CharField(_("role"), max_length=20, choices=ActorRole.choices)
    # PROTECT: a clinic with an audit trail cannot be deleted. No index of its
    # own: `audit_clinic_at` starts with the clinic.
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clinic"),
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    # A list page: how many rows it showed (one event per list, not one per row).
    row_count = models.PositiveIntegerField(_("rows shown"), null=True, blank=True)
    # The row chain of events written before seals existed (unique where set,
    # Meta.constraints: two rows can never continue the same row). Empty on
    # every newer event, which an `AuditSeal` covers instead.
    prev_hash = models.CharField(  # noqa: DJ001
        _("previous row's hash"), max_length=64, null=True, blank=True
    )
    row_hash = models.CharField(  # noqa: DJ001
        _("this row's hash"), max_length=64, null=True, blank=True
    )
    # The row's place in that chain (1, 2, 3, ...).
    chain_position = models.PositiveBigIntegerField(
        _("place in the chain"), null=True, blank=True
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["clinic", "occurred_at"], name="audit_clinic_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]
        # Partial: a new event (all three empty) adds no entry to them, so an
        # event costs three index entries, not six.
        constraints = [
            models.UniqueConstraint(
                fields=["prev_hash"],
                condition=models.Q(prev_hash__isnull=False),
                name="audit_prev_hash_unique",
            ),
            models.UniqueConstraint(
                fields=["row_hash"],
                condition=models.Q(row_hash__isnull=False),
                name="audit_row_hash_unique",
            ),
            models.UniqueConstraint(
                fields=["chain_position"],
                condition=models.Q(chain_position__isnull=False),
                name="audit_chain_position_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_role} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update"):
            raise AppendOnlyError("Audit events cannot be changed.")
        if not getattr(self, RECORDED_MARK, False) or self.sealed_fields_set():
            raise AppendOnlyError("Audit events are added by record() only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def sealed_fields_set(self) -> bool:
        return (
            self.prev_hash is not None
            or self.row_hash is not None
            or self.chain_position is not None
        )

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")

    def canonical_content(self) -> str:
        return canonical_content({name: getattr(self, name) for name in CONTENT_FIELDS})

    def expected_hash(self) -> str:
        """The row's hash in the older row chain (events before seals)."""
        return chain_hash(self.prev_hash or "", self.canonical_content())


# The columns a row's hash covers: all but the hashes and the id.
CONTENT_FIELDS = (
    "occurred_at",
    "actor_user_id",
    "actor_role",
    "clinic_id",
    "action",
    "object_type",
    "object_id",
    "source_ip",
    "row_count",
)


def canonical_content(row: Mapping[str, Any]) -> str:
    """A row's `CONTENT_FIELDS` as one JSON text with sorted keys.

    `row_count` came later (migration 0003): it is part of the text only when
    set, so rows written before it keep the hash they were written with."""
    content: dict[str, object] = {
        "occurred_at": row["occurred_at"].astimezone(UTC).isoformat(),
        "actor_user_id": row["actor_user_id"],
        "actor_role": str(row["actor_role"]),
        "clinic_id": row["clinic_id"],
        "action": str(row["action"]),
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "source_ip": row["source_ip"],
    }
    if row["row_count"] is not None:
        content["row_count"] = row["row_count"]
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def event_digests(rows: Iterable[Mapping[str, Any]]) -> str:
    """One line per event, in the order given: its id and a digest of its id and
    `CONTENT_FIELDS`. Kept in the seal, so that a check can name the very event
    that was changed, removed or added."""
    return "\n".join(
        f"{row['id']} "
        + hashlib.sha256(f"{row['id']} {canonical_content(row)}".encode()).hexdigest()[
            :DIGEST_LENGTH
        ]
        for row in rows
    )


def seal_hash(prev_hash: str, after_id: int, up_to_id: int, digests: str) -> str:
    """A seal's hash: the link before it, the range of ids it covers and its
    events' digests."""
    return chain_hash(prev_hash, f"{after_id} {up_to_id}\n{digests}")


# Hex digits of an event's digest in its seal (128 bits).
DIGEST_LENGTH = 32


class AuditSealQuerySet(models.QuerySet["AuditSeal"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit seals cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit seals cannot be deleted.")


class AuditSeal(models.Model):
    """One link of the audit chain: the hash of every event with an id in
    (`after_id`, `up_to_id`] (events of the older row chain aside), and of the
    seal before it. Seals cover consecutive ranges: each starts where the one
    before it ended. Written by `audit.sealing` only, never changed."""

    position = models.PositiveBigIntegerField(_("place in the chain"), unique=True)
    after_id = models.PositiveBigIntegerField(_("covers events after id"))
    up_to_id = models.PositiveBigIntegerField(_("covers events up to id"))
    event_count = models.PositiveIntegerField(_("events covered"))
    # `event_digests()` of the covered events, in id order.
    event_digests = models.TextField(_("events' digests"))
    prev_hash = models.CharField(_("previous link's hash"), max_length=64)
    seal_hash = models.CharField(_("this seal's hash"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at (UTC)"))

    objects = AuditSealQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        constraints = [
            models.UniqueConstraint(
                fields=["prev_hash"], name="audit_seal_prev_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(up_to_id__gt=models.F("after_id")),
                name="audit_seal_range_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"seal {self.position}: events {self.after_id + 1}-{self.up_to_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update"):
            raise AppendOnlyError("Audit seals cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit seals cannot be deleted.")

    def expected_hash(self) -> str:
        return seal_hash(
            self.prev_hash, self.after_id, self.up_to_id, self.event_digests
        )
