"""Service types and appointments.

An appointment occupies its practitioner, room and device from `blocked_from_at` to
`blocked_until_at` (its time widened by the service's buffers) and its patient from
`starts_at` to `ends_at`. No two non-cancelled appointments may overlap on any of
them: on PostgreSQL the database enforces it with exclusion constraints (migration
0002), on SQLite the booking service re-checks inside an IMMEDIATE transaction.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import (
    ClinicOwned,
    Device,
    Location,
    QualificationKind,
    Room,
    StaffMember,
)
from skinterval.patients.models import Patient
from skinterval.plans.models import PlanSession


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    MICRONEEDLING = "microneedling", _("Micro-needling session")
    REVIEW = "review", _("Review visit")


class ServiceType(ClinicOwned):
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    duration_min = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    buffer_before_min = models.PositiveSmallIntegerField(
        _("preparation before (minutes)"),
        default=0,
        validators=[MaxValueValidator(120)],
    )
    buffer_after_min = models.PositiveSmallIntegerField(
        _("clean-up after (minutes)"), default=0, validators=[MaxValueValidator(120)]
    )
    needs_room = models.BooleanField(_("needs a room"), default=True)
    needs_device = models.BooleanField(_("needs a device"), default=False)
    required_qualification = models.CharField(
        _("practitioner must be"),
        max_length=30,
        choices=QualificationKind.choices,
        blank=True,
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], name="service_type_name_unique_per_clinic"
            ),
            models.CheckConstraint(
                condition=Q(duration_min__gte=5), name="service_type_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AppointmentStatus(models.TextChoices):
    HELD = "held", _("Held while booking")
    BOOKED = "booked", _("Booked")
    ARRIVED = "arrived", _("Arrived")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Did not attend")


# Every status but cancelled keeps its time: a no-show still used the chair.
OCCUPYING = [s for s in AppointmentStatus if s != AppointmentStatus.CANCELLED]


class Appointment(ClinicOwned):
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, verbose_name=_("service")
    )
    practitioner = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("practitioner"),
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, verbose_name=_("location")
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("room")
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("device"),
    )
    plan_session = models.ForeignKey(
        PlanSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("planned session"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    blocked_from_at = models.DateTimeField(_("resources taken from"))
    blocked_until_at = models.DateTimeField(_("resources taken until"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    window_override_reason = models.TextField(
        _("reason for booking outside the window"), blank=True
    )
    outside_window = models.BooleanField(
        _("outside its session window"),
        default=False,
        help_text=_("Set when the windows re-flowed and this booking no longer fits."),
    )
    cancellation_reason = models.CharField(
        _("cancellation reason"), max_length=200, blank=True
    )
    sequence = models.PositiveIntegerField(
        _("revision"), default=0, help_text=_("Bumped on every move (iCalendar).")
    )
    booked_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(blocked_from_at__lte=models.F("starts_at"))
                & Q(blocked_until_at__gte=models.F("ends_at")),
                name="appointment_block_covers_visit",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False),
                name="appointment_hold_has_expiry",
            ),
            models.UniqueConstraint(
                fields=["plan_session"],
                condition=Q(plan_session__isnull=False) & ~Q(status="cancelled"),
                name="appointment_one_active_per_plan_session",
            ),
        ]
        indexes = [
            models.Index(
                fields=["practitioner", "blocked_from_at"],
                name="appt_practitioner_time",
            ),
            models.Index(fields=["room", "blocked_from_at"], name="appt_room_time"),
            models.Index(fields=["device", "blocked_from_at"], name="appt_device_time"),
            models.Index(fields=["patient", "starts_at"], name="appt_patient_time"),
            models.Index(fields=["clinic", "blocked_from_at"], name="appt_clinic_time"),
            models.Index(fields=["status", "hold_expires_at"], name="appt_hold_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status != AppointmentStatus.CANCELLED


class OptimizerRunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    PROPOSED = "proposed", _("Changes proposed")
    APPLIED = "applied", _("Changes booked")
    FAILED = "failed", _("Stopped without a proposal")


class OptimizerRun(ClinicOwned):
    """One run of the calendar optimizer started from the staff app: its progress
    while it runs in the worker, then the changes it proposes, until someone
    books them (through the normal booking path) or runs it again.

    `proposal` holds the optimizer's assignments that change the calendar, as
    contract-style JSON (series ids are `plan<pk>`, resources `p<pk>`, `r<pk>`,
    `d<pk>`); nothing about a patient but those ids."""

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, verbose_name=_("location")
    )
    first_on = models.DateField(_("from"))
    last_on = models.DateField(_("to"))
    time_limit_s = models.PositiveSmallIntegerField(
        _("time limit (seconds)"), validators=[MaxValueValidator(300)]
    )
    requested_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OptimizerRunStatus.choices,
        default=OptimizerRunStatus.QUEUED,
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=40, blank=True)
    elapsed_s = models.FloatField(_("seconds so far"), default=0.0)
    objective = models.FloatField(_("objective"), null=True, blank=True)
    bound = models.FloatField(_("proven bound"), null=True, blank=True)
    gap = models.FloatField(_("gap"), null=True, blank=True)
    pending_count = models.PositiveIntegerField(_("sessions to place"), default=0)
    unplaced_count = models.PositiveIntegerField(_("sessions left unplaced"), default=0)
    proposal = models.JSONField(_("proposed changes"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    applied_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    applied_at = models.DateTimeField(_("booked at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("optimizer run")
        verbose_name_plural = _("optimizer runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_on__gte=models.F("first_on")),
                name="optimizer_run_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Optimizer run {self.pk} ({self.status})"


# --- waitlist and calendar feeds (docs/public-booking.md) --------------------


class WaitlistStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an earlier time")
    FULFILLED = "fulfilled", _("Moved to an earlier time")
    WITHDRAWN = "withdrawn", _("No longer waiting")


class WaitlistRequest(ClinicOwned):
    """A patient would take an earlier time for a booked appointment.

    Only times inside the appointment's session window (for a planned session),
    or from `earliest_on` on (for any other visit), and before the appointment
    itself are offered. Made by the patient in the portal or by the front desk
    (`created_by`)."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="waitlist_requests",
        verbose_name=_("patient"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        related_name="waitlist_requests",
        verbose_name=_("appointment to bring forward"),
    )
    earliest_on = models.DateField(_("not before"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WaitlistStatus.choices,
        default=WaitlistStatus.OPEN,
    )
    created_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
        help_text=_("Empty when the patient asked in the portal."),
    )
    created_at = models.DateTimeField(_("asked at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("waitlist request")
        verbose_name_plural = _("waitlist requests")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(status="open"),
                name="waitlist_one_open_request_per_appointment",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status"], name="waitlist_clinic_status"),
        ]

    def __str__(self) -> str:
        return f"Waitlist request {self.pk} ({self.status})"


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    TAKEN = "taken", _("Taken by someone else")


class WaitlistOffer(ClinicOwned):
    """A freed time offered to one waitlist request. Several requests may be
    offered the same freed time; the first to accept books it."""

    request = models.ForeignKey(
        WaitlistRequest,
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("waitlist request"),
    )
    freed_appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cancelled appointment that freed the time"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    practitioner = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("practitioner"),
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("room")
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("device"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OfferStatus.choices,
        default=OfferStatus.OPEN,
    )
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["offered_at", "pk"]
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "freed_appointment"],
                name="waitlist_offer_once_per_freed_time",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("offered_at")),
                name="waitlist_offer_expires_after_offer",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="waitlist_offer_expiry"),
        ]

    def __str__(self) -> str:
        return f"Waitlist offer {self.pk} ({self.status})"


class CalendarFeed(ClinicOwned):
    """A patient's private calendar subscription (`/feed/<key><secret>.ics`).

    Only the SHA-256 of the secret is stored; the full address is shown once,
    when it is made. Revoking ends it; making a new one revokes the old one."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("patient"),
    )
    key = models.CharField(_("key"), max_length=16, unique=True)
    secret_sha256 = models.CharField(_("SHA-256 of the secret"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("turned off at"), null=True, blank=True)
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.key}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
