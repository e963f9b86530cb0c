"""The assessment form (the engine's input, field by field, for a practitioner) and
the form overriding a generated plan.

The form builds exactly the contract's assessment JSON (`assessment.schema.json`),
so the engine validates it as it validates `skinterval plan` input; its messages,
which name JSON paths, are put back next to the fields they concern.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import Device
from skinterval.domain.assessment import AREAS, PROCEDURE_KINDS, SCAR_KINDS
from skinterval.domain.plan import DepthRange, IntervalWindow
from skinterval.domain.ruleset import load_rules
from skinterval.patients.models import Fitzpatrick, Patient
from skinterval.plans.overrides import (
    INTERVAL_FIELDS,
    REASON_MAX_CHARS,
    SESSIONS_FIELD,
    PlanChanges,
    changed,
    check_limits,
    current_values,
    depth_field,
)


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


AREA_CHOICES = _choices(AREAS)


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("Assessed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    fitzpatrick = forms.TypedChoiceField(
        label=_("Fitzpatrick phototype"), choices=Fitzpatrick.choices, coerce=int
    )
    pregnant = forms.BooleanField(label=_("Pregnant"), required=False)
    nursing = forms.BooleanField(label=_("Breastfeeding"), required=False)
    isotretinoin = forms.ChoiceField(
        label=_("Isotretinoin"),
        choices=[
            ("never", _("Never taken")),
            ("current", _("Taking it now")),
            ("stopped", _("Stopped")),
        ],
        initial="never",
    )
    isotretinoin_stopped_on = forms.DateField(
        label=_("Isotretinoin stopped on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    anticoagulant = forms.BooleanField(label=_("Takes anticoagulants"), required=False)
    bleeding_disorder = forms.BooleanField(label=_("Bleeding disorder"), required=False)
    keloid_tendency = forms.BooleanField(
        label=_("Tends to form keloids"), required=False
    )
    immunosuppressed = forms.BooleanField(label=_("Immunosuppressed"), required=False)
    diabetes = forms.ChoiceField(
        label=_("Diabetes"),
        choices=[
            ("none", _("None")),
            ("controlled", _("Controlled")),
            ("uncontrolled", _("Uncontrolled")),
        ],
        initial="none",
    )
    herpes_simplex_history = forms.BooleanField(
        label=_("History of cold sores (herpes simplex)"), required=False
    )
    metal_allergy = forms.BooleanField(label=_("Metal allergy"), required=False)
    anaesthetic_allergy = forms.BooleanField(
        label=_("Allergy to topical anaesthetic"), required=False
    )
    radiotherapy_to_area_on = forms.DateField(
        label=_("Radiotherapy to the area, last on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    active_infection_areas = forms.MultipleChoiceField(
        label=_("Active infection in"),
        choices=AREA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    open_wound_areas = forms.MultipleChoiceField(
        label=_("Open wound in"),
        choices=AREA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skin_cancer_areas = forms.MultipleChoiceField(
        label=_("Skin cancer in"),
        choices=AREA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active_herpes = forms.BooleanField(label=_("Active cold sore now"), required=False)
    active_acne = forms.ChoiceField(
        label=_("Active acne"),
        choices=[
            ("none", _("None")),
            ("mild", _("Mild")),
            ("moderate", _("Moderate")),
            ("severe", _("Severe")),
        ],
        initial="none",
    )
    device = forms.ModelChoiceField(
        label=_("Device"),
        queryset=Device.objects.none(),
        required=False,
        help_text=_("Its maximum depth caps every planned depth."),
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["device"].queryset = Device.objects.filter(  # type: ignore[attr-defined]
            clinic_id=patient.clinic_id, is_active=True
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("isotretinoin") == "stopped" and not data.get(
            "isotretinoin_stopped_on"
        ):
            self.add_error(
                "isotretinoin_stopped_on",
                _("Give the date it was stopped (or your best estimate)."),
            )
        return data


class ScarForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"), choices=AREA_CHOICES)
    kind = forms.ChoiceField(label=_("Scar type"), choices=_choices(SCAR_KINDS))
    grade = forms.TypedChoiceField(
        label=_("Goodman & Baron grade"),
        choices=[("", "—"), *((str(g), str(g)) for g in range(1, 5))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    count = forms.IntegerField(label=_("Count"), min_value=0, required=False)
    wound_closed_on = forms.DateField(
        label=_("Wound closed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Surgical, traumatic and burn scars."),
    )


class ProcedureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Procedure"), choices=_choices(PROCEDURE_KINDS))
    on = forms.DateField(label=_("On"), widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.ChoiceField(
        label=_("Area"), choices=[("", "—"), *AREA_CHOICES], required=False
    )


# absolute_max: a posted form count above it is refused ("Please submit at most
# 16 forms") instead of building and rendering up to 1,000 more forms.
ScarFormSet = forms.formset_factory(
    ScarForm, extra=0, min_num=1, validate_min=True, max_num=16, absolute_max=16
)
ProcedureFormSet = forms.formset_factory(
    ProcedureForm, extra=0, max_num=20, absolute_max=20
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def assessment_json(
    form: AssessmentForm, scars: Any, procedures: Any
) -> dict[str, Any]:
    """The contract's assessment object from valid forms."""
    d = form.cleaned_data
    patient = form.patient
    history: dict[str, Any] = {
        key: d[key]
        for key in (
            "anticoagulant",
            "bleeding_disorder",
            "keloid_tendency",
            "immunosuppressed",
            "herpes_simplex_history",
            "metal_allergy",
            "anaesthetic_allergy",
        )
    }
    history["diabetes"] = d["diabetes"]
    history["isotretinoin"] = {"status": d["isotretinoin"]}
    if d["isotretinoin"] == "stopped":
        history["isotretinoin"]["stopped_on"] = _iso(d["isotretinoin_stopped_on"])
    if d["radiotherapy_to_area_on"]:
        history["radiotherapy_to_area_on"] = _iso(d["radiotherapy_to_area_on"])
    history["recent_procedures"] = [
        {
            "kind": p["kind"],
            "on": _iso(p["on"]),
            **({"area": p["area"]} if p.get("area") else {}),
        }
        for p in procedures.cleaned_data
        if p and not p.get("DELETE")
    ]
    result: dict[str, Any] = {
        "assessed_on": _iso(d["assessed_on"]),
        "patient": {
            "birth_date": _iso(patient.born_on),
            "fitzpatrick": d["fitzpatrick"],
            "pregnant": d["pregnant"],
            "nursing": d["nursing"],
        },
        "history": history,
        "exam": {
            "active_infection_areas": d["active_infection_areas"],
            "open_wound_areas": d["open_wound_areas"],
            "skin_cancer_areas": d["skin_cancer_areas"],
            "active_herpes": d["active_herpes"],
            "active_acne": d["active_acne"],
        },
        "scars": [
            {
                "area": s["area"],
                "kind": s["kind"],
                **({"grade": s["grade"]} if s.get("grade") else {}),
                **({"count": s["count"]} if s.get("count") is not None else {}),
                **(
                    {"wound_closed_on": _iso(s["wound_closed_on"])}
                    if s.get("wound_closed_on")
                    else {}
                ),
            }
            for s in scars.cleaned_data
            if s
        ],
    }
    device = d.get("device")
    if device is not None:
        result["device"] = {
            "name": device.name,
            "max_depth_mm": float(device.max_depth_mm),
        }
    return result


