"""Online booking: each clinic's public booking page and the intake questionnaire.

`BookingPage` is the clinic's switch and policy for booking without a login (a
clinic without one has no public page). `IntakeResponse` keeps what a patient
answered in the intake questionnaire, with dates, in the shape of the assessment
contract's `patient` and `history` (``assessment.schema.json``), and the findings
the clinical rules drew from it; the staff chart shows it.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from skinterval.appointments.models import Appointment
from skinterval.clinics.models import ClinicOwned
from skinterval.patients.models import Patient


class RefuseOnline(models.TextChoices):
    NEVER = "never", _("Never: flag the answers for the practitioner")
    BLOCK = "block", _("When an answer is a contraindication (severity: block)")


class BookingPage(ClinicOwned):
    """The clinic's public consultation booking page, at /book/<clinic slug>/."""

    is_open = models.BooleanField(_("open for online booking"), default=True)
    hold_min = models.PositiveSmallIntegerField(
        _("minutes a chosen time is held"),
        default=8,
        validators=[MinValueValidator(3), MaxValueValidator(30)],
        help_text=_("While the patient answers the questions."),
    )
    notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"),
        default=12,
        validators=[MaxValueValidator(24 * 14)],
    )
    days_ahead = models.PositiveSmallIntegerField(
        _("days ahead that can be booked"),
        default=42,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    refuse_online = models.CharField(
        _("refuse online booking"),
        max_length=10,
        choices=RefuseOnline.choices,
        default=RefuseOnline.NEVER,
        help_text=_(
            "Clinic policy. By default every answer is only flagged for the "
            "practitioner and the consultation is booked."
        ),
    )
    contact_text = models.CharField(
        _("how to reach the clinic"),
        max_length=200,
        blank=True,
        help_text=_("Shown when online booking cannot go ahead, e.g. a phone number."),
    )

    class Meta:
        verbose_name = _("online booking page")
        verbose_name_plural = _("online booking pages")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic"], name="booking_page_one_per_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"Online booking for {self.clinic}"


class IntakeSource(models.TextChoices):
    ONLINE = "online", _("Online booking")


class IntakeResponse(ClinicOwned):
    """One filled-in intake questionnaire.

    `answers` holds {"patient": {...}, "history": {...}} with the assessment
    contract's field names and ISO dates; `findings` the rules' findings
    (code, severity, message, evidence, until) as of `answered_on`."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.CASCADE,
        related_name="intake_responses",
        verbose_name=_("patient"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultation"),
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=IntakeSource.choices,
        default=IntakeSource.ONLINE,
    )
    answered_at = models.DateTimeField(_("answered at"))
    answered_on = models.DateField(_("answered on (clinic date)"))
    answers = models.JSONField(_("answers"))
    findings = models.JSONField(_("findings"), default=list)
    rules_version = models.CharField(_("rules version"), max_length=40)
    flagged = models.BooleanField(
        _("flagged for the practitioner"),
        default=False,
        help_text=_("An answer is a finding of the clinical rules."),
    )

    class Meta:
        ordering = ["-answered_at", "-pk"]
        verbose_name = _("intake questionnaire")
        verbose_name_plural = _("intake questionnaires")
        indexes = [
            models.Index(fields=["patient", "answered_at"], name="intake_patient_time")
        ]

    def __str__(self) -> str:
        return f"Intake questionnaire {self.pk}"
