"""The tenant (`Clinic`) and what it owns: locations, rooms, devices and staff.

Every row carries its clinic so that every query can be scoped by it, and so that a
database sharded by clinic could take a chain of clinics later.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from skinterval.clinics.validators import validate_timezone

# Needle depth a device can be set to. 5 mm is the ceiling of the assessment contract.
DEVICE_DEPTH_CEILING_MM = Decimal("5.00")


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_timezone],
        help_text=_("IANA name, for example Europe/London."),
    )
    country = CountryField(verbose_name=_("country"))
    holiday_subdivision = models.CharField(
        _("region for public holidays"),
        max_length=10,
        blank=True,
        help_text=_("Optional, for example ENG or NY; empty means national holidays."),
    )
    closed_on_public_holidays = models.BooleanField(
        _("closed on public holidays"), default=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class ClinicOwned(models.Model):
    """Base for every row that belongs to one clinic."""

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, verbose_name=_("clinic")
    )

    class Meta:
        abstract = True

    def check_same_clinic(self, **related: Any) -> None:
        """Refuse links to another clinic's rows (a room of clinic B in clinic A)."""
        errors = {
            field: _("This belongs to another clinic.")
            for field, obj in related.items()
            if obj is not None and obj.clinic_id != self.clinic_id
        }
        if errors:
            raise ValidationError(errors)


class Location(ClinicOwned):
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], name="location_name_unique_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Room(ClinicOwned):
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="rooms",
        verbose_name=_("location"),
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["location__name", "name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"

    def clean(self) -> None:
        self.check_same_clinic(location=getattr(self, "location", None))


class Device(ClinicOwned):
    """A micro-needling pen or roller. Its maximum depth caps every planned depth:
    a pen cleared only to 1.5 mm is never planned deeper, whatever the area allows."""

    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("location"),
    )
    name = models.CharField(_("name"), max_length=100)
    model_name = models.CharField(_("make and model"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    max_depth_mm = models.DecimalField(
        _("maximum needle depth (mm)"),
        max_digits=3,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.05")),
            MaxValueValidator(DEVICE_DEPTH_CEILING_MM),
        ],
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_depth_mm__gt=0)
                & Q(max_depth_mm__lte=DEVICE_DEPTH_CEILING_MM),
                name="device_max_depth_within_ceiling",
            ),
            models.UniqueConstraint(
                fields=["clinic", "name"], name="device_name_unique_per_clinic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (≤ {self.max_depth_mm} mm)"

    def clean(self) -> None:
        self.check_same_clinic(location=getattr(self, "location", None))


class StaffRole(models.TextChoices):
    OWNER = "owner", _("Clinic owner")
    PRACTITIONER = "practitioner", _("Practitioner")
    FRONT_DESK = "front_desk", _("Front desk")


class StaffMember(ClinicOwned):
    """A login's role at its clinic. One clinic per login for now (see
    docs/decisions/0002-one-clinic-per-staff-login.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="staff_member",
        verbose_name=_("login"),
    )
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    display_name = models.CharField(_("name shown to patients"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def is_practitioner(self) -> bool:
        return self.role == StaffRole.PRACTITIONER


class QualificationKind(models.TextChoices):
    PHYSICIAN = "physician", _("Physician (may sign findings needing physician review)")
    NURSE = "nurse", _("Registered nurse")
    AESTHETIC_PRACTITIONER = "aesthetic_practitioner", _("Aesthetic practitioner")
    MICRONEEDLING = "microneedling", _("Trained in micro-needling")


class Qualification(ClinicOwned):
    staff_member = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        related_name="qualifications",
        verbose_name=_("staff member"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=QualificationKind.choices)
    registration_number = models.CharField(
        _("registration number"), max_length=100, blank=True
    )
    valid_until_on = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.UniqueConstraint(
                fields=["staff_member", "kind"], name="qualification_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        self.check_same_clinic(staff_member=getattr(self, "staff_member", None))


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingInterval(ClinicOwned):
    """One stretch of a staff member's working week at a location, in the clinic's
    local wall-clock time. Several per weekday are allowed (a lunch break is two
    intervals); `effective_from_on`/`effective_until_on` let a rota change on a date."""

    staff_member = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        related_name="working_intervals",
        verbose_name=_("staff member"),
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, verbose_name=_("location")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("starts (local time)"))
    end_time = models.TimeField(_("ends (local time)"))
    effective_from_on = models.DateField(_("from"))
    effective_until_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="working_interval_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(effective_until_on__isnull=True)
                | Q(effective_until_on__gte=models.F("effective_from_on")),
                name="working_interval_effective_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6),
                name="working_interval_weekday_valid",
            ),
        ]

    def __str__(self) -> str:
        day = self.get_weekday_display()
        return f"{day} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self) -> None:
        self.check_same_clinic(
            staff_member=getattr(self, "staff_member", None),
            location=getattr(self, "location", None),
        )


class TimeOff(ClinicOwned):
    """Whole local days a staff member is away (leave, training), both ends included."""

    staff_member = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        related_name="time_off",
        verbose_name=_("staff member"),
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="time_off_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff_member}: {self.starts_on} – {self.ends_on}"

    def clean(self) -> None:
        self.check_same_clinic(staff_member=getattr(self, "staff_member", None))


class Closure(ClinicOwned):
    """Whole local days a location (or, with no location, the whole clinic) is shut."""

    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("location"),
        help_text=_("Empty closes every location."),
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="closure_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.location or _('All locations')}: {self.starts_on} – {self.ends_on}"
        )

    def clean(self) -> None:
        self.check_same_clinic(location=getattr(self, "location", None))
