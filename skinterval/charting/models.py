"""Consent to treatment and photographs, and the chart of each micro-needling session.

A `Consent` records which version of which text a patient agreed to (with the hash of
the exact words shown), when, how and before whom; it ends by withdrawal or when a
newer consent of the same kind replaces it. A `SessionChart` is one appointment's
record: the safety re-check at check-in, then per treated area what was done
(`ChartedArea`). Completed charts are what the planning engine later reads as the
patient's `prior_sessions`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.appointments.models import Appointment
from skinterval.clinics.models import ClinicOwned, Device, StaffMember
from skinterval.domain.assessment import AREAS
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan


class ConsentKind(models.TextChoices):
    MICRONEEDLING = "microneedling", _("Micro-needling treatment")
    PHOTOS = "photos", _("Clinical photographs")


class PhotoScope(models.TextChoices):
    RECORD = "record", _("Clinical record only")
    TEACHING = "teaching", _("Clinical record and teaching")
    MARKETING = "marketing", _("Clinical record, teaching and publicity")


class SignedVia(models.TextChoices):
    TABLET = "tablet", _("On the clinic's tablet, witnessed")
    PORTAL = "portal", _("In the patient portal, by the patient")


class ConsentStatus(models.TextChoices):
    SIGNED = "signed", _("Signed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REPLACED = "replaced", _("Replaced by a newer consent")


class Consent(ClinicOwned):
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="consents",
        verbose_name=_("patient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    photo_scope = models.CharField(
        _("photographs may be used for"),
        max_length=20,
        choices=PhotoScope.choices,
        blank=True,
    )
    text_version = models.CharField(_("consent text version"), max_length=40)
    text_sha256 = models.CharField(_("SHA-256 of the text shown"), max_length=64)
    signed_name = models.CharField(_("name typed by the patient"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    signed_via = models.CharField(_("signed"), max_length=20, choices=SignedVia.choices)
    witnessed_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("witnessed by"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ConsentStatus.choices,
        default=ConsentStatus.SIGNED,
    )
    ended_at = models.DateTimeField(
        _("withdrawn or replaced at"), null=True, blank=True
    )
    withdrawn_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawal recorded by"),
    )
    withdrawal_reason = models.CharField(
        _("reason for withdrawal"), max_length=500, blank=True
    )

    class Meta:
        ordering = ["patient", "kind", "-signed_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=Q(status="signed"),
                name="consent_one_in_force_per_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="photos") & ~Q(photo_scope=""))
                | (~Q(kind="photos") & Q(photo_scope="")),
                name="consent_photo_scope_only_for_photos",
            ),
            models.CheckConstraint(
                condition=Q(status="signed", ended_at__isnull=True)
                | (~Q(status="signed") & Q(ended_at__isnull=False)),
                name="consent_ended_unless_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def in_force(self) -> bool:
        return self.status == ConsentStatus.SIGNED


class ChartStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("Being charted")
    HELD = "held", _("Held at the safety re-check")
    COMPLETED = "completed", _("Completed")


class Anaesthetic(models.TextChoices):
    NONE = "none", _("None")
    TOPICAL = "topical", _("Topical anaesthetic")
    OTHER = "other", _("Other (see notes)")


class Endpoint(models.TextChoices):
    PINPOINT_BLEEDING = "pinpoint_bleeding", _("Pinpoint bleeding")
    ERYTHEMA = "erythema", _("Even redness (erythema)")
    OTHER = "other", _("Other (see notes)")


class Reaction(models.TextChoices):
    """The planning engine's reaction codes (assessment schema, prior_sessions)."""

    EXPECTED = "expected", _("Expected (redness, swelling)")
    PROLONGED_ERYTHEMA = "prolonged_erythema", _("Prolonged erythema")
    PIH = "pih", _("Post-inflammatory hyperpigmentation")
    INFECTION = "infection", _("Infection")
    TRAM_TRACK = "tram_track", _("Tram-track marks")
    GRANULOMA = "granuloma", _("Granuloma or hypersensitivity")
    HERPES_OUTBREAK = "herpes_outbreak", _("Cold sore outbreak")
    OTHER = "other", _("Other (see notes)")


class SessionChart(ClinicOwned):
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        related_name="chart",
        verbose_name=_("appointment"),
    )
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="session_charts",
        verbose_name=_("patient"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan")
    )
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("treatment consent"),
    )
    charted_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("charted by"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ChartStatus.choices,
        default=ChartStatus.IN_PROGRESS,
    )
    checked_in_at = models.DateTimeField(_("safety re-check at"))
    # The safety re-check: anything new since the plan was made.
    new_pregnancy_or_breastfeeding = models.BooleanField(_("pregnant or breastfeeding"))
    new_isotretinoin = models.BooleanField(_("taking isotretinoin"))
    new_infection_or_wound = models.BooleanField(
        _("infection or open wound in a treated area")
    )
    new_procedure = models.BooleanField(_("another skin procedure since the plan"))
    new_cold_sore = models.BooleanField(_("cold sore now"))
    check_in_notes = models.TextField(_("re-check notes"), blank=True)
    # What was done (set when the chart is completed).
    performed_on = models.DateField(_("performed on"), null=True, blank=True)
    anaesthetic = models.CharField(
        _("anaesthetic"), max_length=20, choices=Anaesthetic.choices, blank=True
    )
    adjuncts = models.CharField(_("adjuncts done"), max_length=300, blank=True)
    endpoint = models.CharField(
        _("endpoint"), max_length=20, choices=Endpoint.choices, blank=True
    )
    reaction = models.CharField(
        _("immediate reaction"), max_length=20, choices=Reaction.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["patient", "-checked_in_at"]
        verbose_name = _("session chart")
        verbose_name_plural = _("session charts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="completed")
                | (
                    Q(completed_at__isnull=False, performed_on__isnull=False)
                    & ~Q(reaction="")
                ),
                name="session_chart_completed_has_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["patient", "status", "performed_on"],
                name="chart_patient_done_on",
            )
        ]

    def __str__(self) -> str:
        return f"Chart of {self.appointment} ({self.get_status_display()})"

    @property
    def held_for(self) -> list[str]:
        """The labels of every "yes" at the safety re-check."""
        return [
            str(SessionChart._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
            for name in HOLD_FIELDS
            if getattr(self, name)
        ]


HOLD_FIELDS = (
    "new_pregnancy_or_breastfeeding",
    "new_isotretinoin",
    "new_infection_or_wound",
    "new_procedure",
    "new_cold_sore",
)


class ChartedArea(ClinicOwned):
    chart = models.ForeignKey(
        SessionChart,
        on_delete=models.CASCADE,
        related_name="areas",
        verbose_name=_("chart"),
    )
    area = models.CharField(
        _("area"), max_length=20, choices=[(a, a.capitalize()) for a in AREAS]
    )
    depth_mm = models.DecimalField(_("depth (mm)"), max_digits=3, decimal_places=2)
    passes = models.PositiveSmallIntegerField(_("passes"))
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="+", verbose_name=_("device")
    )
    cartridge_lot = models.CharField(_("cartridge lot"), max_length=60)

    class Meta:
        ordering = ["chart", "area"]
        verbose_name = _("charted area")
        verbose_name_plural = _("charted areas")
        constraints = [
            models.UniqueConstraint(
                fields=["chart", "area"], name="charted_area_once_per_chart"
            ),
            models.CheckConstraint(
                condition=Q(depth_mm__gt=0), name="charted_area_depth_positive"
            ),
            models.CheckConstraint(
                condition=Q(passes__gte=1), name="charted_area_at_least_one_pass"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.depth_mm} mm"