# JSON path prefixes of engine messages → (form, field) that shows them.
PATH_FIELDS: dict[str, str] = {
    "assessed_on": "assessed_on",
    "patient.fitzpatrick": "fitzpatrick",
    "patient.birth_date": "assessed_on",
    "history.isotretinoin": "isotretinoin_stopped_on",
    "history.radiotherapy_to_area_on": "radiotherapy_to_area_on",
}


def attach_engine_errors(
    problems: tuple[str, ...], form: AssessmentForm, scars: Any, procedures: Any
) -> None:
    """Put each engine message next to its field; unknown paths go on top."""
    for line in problems:
        path, _sep, message = line.partition(": ")
        if path.startswith("scars[") and "]" in path:
            index = int(path[len("scars[") : path.index("]")])
            field = path.split(".")[-1] if "." in path else None
            if index < len(scars.forms) and field in scars.forms[index].fields:
                scars.forms[index].add_error(field, message)
                continue
        if path.startswith("history.recent_procedures[") and "]" in path:
            index = int(path[len("history.recent_procedures[") : path.index("]")])
            field = path.split(".")[-1]
            if (
                index < len(procedures.forms)
                and field in procedures.forms[index].fields
            ):
                procedures.forms[index].add_error(field, message)
                continue
        for prefix, name in PATH_FIELDS.items():
            if path.startswith(prefix):
                form.add_error(name, message)
                break
        else:
            form.add_error(None, line)


