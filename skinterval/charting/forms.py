"""Consent signing, withdrawal, the safety re-check and the session chart."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.charting.consent_texts import ConsentText
from skinterval.charting.models import (
    Anaesthetic,
    ConsentKind,
    Endpoint,
    PhotoScope,
    Reaction,
)
from skinterval.charting.services import AreaCap, depth_refusal
from skinterval.clinics.models import Device
from skinterval.patients.models import Patient

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class ConsentForm(forms.Form):
    """What the patient does on the tablet: read, tick, choose, type their name."""

    text_version = forms.CharField(widget=forms.HiddenInput)
    photo_scope = forms.ChoiceField(
        label=_("My photographs may be used for"),
        choices=PhotoScope.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    has_read = forms.BooleanField(
        label=_("I have read this information and my questions have been answered."),
        error_messages={"required": _("Tick this box to confirm you have read it.")},
    )
    agrees = forms.BooleanField(
        label=_("I agree, as set out above."),
        error_messages={"required": _("Tick this box to give your consent.")},
    )
    signed_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        help_text=_("Typing your name signs this consent."),
        error_messages={"required": _("Type your full name to sign.")},
    )

    def __init__(
        self, *args: Any, patient: Patient, text: ConsentText, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {})["text_version"] = text.version
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.text = text
        if text.kind == ConsentKind.PHOTOS:
            self.fields["photo_scope"].required = True
            self.fields["photo_scope"].error_messages["required"] = _(
                "Choose how your photographs may be used."
            )
        else:
            del self.fields["photo_scope"]
        self.fields["signed_name"].widget.attrs["autocomplete"] = "off"

    def clean_signed_name(self) -> str:
        name = " ".join(str(self.cleaned_data["signed_name"]).split())
        if name.casefold() != " ".join(self.patient.full_name.split()).casefold():
            raise forms.ValidationError(
                _("Type the name on the patient's record: %(name)s."),
                params={"name": self.patient.full_name},
            )
        return name


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=500, required=False
    )


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: str | _StrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Answer yes or no.")},
    )


class ScreeningForm(forms.Form):
    """The safety re-check at check-in: anything new since the plan was made."""

    new_pregnancy_or_breastfeeding = _yes_no(_("Pregnant or breastfeeding?"))
    new_isotretinoin = _yes_no(_("Taking isotretinoin, or took it since the plan?"))
    new_infection_or_wound = _yes_no(
        _("An infection, open wound or irritated skin in an area to be treated?")
    )
    new_procedure = _yes_no(
        _("Another skin procedure since the plan (peel, laser, filler, ...)?")
    )
    new_cold_sore = _yes_no(_("A cold sore now?"))
    check_in_notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea
    )


class AreaForm(forms.Form):
    """One treated area: depth, passes, device and cartridge lot."""

    area = forms.CharField(widget=forms.HiddenInput)
    depth_mm = forms.DecimalField(
        label=_("Depth (mm)"),
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.05", "inputmode": "decimal"}),
    )
    passes = forms.IntegerField(label=_("Passes"), min_value=1, max_value=50)
    device = forms.ModelChoiceField(label=_("Device"), queryset=Device.objects.none())
    cartridge_lot = forms.CharField(label=_("Cartridge lot"), max_length=60)

    def __init__(
        self, *args: Any, caps: dict[str, AreaCap], clinic_id: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.caps = caps
        self.fields["device"].queryset = Device.objects.filter(  # type: ignore[attr-defined]
            clinic_id=clinic_id, is_active=True
        )

    @property
    def area_name(self) -> str:
        return str(self["area"].value() or "")

    @property
    def cap(self) -> AreaCap | None:
        return self.caps.get(self.area_name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        cap = self.caps.get(str(data.get("area", "")))
        if cap is None:
            raise forms.ValidationError(_("This area is not in the plan."))
        depth, device = data.get("depth_mm"), data.get("device")
        if depth is not None:
            reason = depth_refusal(depth, cap, device)
            if reason:
                self.add_error("depth_mm", reason)
        return data


class BaseAreaFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = [f.cleaned_data.get("area") for f in self.forms if f.cleaned_data]
        expected = sorted(self.form_kwargs["caps"])
        if sorted(str(a) for a in seen) != expected:
            raise forms.ValidationError(
                _("Chart every treated area of the plan, once each.")
            )


AreaFormSet = forms.formset_factory(
    AreaForm, formset=BaseAreaFormSet, extra=0, max_num=16, absolute_max=16
)


class SessionForm(forms.Form):
    anaesthetic = forms.ChoiceField(
        label=_("Anaesthetic"), choices=Anaesthetic.choices, initial=Anaesthetic.NONE
    )
    adjuncts = forms.CharField(
        label=_("Adjuncts done"),
        max_length=300,
        required=False,
        help_text=_("Leave empty if none."),
    )
    endpoint = forms.ChoiceField(label=_("Endpoint reached"), choices=Endpoint.choices)
    reaction = forms.ChoiceField(
        label=_("Immediate reaction"), choices=Reaction.choices
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea
    )
