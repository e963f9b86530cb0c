"""What patients report after their sessions, and what the clinic does about it.

`CheckIn`: one patient's answers a few days after a session (redness, swelling,
itching, pain, anything unexpected), with the reasons the clinic's alert policy
found in them (`skinterval.domain.checkins`) and who reviewed it. `SessionHold`:
a practitioner holding the next planned session after a worrying check-in.
`AccountClosureRequest`: a patient asking for their portal account to be closed
(clinical records are kept; see docs/portal.md). `Score`: one assessment of one
treated area on a named scale (`skinterval.domain.scales`) at baseline, at a session
or at a review visit; the total is computed by the domain scale, never typed (see
docs/scores.md).
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.appointments.models import Appointment
from skinterval.clinics.models import ClinicOwned, StaffMember
from skinterval.domain.checkins import DEFAULT_POLICY, PAIN_MAX
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan, PlanSession


class SymptomLevel(models.IntegerChoices):
    """The values of `skinterval.domain.checkins.Severity`."""

    NONE = 0, _("None")
    MILD = 1, _("Mild")
    MODERATE = 2, _("Moderate")
    SEVERE = 3, _("Severe")


def attention_label(code: str) -> str:
    """A reason code from `attention_reasons`, in words for the clinic's staff."""
    labels: dict[str, Any] = {
        "severe_redness": _("Severe redness"),
        "severe_swelling": _("Severe swelling"),
        "severe_itching": _("Severe itching"),
        "pain_high": _("Pain %(n)d or more out of 10")
        % {"n": DEFAULT_POLICY.pain_alert_at},
        "unexpected": _("Something unexpected (see their words)"),
        "not_settling_redness": _("Redness still severe after day %(d)d")
        % {"d": DEFAULT_POLICY.settles_by_day},
        "not_settling_swelling": _("Swelling still severe after day %(d)d")
        % {"d": DEFAULT_POLICY.settles_by_day},
    }
    return str(labels.get(code, code))


class CheckIn(ClinicOwned):
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="check_ins",
        verbose_name=_("patient"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        related_name="check_ins",
        verbose_name=_("session"),
    )
    day_after = models.PositiveSmallIntegerField(
        _("days after the session"),
        help_text=_("Counted on the clinic's calendar; 0 is the day of the session."),
    )
    redness = models.PositiveSmallIntegerField(
        _("redness"), choices=SymptomLevel.choices
    )
    swelling = models.PositiveSmallIntegerField(
        _("swelling"), choices=SymptomLevel.choices
    )
    itching = models.PositiveSmallIntegerField(
        _("itching"), choices=SymptomLevel.choices
    )
    pain = models.PositiveSmallIntegerField(
        _("pain (0-10)"), validators=[MaxValueValidator(PAIN_MAX)]
    )
    unexpected = models.TextField(_("anything unexpected"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    needs_attention = models.BooleanField(_("needs a look"), default=False)
    attention_reasons = models.JSONField(
        _("why it needs a look"),
        default=list,
        blank=True,
        help_text=_("Codes from the clinic's check-in alert policy."),
    )
    reviewed_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["patient", "-submitted_at"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.CheckConstraint(
                condition=Q(pain__lte=PAIN_MAX), name="check_in_pain_out_of_ten"
            ),
            models.CheckConstraint(
                condition=Q(redness__lte=3) & Q(swelling__lte=3) & Q(itching__lte=3),
                name="check_in_symptom_levels_valid",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True, reviewed_at__isnull=True)
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="check_in_reviewed_by_and_at_together",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "needs_attention", "reviewed_at"],
                name="check_in_to_review",
            ),
            models.Index(fields=["patient", "submitted_at"], name="check_in_patient"),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk} (day {self.day_after})"

    @property
    def reason_labels(self) -> list[str]:
        return [attention_label(code) for code in self.attention_reasons]

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None


class SessionHold(ClinicOwned):
    """A planned session held by a practitioner: the patient cannot book or move
    it in the portal until the hold is released (staff booking is not blocked; the
    hold is shown to them). See docs/decisions/0009-patient-portal.md."""

    plan_session = models.ForeignKey(
        PlanSession,
        on_delete=models.PROTECT,
        related_name="holds",
        verbose_name=_("planned session"),
    )
    check_in = models.ForeignKey(
        CheckIn,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holds",
        verbose_name=_("after check-in"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    held_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("held by"),
    )
    held_at = models.DateTimeField(_("held at"))
    released_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-held_at"]
        verbose_name = _("session hold")
        verbose_name_plural = _("session holds")
        constraints = [
            models.UniqueConstraint(
                fields=["plan_session"],
                condition=Q(released_at__isnull=True),
                name="session_hold_one_active_per_session",
            ),
            models.CheckConstraint(
                condition=Q(released_by__isnull=True, released_at__isnull=True)
                | Q(released_by__isnull=False, released_at__isnull=False),
                name="session_hold_released_by_and_at_together",
            ),
        ]

    def __str__(self) -> str:
        return f"Hold on planned session {self.plan_session_id}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class ClosureStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the clinic")
    DONE = "done", _("Handled by the clinic")


class AccountClosureRequest(ClinicOwned):
    """A patient's request to close their portal account. The clinic acts on it
    (ends the login); clinical records are retained as the law requires."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="closure_requests",
        verbose_name=_("patient"),
    )
    reason = models.TextField(_("reason given"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ClosureStatus.choices,
        default=ClosureStatus.OPEN,
    )
    handled_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("account closure request")
        verbose_name_plural = _("account closure requests")
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="open"),
                name="closure_request_one_open_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Closure request {self.pk} ({self.status})"


class ScoreOccasion(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    SESSION = "session", _("Session")
    REVIEW = "review", _("Review visit")


class Score(ClinicOwned):
    """One area scored on one scale version. `items` holds the item scores as
    entered (item id -> integer); `total` is what the domain scale computed from
    them. `scored_by` is empty when the patient reported it in the portal."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="scores",
        verbose_name=_("patient"),
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scores",
        verbose_name=_("plan version in force"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scores",
        verbose_name=_("scored at visit"),
    )
    occasion = models.CharField(
        _("occasion"), max_length=10, choices=ScoreOccasion.choices
    )
    area = models.CharField(_("area"), max_length=40)
    scale = models.CharField(_("scale"), max_length=40)
    scale_version = models.CharField(_("scale version"), max_length=40)
    items = models.JSONField(_("item scores"), default=dict)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    scored_on = models.DateField(_("scored on"))
    scored_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scored by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["patient", "area", "scale", "scored_on", "created_at"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.CheckConstraint(
                condition=Q(occasion="baseline") | Q(appointment__isnull=False),
                name="score_session_or_review_has_visit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["patient", "area", "scale", "scored_on"],
                name="score_patient_series",
            ),
            models.Index(fields=["clinic", "scored_on"], name="score_clinic_day"),
        ]

    def __str__(self) -> str:
        return f"Score {self.pk} ({self.scale} {self.area})"

    @property
    def is_patient_reported(self) -> bool:
        return self.scored_by_id is None
