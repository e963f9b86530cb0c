from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import StaffMember, StaffRole


class MoveForm(forms.Form):
    """Move an appointment to a day and time typed by hand."""

    on = forms.DateField(
        label=_("New day"), widget=forms.DateInput(attrs={"type": "date"})
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
