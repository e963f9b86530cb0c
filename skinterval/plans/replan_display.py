"""A re-plan proposal in words for the dashboard and its page: the changes, the
response judged, the reasons and their sources (readable citations, as on the
plan page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skinterval.domain.evidence import id_sort_key
from skinterval.domain.replan_changes import (
    ADD_ADJUNCT,
    HOLD,
    LENGTHEN_INTERVAL,
    LOWER_DEPTH,
    REVIEW,
    STOP,
)
from skinterval.plans.models import ReplanProposal
from skinterval.plans.replanning import DECLINE_REASON_MAX_CHARS
from skinterval.plans.templatetags.plan_labels import code_label


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why decline it?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=DECLINE_REASON_MAX_CHARS,
        help_text=gettext_lazy("Kept with the proposal; the plan stays as it is."),
        error_messages={"required": gettext_lazy("Say why the proposal is declined.")},
    )


def decline_form(proposal: ReplanProposal, data: Any = None) -> DeclineForm:
    """The decline form of one proposal; prefixed, as the dashboard shows several."""
    return DeclineForm(data, prefix=f"proposal-{proposal.pk}")


@dataclass(frozen=True)
class Source:
    id: str
    citation: str
    grade: str
    url: str | None


@dataclass(frozen=True)
class ProposalView:
    proposal: ReplanProposal
    changes: list[str]
    response: str
    measure: str | None
    last_session_on: date | None
    sessions_done: int
    next_window: tuple[date, date, date] | None
    reasons: list[dict[str, Any]]
    sources: list[Source]
    anchor: str  # prefix of the ids of this proposal's sources on the page
    decline_form: DeclineForm


def _window(values: list[Any]) -> str:
    low, target, high = values
    return _("%(min)s–%(max)s days, aiming for %(target)s") % {
        "min": low,
        "max": high,
        "target": target,
    }


def _mm(values: list[Any]) -> str:
    return _("%(min)s–%(max)s mm") % {
        "min": f"{float(values[0]):g}",
        "max": f"{float(values[1]):g}",
    }


def describe_change(change: dict[str, Any], details: dict[str, Any]) -> str:
    kind = change["kind"]
    if kind == HOLD:
        return _(
            "Hold the series until a physician has reviewed it: the next planned "
            "session is held and the new version needs a physician's approval."
        )
    if kind == STOP:
        return _(
            "Stop the series after %(n)s sessions: the goal is reached; review "
            "visits follow."
        ) % {"n": details.get("sessions_done", 0)}
    if kind == REVIEW:
        return _(
            "Move to review: a physician reviews the response and considers combined "
            "treatments matched to the scar types."
        )
    if kind == LOWER_DEPTH:
        return _("Needle depth, %(area)s: %(before)s → %(after)s") % {
            "area": code_label(change["subject"]).lower(),
            "before": _mm(change["before"]),
            "after": _mm(change["after"]),
        }
    if kind == LENGTHEN_INTERVAL:
        return _("Interval between sessions: %(before)s → %(after)s") % {
            "before": _window(change["before"]),
            "after": _window(change["after"]),
        }
    if kind == ADD_ADJUNCT:
        return _("Add a combined treatment: %(name)s") % {
            "name": code_label(change["subject"])
        }
    return str(kind)


RESPONSES = {
    "not_assessed": gettext_lazy(
        "Not assessed: no baseline and later score on the same scale and area."
    ),
    "too_early": gettext_lazy(
        "Too early to judge: no improvement yet, but results cannot show before "
        "3 months after the last session."
    ),
    "improving": gettext_lazy("Improving since the baseline."),
    "stalled": gettext_lazy("No improvement at least 3 months after the last session."),
    "goal_reached": gettext_lazy("Goal reached."),
}


def describe(proposal: ReplanProposal, form: DeclineForm | None = None) -> ProposalView:
    """The proposal in words, with its decline form (`form` when given: the one
    posted, with its errors and what was typed)."""
    details = proposal.details
    measure = details.get("measure")
    measure_text = None
    if measure:
        measure_text = _(
            "%(scale)s, %(area)s: %(baseline)s at baseline, %(latest)s on %(on)s "
            "(%(better)s is better)."
        ) % {
            "scale": measure["scale_name"],
            "area": code_label(measure["area"]).lower(),
            "baseline": f"{measure['baseline']:g}",
            "latest": f"{measure['latest']:g}",
            "on": date_format(date.fromisoformat(measure["latest_on"]), "j M Y"),
            "better": _("lower") if measure["better"] == "lower" else _("higher"),
        }
    schedule = details.get("replan", {}).get("schedule", [])
    stopping = any(c["kind"] == STOP for c in details.get("changes", []))
    next_window = None
    if schedule and not stopping:
        first = schedule[0]
        next_window = (
            date.fromisoformat(first["earliest_on"]),
            date.fromisoformat(first["target_on"]),
            date.fromisoformat(first["latest_on"]),
        )
    last = details.get("last_session") or {}
    cited = details.get("citations", {})
    return ProposalView(
        proposal=proposal,
        changes=[describe_change(c, details) for c in details.get("changes", [])],
        response=str(RESPONSES.get(details.get("response", ""), "")),
        measure=measure_text,
        last_session_on=date.fromisoformat(last["on"]) if last.get("on") else None,
        sessions_done=int(details.get("sessions_done", 0)),
        next_window=next_window,
        reasons=list(proposal.reasons),
        sources=[
            Source(key, row["citation"], row["grade"], row.get("url"))
            for key, row in sorted(cited.items(), key=lambda kv: id_sort_key(kv[0]))
        ],
        anchor=f"rp{proposal.pk}-ev-",
        decline_form=form or decline_form(proposal),
    )
