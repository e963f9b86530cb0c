"""The patient's forms: a day to look for times, a check-in, closing the account."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from skinterval.domain.checkins import PAIN_MAX, CheckInAnswers, Severity
from skinterval.outcomes.models import SymptomLevel
from skinterval.plans.models import PlanSession
from skinterval.portal.services import window_message


class DayForm(forms.Form):
    """Another day inside the session's window to look for free times on."""

    on = forms.DateField(
        label=_("Another day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Choose a day."),
            "invalid": _("Enter a date, for example 2027-02-03."),
        },
    )

    def __init__(self, *args: Any, session: PlanSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["on"].widget.attrs.update(
            {
                "min": session.earliest_on.isoformat(),
                "max": session.latest_on.isoformat(),
            }
        )
        self.fields["on"].help_text = _(
            "Between %(first)s and %(last)s (the session's window)."
        ) % {
            "first": date_format(session.earliest_on, "j F Y"),
            "last": date_format(session.latest_on, "j F Y"),
        }

    def clean_on(self) -> date:
        day: date = self.cleaned_data["on"]
        if not self.session.window_contains(day):
            raise forms.ValidationError(window_message(self.session))
        return day


def _level(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SymptomLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one.")},
    )


class CheckInForm(forms.Form):
    redness = _level(_("Redness"))
    swelling = _level(_("Swelling"))
    itching = _level(_("Itching"))
    pain = forms.TypedChoiceField(
        label=_("Pain, from 0 (none) to 10 (the worst you can imagine)"),
        choices=[(n, str(n)) for n in range(PAIN_MAX + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )
    unexpected = forms.CharField(
        label=_("Anything unexpected? (optional)"),
        help_text=_(
            "For example blisters, pus, dark patches or a fever. Leave it empty if "
            "nothing unexpected happened."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def answers(self) -> CheckInAnswers:
        data = self.cleaned_data
        return CheckInAnswers(
            redness=Severity(data["redness"]),
            swelling=Severity(data["swelling"]),
            itching=Severity(data["itching"]),
            pain=int(data["pain"]),
            unexpected=data["unexpected"],
        )


class ClosureForm(forms.Form):
    reason = forms.CharField(
        label=_("Anything you would like the clinic to know (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    understood = forms.BooleanField(
        label=_(
            "I understand that the clinic must keep my health records even after "
            "my account is closed."
        ),
        error_messages={"required": _("Tick this box to send the request.")},
    )
