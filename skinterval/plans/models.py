"""Series plans as approved by a practitioner, and the sessions they schedule.

The engine's input (the assessment) and output (the plan, in the contract's JSON
form) are stored whole, so a plan can always be shown exactly as it was approved.
Each re-plan is a new version; earlier versions are kept, marked superseded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import ClinicOwned, StaffMember
from skinterval.patients.models import Patient


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded by a newer version")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Plan(ClinicOwned):
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("patient"),
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    assessed_on = models.DateField(_("assessed on"))
    assessment = models.JSONField(_("assessment (engine input)"))
    plan = models.JSONField(_("plan (engine output)"))
    rules_version = models.CharField(_("rules version"), max_length=40)
    decision = models.CharField(_("decision"), max_length=10)
    requires_physician_review = models.BooleanField(_("needs physician review"))
    interval_min_days = models.PositiveSmallIntegerField(_("minimum interval (days)"))
    interval_target_days = models.PositiveSmallIntegerField(_("target interval (days)"))
    interval_max_days = models.PositiveSmallIntegerField(_("maximum interval (days)"))
    created_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by overriding version"),
        help_text=_("The earlier version a practitioner's override was made from."),
    )

    class Meta:
        ordering = ["patient", "-version"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "version"], name="plan_version_unique_per_patient"
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="approved"),
                name="plan_one_approved_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(interval_min_days__lte=models.F("interval_target_days"))
                & Q(interval_target_days__lte=models.F("interval_max_days")),
                name="plan_interval_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan v{self.version} ({self.get_status_display()})"


class PlanSession(ClinicOwned):
    """One planned session and its current window of local dates.

    The window starts as the engine planned it and re-flows from the real date of
    the session before it once that one is booked, moved or done.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("plan")
    )
    number = models.PositiveSmallIntegerField(_("session number"))
    earliest_on = models.DateField(_("earliest"))
    target_on = models.DateField(_("target"))
    latest_on = models.DateField(_("latest"))

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("planned session")
        verbose_name_plural = _("planned sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="plan_session_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(earliest_on__lte=models.F("target_on"))
                & Q(target_on__lte=models.F("latest_on")),
                name="plan_session_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.number}"

    def window_contains(self, day: date) -> bool:
        return self.earliest_on <= day <= self.latest_on


class OverrideElement(models.TextChoices):
    INTERVAL = "interval_days", _("Interval between sessions")
    SESSIONS = "sessions", _("Planned sessions")
    DEPTH = "depth_mm", _("Needle depth")


class PlanOverride(ClinicOwned):
    """One element of a generated plan that a practitioner changed, and why.

    `plan` is the version the override created; `plan.derived_from` is the version
    it was made from, whose value is `old_value`. Values are JSON: the interval as
    ``{"min", "target", "max"}`` days, sessions as a whole number, depth as
    ``{"min", "max"}`` millimetres for `area`.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("plan")
    )
    element = models.CharField(
        _("element"), max_length=20, choices=OverrideElement.choices
    )
    area = models.CharField(_("area"), max_length=40, blank=True)
    old_value = models.JSONField(_("old value"))
    new_value = models.JSONField(_("new value"))
    reason = models.TextField(_("reason"))
    overridden_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("overridden by"),
    )
    overridden_at = models.DateTimeField(_("overridden at"))

    class Meta:
        ordering = ["overridden_at", "pk"]
        verbose_name = _("plan override")
        verbose_name_plural = _("plan overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "element", "area"],
                name="plan_override_one_per_element",
            ),
            models.CheckConstraint(
                condition=Q(element="depth_mm", area__gt="")
                | (~Q(element="depth_mm") & Q(area="")),
                name="plan_override_area_only_for_depth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_element_display()} override on plan {self.plan_id}"

    @property
    def label(self) -> str:
        if self.element == OverrideElement.DEPTH:
            return _("Needle depth, %(area)s") % {"area": self.area.replace("_", " ")}
        return str(self.get_element_display())

    @property
    def old_display(self) -> str:
        return describe_value(self.element, self.old_value)

    @property
    def new_display(self) -> str:
        return describe_value(self.element, self.new_value)


def describe_value(element: str, value: Any) -> str:
    """A stored override value in words ("28-42 days, aiming for 35")."""
    if element == OverrideElement.INTERVAL and isinstance(value, dict):
        return _("%(min)s–%(max)s days, aiming for %(target)s") % value
    if element == OverrideElement.DEPTH and isinstance(value, dict):
        return _("%(min)s–%(max)s mm") % {
            "min": f"{value['min']:g}",
            "max": f"{value['max']:g}",
        }
    return str(value)


class ProposalKind(models.TextChoices):
    """The headline of a re-plan proposal: its most pressing change."""

    HOLD = "hold", _("Hold the series for a physician's review")
    STOP = "stop", _("Stop the series: goal reached")
    REVIEW = "review", _("Move to review: no response yet")
    LOWER_DEPTH = "lower_depth", _("Lower the needle depth")
    LENGTHEN_INTERVAL = "lengthen_interval", _("Lengthen the interval")
    ADD_ADJUNCT = "add_adjunct", _("Add a combined treatment")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a decision")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SUPERSEDED = "superseded", _("Replaced by a newer proposal")


class ReplanProposal(ClinicOwned):
    """What the engine's re-plan suggests for an approved plan after a scored
    visit, awaiting a practitioner's decision.

    `details` holds the re-plan as JSON: ``changes`` (each with ``kind``,
    ``subject``, ``before``, ``after``), the ``replan`` itself (status, response,
    sessions done and remaining, interval, areas, schedule, adjuncts, follow-up),
    the ``last_session`` it counts from, the score ``measure`` it judged the
    response on, and the ``citations`` its reasons cite. `reasons` lists
    ``{"text", "evidence"}``. Accepting makes a new plan version (`new_plan`),
    a draft to approve as usual; the approved plan is never edited.
    """

    plan = models.ForeignKey(
        Plan,
        on_delete=models.CASCADE,
        related_name="replan_proposals",
        verbose_name=_("plan"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ProposalKind.choices)
    details = models.JSONField(_("details"), default=dict)
    reasons = models.JSONField(_("reasons"), default=list)
    as_of = models.DateField(_("re-planned as of"))
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    new_plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version made by accepting"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("re-plan proposal")
        verbose_name_plural = _("re-plan proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(status="pending"),
                name="replan_proposal_one_pending_per_plan",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["accepted", "declined"],
                    decided_by__isnull=False,
                    decided_at__isnull=False,
                )
                | (
                    ~Q(status__in=["accepted", "declined"])
                    & Q(decided_by__isnull=True, decided_at__isnull=True)
                ),
                name="replan_proposal_decided_by_and_at_when_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="replan_proposal_declined_with_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="accepted", new_plan__isnull=False)
                | (~Q(status="accepted") & Q(new_plan__isnull=True)),
                name="replan_proposal_accepted_makes_a_version",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status"], name="replan_proposal_status"),
        ]

    def __str__(self) -> str:
        return f"Re-plan proposal {self.pk} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING
