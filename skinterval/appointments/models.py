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
