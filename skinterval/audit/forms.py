"""The owner's audit log search. Filters are ids, dates and codes, never names,
so they travel in the address (GET) and pagination keeps them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.audit.models import ActorRole, AuditAction
from skinterval.clinics.models import StaffMember
from skinterval.day_fields import on_calendar

# What the log's object types are, in words (the rest show as stored).
OBJECT_TYPES: dict[str, Any] = {
    "patients.patient": _("Patient record"),
    "plans.plan": _("Plan"),
    "plans.replanproposal": _("Re-plan proposal"),
    "plans.plansession": _("Planned sessions (optimizer proposal)"),
    "appointments.appointment": _("Appointment"),
    "charting.sessionchart": _("Session chart"),
    "charting.consent": _("Consent"),
    "outcomes.checkin": _("Check-in"),
    "outcomes.sessionhold": _("Session hold"),
    "outcomes.score": _("Score"),
    "outcomes.accountclosurerequest": _("Account closure request"),
    "outcomes.report": _("Outcome report"),
    "photos.photo": _("Photo"),
    "booking.intakeresponse": _("Intake questionnaire"),
    "reminders.contactpreference": _("Message preference"),
    "accounts.user": _("Login"),
    "clinics.clinic": _("Clinic (bulk export)"),
}

# Actor choices that are a role rather than one login.
ROLE_ACTORS = (ActorRole.PATIENT, ActorRole.ANONYMOUS, ActorRole.SYSTEM)


class AuditSearchForm(forms.Form):
    from_on = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[on_calendar],
    )
    to_on = forms.DateField(
        label=_("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[on_calendar],
    )
    actor = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *AuditAction.choices],
    )
    object_type = forms.ChoiceField(
        label=_("Object type"),
        required=False,
        choices=[("", _("Any type")), *OBJECT_TYPES.items()],
    )
    object_id = forms.CharField(
        label=_("Object id"), required=False, max_length=64, strip=True
    )

    def __init__(self, *args: Any, staff: Iterable[StaffMember], **kwargs: Any):
        super().__init__(*args, **kwargs)
        actor = self.fields["actor"]
        assert isinstance(actor, forms.ChoiceField)  # noqa: S101 - declared above
        actor.choices = [
            ("", _("Anyone")),
            (
                _("Staff"),
                [
                    (f"user:{m.user_id}", f"{m.display_name} ({m.get_role_display()})")
                    for m in staff
                ],
            ),
            (
                _("By role"),
                [(f"role:{r.value}", r.label) for r in ROLE_ACTORS],
            ),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from_on"), data.get("to_on")
        if first and last and last < first:
            self.add_error("to_on", _("The end date is before the start date."))
        return data

    def actor_filter(self) -> dict[str, Any]:
        """The chosen actor as `events_for_owner` arguments."""
        value = self.cleaned_data.get("actor") or ""
        kind, _sep, key = value.partition(":")
        if kind == "user":
            return {"actor_user_id": int(key)}
        if kind == "role":
            return {"actor_role": key}
        return {}
