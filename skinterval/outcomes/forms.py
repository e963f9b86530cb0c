"""The practitioner's side of a check-in: holding the next session. Scores: a
form per scale, generated from the domain scale's items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from skinterval.domain.scales import Scale, ScaleError, ScaleItem
from skinterval.outcomes.services import REASON_MAX_CHARS


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the hold (optional; part of the patient’s record)"),
        required=False,
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


ITEM_PREFIX = "item_"


def _value_label(item: ScaleItem, value: int) -> str:
    anchor = item.anchors.get(value)
    return f"{value} — {anchor}" if anchor else str(value)


def _item_help(item: ScaleItem) -> str:
    parts = [
        str(_("%(low)d to %(high)d.") % {"low": item.min_value, "high": item.max_value})
    ]
    if not item.summed:
        parts.append(str(_("Recorded, not added to the total.")))
    elif item.weight > 1:
        parts.append(
            str(_("Counts %(weight)d times in the total.") % {"weight": item.weight})
        )
    if not item.required:
        parts.append(str(_("Optional.")))
    return " ".join(parts)


class ScoreForm(forms.Form):
    """One area's item scores on one scale: a field per item of the domain
    scale, with its range and anchors; `clean` asks the domain scale itself, so
    the form accepts exactly what the scale accepts. `cleaned_data["items"]` is
    the item id → value mapping for `record_score`."""

    def __init__(
        self,
        *args: Any,
        scale: Scale,
        areas: Sequence[tuple[str, str]],
        item_labels: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale
        self.fields["area"] = forms.ChoiceField(
            label=_("Area"), choices=[("", _("Choose an area")), *areas]
        )
        for item in scale.items:
            self.fields[ITEM_PREFIX + item.item_id] = forms.TypedChoiceField(
                label=(item_labels or {}).get(item.item_id, item.label),
                choices=[
                    ("", _("Choose a value")),
                    *(
                        (str(v), _value_label(item, v))
                        for v in range(item.min_value, item.max_value + 1)
                    ),
                ],
                coerce=int,
                empty_value=None,
                required=item.required,
                help_text=_item_help(item),
            )

    @property
    def item_fields(self) -> list[forms.BoundField]:
        return [self[ITEM_PREFIX + item.item_id] for item in self.scale.items]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        items = {
            item.item_id: data[ITEM_PREFIX + item.item_id]
            for item in self.scale.items
            if data.get(ITEM_PREFIX + item.item_id) is not None
        }
        missing_field = any(
            ITEM_PREFIX + item.item_id in self.errors for item in self.scale.items
        )
        if not missing_field:
            try:
                self.scale.score(items)
            except ScaleError as exc:
                for problem in exc.problems:
                    self.add_error(_problem_field(problem, self.scale), problem)
        data["items"] = items
        return data


def _problem_field(problem: str, scale: Scale) -> str | None:
    """The form field a domain problem is about ("item 'grade': ..."), if any."""
    for item in scale.items:
        if f"'{item.item_id}'" in problem:
            return ITEM_PREFIX + item.item_id
    return None


class CloseAccountForm(forms.Form):
    """Confirming an account closure: which of the patient's future appointments
    to cancel with it (none unless ticked)."""

    cancel = forms.TypedMultipleChoiceField(
        label=_("Cancel these appointments too"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "The patient's appointments changed since this page was shown: "
                "check them again."
            )
        },
    )

    def __init__(self, *args: Any, appointment_ids: Sequence[int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["cancel"])
        field.choices = [(pk, str(pk)) for pk in appointment_ids]
