from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import Location, StaffMember, StaffRole
from skinterval.day_fields import on_calendar


class MoveForm(forms.Form):
    """Move an appointment to a day and time typed by hand."""

    on = forms.DateField(
        label=_("New day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[on_calendar],
    )
    at = forms.TimeField(
        label=_("New time"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    practitioner = forms.ModelChoiceField(
        label=_("Practitioner"), queryset=StaffMember.objects.none()
    )
    override_reason = forms.CharField(
        label=_("Reason, if outside the session's window"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = StaffMember.objects.filter(  # type: ignore[attr-defined]
            clinic_id=clinic_id, role=StaffRole.PRACTITIONER, is_active=True
        )


class CalendarMoveForm(forms.Form):
    """A drag on the calendar: which appointment, and how far on the wall clock."""

    appointment = forms.IntegerField(min_value=1)
    days = forms.IntegerField(min_value=-366, max_value=366)
    minutes = forms.IntegerField(min_value=-24 * 60, max_value=24 * 60)
    override_reason = forms.CharField(required=False, max_length=500)


MAX_OPTIMIZER_DAYS = 26 * 7


class OptimizerForm(forms.Form):
    """What to re-plan: one location, a range of days, and how long to search."""

    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), empty_label=None
    )
    first_on = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[on_calendar],
    )
    last_on = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[on_calendar],
    )
    time_limit_s = forms.TypedChoiceField(
        label=_("Search for"),
        coerce=int,
        choices=[
            (10, _("10 seconds")),
            (30, _("30 seconds")),
            (60, _("1 minute")),
            (120, _("2 minutes")),
        ],
        initial=30,
        help_text=_("A longer search may find a better calendar."),
    )

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(  # type: ignore[attr-defined]
            clinic_id=clinic_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_on"), data.get("last_on")
        if first and last:
            if last < first:
                self.add_error("last_on", _("The end is before the start."))
            elif (last - first).days >= MAX_OPTIMIZER_DAYS:
                self.add_error(
                    "last_on",
                    _("At most %(weeks)d weeks at a time.")
                    % {"weeks": MAX_OPTIMIZER_DAYS // 7},
                )
        return data
