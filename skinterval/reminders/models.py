"""Messages to patients: the outbox, each clinic's settings, each patient's choices.

An `OutboxMessage` row is written in the same transaction as the change that
causes it (a booking, a move, an approval, a completed session); the worker
(`manage.py send_due_messages`) claims due rows, checks them against the current
state of the appointment or plan, sends them and marks them sent. See
docs/messages.md and decision 0007.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.appointments.models import Appointment, WaitlistOffer
from skinterval.clinics.models import Clinic, ClinicOwned
from skinterval.domain.messaging import QuietHours, parse_hours
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession


class KindGroup(models.TextChoices):
    """What a patient opts in or out of, per channel."""

    APPOINTMENTS = "appointments", _("Appointment confirmations and reminders")
    AFTERCARE = "aftercare", _("Aftercare advice and check-in requests")
    RECALLS = "recalls", _("When to book your next visit")


class MessageKind(models.TextChoices):
    BOOKING_CONFIRMATION = "booking_confirmation", _("Booking confirmation")
    APPOINTMENT_REMINDER = "appointment_reminder", _("Appointment reminder")
    AFTERCARE = "aftercare", _("Aftercare advice")
    CHECK_IN_REQUEST = "check_in_request", _("Check-in request")
    WINDOW_OPENS = "window_opens", _("Next session can be booked")
    WINDOW_CLOSING = "window_closing", _("Next session's window closes soon")
    REVIEW_VISIT = "review_visit", _("Review visit recall")
    MAINTENANCE_RECALL = "maintenance_recall", _("Maintenance recall")
    WAITLIST_OFFER = "waitlist_offer", _("Earlier time offered")


GROUP_OF: dict[str, KindGroup] = {
    MessageKind.BOOKING_CONFIRMATION: KindGroup.APPOINTMENTS,
    MessageKind.APPOINTMENT_REMINDER: KindGroup.APPOINTMENTS,
    MessageKind.AFTERCARE: KindGroup.AFTERCARE,
    MessageKind.CHECK_IN_REQUEST: KindGroup.AFTERCARE,
    MessageKind.WINDOW_OPENS: KindGroup.RECALLS,
    MessageKind.WINDOW_CLOSING: KindGroup.RECALLS,
    MessageKind.REVIEW_VISIT: KindGroup.RECALLS,
    MessageKind.MAINTENANCE_RECALL: KindGroup.RECALLS,
    MessageKind.WAITLIST_OFFER: KindGroup.APPOINTMENTS,
}
# Kinds about one booking (replaced when it moves, dropped when it is cancelled).
BOOKING_KINDS = (MessageKind.BOOKING_CONFIRMATION, MessageKind.APPOINTMENT_REMINDER)
# Kinds that follow a completed session.
SESSION_KINDS = (MessageKind.AFTERCARE, MessageKind.CHECK_IN_REQUEST)
# Kinds about the plan as a whole (the next session's window, follow-up visits).
PLAN_KINDS = (
    MessageKind.WINDOW_OPENS,
    MessageKind.WINDOW_CLOSING,
    MessageKind.REVIEW_VISIT,
    MessageKind.MAINTENANCE_RECALL,
)


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Withdrawn before sending")
    SKIPPED = "skipped", _("Not sent (checked when due)")
    FAILED = "failed", _("Failed")


class OutboxMessage(ClinicOwned):
    """One message to one patient on one channel, due at one time.

    Unique per (appointment or plan, kind, due time, channel), and per (offer,
    channel) for an earlier time offered from the waitlist. `send_at` is the due
    time moved past the clinic's quiet hours; the worker picks rows whose `send_at`
    has come. While a worker holds a row (`sending`) it owns it until
    `lease_until`; `claim_token` tells its own claim from a later one."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("patient"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appointment"),
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plan"),
    )
    plan_session = models.ForeignKey(
        PlanSession,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("planned session"),
    )
    waitlist_offer = models.ForeignKey(
        WaitlistOffer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("waitlist offer"),
        help_text=_("For an earlier time offered: the offer the message is about."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField(_("due at"))
    send_at = models.DateTimeField(
        _("send at"), help_text=_("The due time, moved past the quiet hours.")
    )
    expires_at = models.DateTimeField(
        _("too late after"), help_text=_("Not sent after this (no longer useful).")
    )
    appointment_sequence = models.PositiveIntegerField(
        _("appointment revision"), null=True, blank=True
    )
    context = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OutboxStatus.choices,
        default=OutboxStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("held by a worker until"), null=True)
    worker_id = models.CharField(_("worker"), max_length=100, blank=True)
    claim_token = models.CharField(_("claim"), max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("Why it was withdrawn, not sent or failed."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-send_at", "-pk"]
        verbose_name = _("message to a patient")
        verbose_name_plural = _("messages to patients")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "due_at", "channel"],
                condition=Q(appointment__isnull=False, waitlist_offer__isnull=True),
                name="outbox_one_per_appointment_kind_due",
            ),
            # one appointment may be offered several earlier times at once
            models.UniqueConstraint(
                fields=["waitlist_offer", "channel"],
                condition=Q(waitlist_offer__isnull=False),
                name="outbox_one_per_waitlist_offer",
            ),
            models.UniqueConstraint(
                fields=["plan", "kind", "due_at", "channel"],
                condition=Q(appointment__isnull=True),
                name="outbox_one_per_plan_kind_due",
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False) | Q(plan__isnull=False),
                name="outbox_about_appointment_or_plan",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(lease_until__isnull=False),
                name="outbox_sending_has_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "send_at"], name="outbox_due"),
            models.Index(fields=["status", "lease_until"], name="outbox_lease"),
            models.Index(fields=["patient", "status"], name="outbox_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_channel_display()})"

    @property
    def group(self) -> KindGroup:
        return GROUP_OF[self.kind]

    @property
    def message_id(self) -> str:
        """The stable identity of this message at the outgoing backend: the same
        on every attempt, so a resend after a crash is recognisably the same."""
        return f"<skinterval.outbox.{self.pk}@{settings.SKINTERVAL_MESSAGE_ID_DOMAIN}>"


def validate_reminder_hours(value: str) -> None:
    try:
        parse_hours(value)
    except ValueError as exc:
        raise ValidationError(
            _("Write whole hours separated by commas, for example 48, 24 (%(why)s).")
            % {"why": exc}
        ) from None


class MessagingSettings(models.Model):
    """A clinic's choices about messages; a clinic without a row uses the
    defaults below."""

    clinic = models.OneToOneField(
        Clinic,
        on_delete=models.CASCADE,
        related_name="messaging",
        verbose_name=_("clinic"),
    )
    reminder_hours_before = models.CharField(
        _("reminders (hours before the appointment)"),
        max_length=40,
        default="48, 24",
        blank=True,
        validators=[validate_reminder_hours],
        help_text=_("For example 48, 24. Empty for no reminders."),
    )
    quiet_hours_start = models.TimeField(
        _("quiet hours start"),
        default=time(21),
        help_text=_("Nothing is sent from this time (clinic time)..."),
    )
    quiet_hours_end = models.TimeField(
        _("quiet hours end"),
        default=time(8),
        help_text=_("...until this time. Equal times: no quiet hours."),
    )
    send_time = models.TimeField(
        _("time of day for dated messages"),
        default=time(9, 30),
        help_text=_("When aftercare, check-in and booking messages for a day go out."),
    )
    window_closing_days = models.PositiveSmallIntegerField(
        _("warn this many days before a window closes"),
        default=5,
        validators=[MaxValueValidator(60)],
    )
    recall_notice_days = models.PositiveSmallIntegerField(
        _("recall this many days before a review or maintenance visit"),
        default=14,
        validators=[MaxValueValidator(120)],
    )
    language = models.CharField(
        _("language of messages"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self) -> str:
        return str(_("Messaging settings"))

    @property
    def quiet_hours(self) -> QuietHours:
        return QuietHours(self.quiet_hours_start, self.quiet_hours_end)

    @property
    def reminder_hours(self) -> tuple[int, ...]:
        return parse_hours(self.reminder_hours_before)


class ContactPreference(ClinicOwned):
    """A patient's choice for one group of messages on one channel. Without a row:
    email on, text messages off."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("patient"),
    )
    group = models.CharField(_("messages"), max_length=20, choices=KindGroup.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("wanted"))
    changed_at = models.DateTimeField(_("changed at"))
    changed_via = models.CharField(_("changed through"), max_length=40)

    class Meta:
        ordering = ["patient", "group", "channel"]
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "group", "channel"],
                name="contact_preference_one_per_group_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_group_display()}, {self.get_channel_display()}"


DEFAULT_ENABLED = {Channel.EMAIL: True, Channel.SMS: False}
