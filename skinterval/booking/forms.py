"""Forms of the public booking pages. Every refusal is a message next to its
field; nothing typed is lost (the forms re-render with what was sent)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.appointments.models import ServiceType
from skinterval.clinics.models import Location, StaffMember
from skinterval.domain.assessment import PROCEDURE_KINDS, Procedure
from skinterval.domain.intake import IntakeAnswers
from skinterval.patients import labels

ANY = "any"
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
_PHONE = re.compile(r"\+?[0-9 ()./-]{6,30}")
PROCEDURE_ROWS = 3


def _yes_no(label: Any, help_text: Any = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": _("Please answer yes or no.")},
    )


def _date_field(
    label: Any, *, required: bool = False, help_text: Any = ""
) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, for example 2024-03-31.")},
    )


class ChoiceForm(forms.Form):
    """What to book and with whom (GET: searching free times is not a change)."""

    service = forms.ModelChoiceField(
        label=_("Consultation"), queryset=ServiceType.objects.none(), empty_label=None
    )
    location = forms.ModelChoiceField(
        label=_("Where"), queryset=Location.objects.none(), empty_label=None
    )
    practitioner = forms.ChoiceField(label=_("With"))
    week = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        services: Any,
        locations: Any,
        practitioners: list[StaffMember],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["practitioner"].choices = [  # type: ignore[attr-defined]
            (ANY, _("Any practitioner")),
            *((str(m.pk), m.display_name) for m in practitioners),
        ]
        self.practitioners = {str(m.pk): m for m in practitioners}

    def clean_week(self) -> date | None:
        """The week to show; anything unreadable shows the first week."""
        try:
            return date.fromisoformat(self.cleaned_data.get("week") or "")
        except ValueError:
            return None

    def chosen_practitioner(self) -> StaffMember | None:
        return self.practitioners.get(self.cleaned_data.get("practitioner", ANY))


class PickForm(ChoiceForm):
    """One free time chosen on the page."""

    start = forms.CharField(max_length=40)

    def clean_start(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError:
            raise forms.ValidationError(_("Choose one of the times shown.")) from None
        if value.tzinfo is None:
            raise forms.ValidationError(_("Choose one of the times shown."))
        return value


class ContactForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=150)
    family_name = forms.CharField(label=_("Family name"), max_length=150)
    born_on = _date_field(_("Date of birth"), required=True)
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We send the confirmation here."),
        error_messages={"invalid": _("Enter an email address like name@example.com.")},
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        help_text=_("In case the clinic needs to reach you."),
    )
    agree = forms.BooleanField(
        label=_(
            "I agree that the clinic keeps these details and my answers to prepare "
            "my consultation."
        ),
        error_messages={"required": _("The clinic needs your agreement to book.")},
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        for name in ("given_name", "family_name"):
            self.fields[name].widget.attrs["autocomplete"] = (
                "given-name" if name == "given_name" else "family-name"
            )
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "type": "tel"})
        self.fields["born_on"].widget.attrs["autocomplete"] = "bday"

    def clean_born_on(self) -> date:
        born: date = self.cleaned_data["born_on"]
        if born > self.today:
            raise forms.ValidationError(_("The date of birth is in the future."))
        if (self.today - born).days > 120 * 366:
            raise forms.ValidationError(_("Please check the year of birth."))
        return born

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data["phone"]).strip()
        digits = sum(c.isdigit() for c in phone)
        if not _PHONE.fullmatch(phone) or not 6 <= digits <= 20:
            raise forms.ValidationError(
                _("Enter a phone number: digits, spaces and + only.")
            )
        return phone


class IntakeForm(forms.Form):
    """The intake questionnaire: the medical history that screens for
    contraindications (the assessment contract's `patient` and `history`)."""

    pregnant = _yes_no(_("Are you pregnant, or could you be?"))
    nursing = _yes_no(_("Are you breastfeeding?"))
    isotretinoin = forms.ChoiceField(
        label=_("Have you taken isotretinoin (a tablet for severe acne)?"),
        choices=[
            ("never", _("Never")),
            ("current", _("Yes, I take it now")),
            ("stopped", _("Yes, and I have stopped")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one answer.")},
    )
    isotretinoin_stopped_on = _date_field(
        _("If you have stopped: when did you stop?"),
        help_text=_("An approximate date is fine; leave it empty if you do not know."),
    )
    anticoagulant = _yes_no(
        _(
            "Do you take medicine that thins the blood "
            "(anticoagulants or antiplatelets)?"
        )
    )
    bleeding_disorder = _yes_no(_("Do you have a bleeding or clotting disorder?"))
    keloid_tendency = _yes_no(
        _("Have you ever formed keloids (raised scars that grow beyond the wound)?")
    )
    immunosuppressed = _yes_no(
        _("Is your immune system weakened by an illness or by medicine?")
    )
    diabetes = forms.ChoiceField(
        label=_("Do you have diabetes?"),
        choices=[
            ("none", _("No")),
            ("controlled", _("Yes, well controlled")),
            ("uncontrolled", _("Yes, not well controlled")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one answer.")},
    )
    herpes_simplex_history = _yes_no(_("Do you get cold sores (herpes simplex)?"))
    metal_allergy = _yes_no(_("Are you allergic to stainless steel or other metals?"))
    anaesthetic_allergy = _yes_no(
        _("Are you allergic to numbing creams (topical anaesthetics)?")
    )
    radiotherapy = _yes_no(_("Have you had radiotherapy to the skin you want treated?"))
    radiotherapy_on = _date_field(
        _("If yes: when was the last radiotherapy?"),
        help_text=_("An approximate date is fine."),
    )

    def __init__(self, *args: Any, today: date, born_on: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.born_on = born_on
        procedure_choices = [
            ("", _("— none —")),
            *((k, labels.label(labels.PROCEDURE_LABELS, k)) for k in PROCEDURE_KINDS),
        ]
        for n in range(1, PROCEDURE_ROWS + 1):
            self.fields[f"procedure_{n}"] = forms.ChoiceField(
                label=_("Treatment %(n)d") % {"n": n},
                choices=procedure_choices,
                required=False,
            )
            self.fields[f"procedure_{n}_on"] = _date_field(
                _("Date of treatment %(n)d") % {"n": n}
            )

    def procedure_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"procedure_{n}"], self[f"procedure_{n}_on"])
            for n in range(1, PROCEDURE_ROWS + 1)
        ]

    def _past(self, name: str) -> None:
        value = self.cleaned_data.get(name)
        if value is None:
            return
        if value > self.today:
            self.add_error(name, _("This date is in the future."))
        elif value < self.born_on:
            self.add_error(name, _("This date is before your date of birth."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("isotretinoin_stopped_on", "radiotherapy_on"):
            self._past(name)
        if (
            data.get("radiotherapy")
            and data.get("radiotherapy_on") is None
            and "radiotherapy_on" not in self.errors
        ):
            self.add_error(
                "radiotherapy_on", _("Please give the date, even approximately.")
            )
        for n in range(1, PROCEDURE_ROWS + 1):
            kind, on = f"procedure_{n}", f"procedure_{n}_on"
            self._past(on)
            if data.get(kind) and data.get(on) is None and on not in self.errors:
                self.add_error(on, _("Please give the date of this treatment."))
            if data.get(on) is not None and not data.get(kind):
                self.add_error(kind, _("Which treatment was it?"))
        return data

    def answers(self) -> IntakeAnswers:
        d = self.cleaned_data
        procedures = tuple(
            Procedure(d[f"procedure_{n}"], d[f"procedure_{n}_on"])
            for n in range(1, PROCEDURE_ROWS + 1)
            if d.get(f"procedure_{n}") and d.get(f"procedure_{n}_on")
        )
        return IntakeAnswers(
            answered_on=self.today,
            birth_date=self.born_on,
            pregnant=d["pregnant"],
            nursing=d["nursing"],
            isotretinoin=d["isotretinoin"],
            isotretinoin_stopped_on=d.get("isotretinoin_stopped_on")
            if d["isotretinoin"] == "stopped"
            else None,
            anticoagulant=d["anticoagulant"],
            bleeding_disorder=d["bleeding_disorder"],
            keloid_tendency=d["keloid_tendency"],
            immunosuppressed=d["immunosuppressed"],
            diabetes=d["diabetes"],
            herpes_simplex_history=d["herpes_simplex_history"],
            metal_allergy=d["metal_allergy"],
            anaesthetic_allergy=d["anaesthetic_allergy"],
            radiotherapy_to_area_on=d.get("radiotherapy_on")
            if d["radiotherapy"]
            else None,
            recent_procedures=procedures,
        )