class PlanOverrideForm(forms.Form):
    """A draft plan's overridable elements, prefilled with the plan's values, and the
    reason for changing them. The hard limits are the rules' (`check_limits`); the
    form shows them with the type errors, and `override_plan`, which checks them
    again, has its messages put back next to the fields by `add_errors`."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the plan with your name; required."),
    )

    def __init__(self, data: Any = None, *, plan_data: dict[str, Any]) -> None:
        self.plan_data = plan_data
        current = current_values(plan_data)
        initial: dict[str, Any] = {}
        fields: dict[str, forms.Field] = {}
        if current.interval_days is not None:
            iv = current.interval_days
            labels = (
                _("Shortest interval (days)"),
                _("Target interval (days)"),
                _("Longest interval (days)"),
            )
            for name, label, days in zip(
                INTERVAL_FIELDS, labels, (iv.min, iv.target, iv.max), strict=True
            ):
                fields[name] = forms.IntegerField(label=label)
                initial[name] = days
        if current.sessions is not None:
            fields[SESSIONS_FIELD] = forms.IntegerField(label=_("Planned sessions"))
            initial[SESSIONS_FIELD] = current.sessions
        self.depth_areas = list(current.depth_mm)
        for area, depth in current.depth_mm.items():
            shown = area.replace("_", " ").capitalize()
            for end, label, value in (
                ("min", _("%(area)s: shallowest (mm)"), depth.min),
                ("max", _("%(area)s: deepest (mm)"), depth.max),
            ):
                name = depth_field(area, end)
                fields[name] = forms.DecimalField(
                    label=label % {"area": shown}, max_digits=4, decimal_places=2
                )
                initial[name] = f"{value:g}"
        super().__init__(data, initial=initial)
        self.fields.update(fields)
        self.order_fields([*fields, "reason"])

    def clean(self) -> dict[str, Any]:
        """Hard limits too, for every element whose values are numbers, so that all
        problems show at once (`override_plan` checks them again)."""
        data = super().clean() or {}
        requested = changed(self.changes(), current_values(self.plan_data))
        self.add_errors(check_limits(requested, self.plan_data, load_rules()))
        return data

    def interval_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in INTERVAL_FIELDS if name in self.fields]

    def sessions_field(self) -> forms.BoundField | None:
        return self[SESSIONS_FIELD] if SESSIONS_FIELD in self.fields else None

    def depth_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (area, self[depth_field(area, "min")], self[depth_field(area, "max")])
            for area in self.depth_areas
        ]

    def changes(self) -> PlanChanges:
        """The values asked for: each element whose fields hold valid numbers."""
        d = self.cleaned_data
        interval = None
        if all(d.get(name) is not None for name in INTERVAL_FIELDS):
            interval = IntervalWindow(*(d[name] for name in INTERVAL_FIELDS))
        depths = {}
        for area in self.depth_areas:
            low = d.get(depth_field(area, "min"))
            high = d.get(depth_field(area, "max"))
            if low is not None and high is not None:
                depths[area] = DepthRange(float(low), float(high))
        return PlanChanges(
            interval_days=interval, sessions=d.get(SESSIONS_FIELD), depth_mm=depths
        )

    def add_errors(self, errors: dict[str | None, list[str]]) -> None:
        """Messages from `override_plan`, each next to its field when it has one."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
