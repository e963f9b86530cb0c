"""The approved plan, told to the patient in plain words.

Everything here restates what the stored plan (contract `skinterval.plan/1`)
already says: the numbers come from its `sessions`, `interval_days`, `areas`,
`follow_up` and `aftercare`; each sentence about a finding is a plain rewording of
that finding's message in the rules (`skinterval/domain/rules/default.toml`).
Nothing clinical is added. Findings with no plain wording here (internal ones such
as a device's depth cap) are not shown; the page then says the practitioner will
go through the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

AREA_LABELS: dict[str, Any] = {
    "forehead": gettext_lazy("forehead"),
    "temples": gettext_lazy("temples"),
    "periorbital": gettext_lazy("around the eyes"),
    "nose": gettext_lazy("nose"),
    "cheeks": gettext_lazy("cheeks"),
    "perioral": gettext_lazy("around the mouth"),
    "chin": gettext_lazy("chin"),
    "jawline": gettext_lazy("jawline"),
    "neck": gettext_lazy("neck"),
    "chest": gettext_lazy("chest"),
    "back": gettext_lazy("back"),
    "abdomen": gettext_lazy("tummy (abdomen)"),
    "flanks": gettext_lazy("sides (flanks)"),
    "arms": gettext_lazy("arms"),
    "thighs": gettext_lazy("thighs"),
    "buttocks": gettext_lazy("buttocks"),
}

# (finding code, severity) -> the finding's message in plain words. `%(until)s`
# is the finding's date, when it has one.
FINDING_WORDS: dict[tuple[str, str], Any] = {
    ("pregnancy_or_nursing", "block"): gettext_lazy(
        "Micro-needling is not done during pregnancy or while breastfeeding."
    ),
    ("active_infection", "defer"): gettext_lazy(
        "An infection in an area to be treated has to clear up first."
    ),
    ("active_herpes", "defer"): gettext_lazy(
        "A cold sore has to heal before treatment."
    ),
    ("open_wound", "defer"): gettext_lazy(
        "An open wound or irritated skin in an area to be treated has to heal first."
    ),
    ("skin_cancer_in_area", "block"): gettext_lazy(
        "Treatment is not done where there is active skin cancer."
    ),
    ("metal_allergy", "block"): gettext_lazy(
        "An allergy to metals rules out treatment with metal needles."
    ),
    ("anaesthetic_allergy", "block"): gettext_lazy(
        "An allergy to the numbing cream rules out this treatment."
    ),
    ("bleeding_disorder", "block"): gettext_lazy(
        "A bleeding disorder rules out this treatment."
    ),
    ("isotretinoin_current", "block"): gettext_lazy(
        "Micro-needling is not done while you are taking isotretinoin."
    ),
    ("isotretinoin_recent", "defer"): gettext_lazy(
        "You stopped isotretinoin recently: treatment waits until %(until)s, "
        "when the wash-out period ends."
    ),
    ("isotretinoin_recent", "caution"): gettext_lazy(
        "You stopped isotretinoin recently. Expert papers found no evidence that "
        "treatment must wait; your practitioner has taken it into account."
    ),
    ("anticoagulant", "review"): gettext_lazy(
        "You take medicine that thins the blood: a physician decides about "
        "treatment. Never stop that medicine without asking the doctor who "
        "prescribed it."
    ),
    ("immunosuppression", "review"): gettext_lazy(
        "Because of your immune system, a physician reviews your plan."
    ),
    ("active_acne", "review"): gettext_lazy(
        "Because you have active acne, a physician reviews your plan."
    ),
    ("keloid_tendency", "review"): gettext_lazy(
        "You have formed raised (keloid) scars before, so a physician signs off "
        "your plan."
    ),
    ("keloid_or_hypertrophic_scar", "review"): gettext_lazy(
        "Raised scars are treated by a physician, usually together with another "
        "treatment such as silicone or a steroid."
    ),
    ("herpes_history", "caution"): gettext_lazy(
        "You have had cold sores. This does not stop treatment; your practitioner "
        "may suggest medicine to prevent an outbreak."
    ),
    ("diabetes_uncontrolled", "review"): gettext_lazy(
        "Because of your diabetes, a physician reviews your plan."
    ),
    ("radiotherapy_recent", "defer"): gettext_lazy(
        "You had radiotherapy to an area to be treated: treatment waits until "
        "%(until)s."
    ),
    ("recent_procedure", "caution"): gettext_lazy(
        "Because of a recent skin procedure, your first session waits a while."
    ),
    ("immature_scar", "defer"): gettext_lazy(
        "Your scar is still new: the first session waits until %(until)s, when it "
        "is old enough."
    ),
    ("scar_maturity_unknown", "caution"): gettext_lazy(
        "The clinic will check that the wound is fully closed and any stitches are out."
    ),
    ("pih_risk", "caution"): gettext_lazy(
        "Your skin type can develop darker patches after treatment, so strict sun "
        "protection matters."
    ),
    ("icepick_predominant", "info"): gettext_lazy(
        "Ice-pick scars respond only modestly to micro-needling; your "
        "practitioner may suggest another technique as well."
    ),
    ("macular_scars", "info"): gettext_lazy(
        "Flat marks are mostly a colour problem; the evidence for micro-needling "
        "is for sunken scars."
    ),
    ("striae_alba", "info"): gettext_lazy(
        "White stretch marks improved less than red ones in one study."
    ),
    ("orbital_rim", "caution"): gettext_lazy(
        "The area around the eyes is never needled inside the bony rim of the eye "
        "socket, so it is left out of your plan."
    ),
    ("prior_adverse_reaction", "caution"): gettext_lazy(
        "Because of your reaction to an earlier session, the needles are set less "
        "deep and the sessions are further apart."
    ),
    ("prior_adverse_reaction", "review"): gettext_lazy(
        "Because of a serious reaction to an earlier session, a physician reviews "
        "your plan before the next session."
    ),
}

# The safety re-check asked at every session (charting's HOLD_FIELDS), in the
# patient's words: what to tell the clinic before a session.
TELL_US_BEFORE: tuple[Any, ...] = (
    gettext_lazy("you are pregnant or breastfeeding;"),
    gettext_lazy("you are taking isotretinoin, or have taken it since your plan;"),
    gettext_lazy(
        "you have an infection, an open wound or irritated skin where you will be "
        "treated;"
    ),
    gettext_lazy(
        "you have had another skin procedure (peel, laser, filler, …) since your plan;"
    ),
    gettext_lazy("you have a cold sore."),
)


@dataclass(frozen=True, slots=True)
class Wait:
    """Something that holds treatment back until a date (a finding's `until`)."""

    until: date
    text: str


@dataclass(frozen=True, slots=True)
class AftercareAdvice:
    advice: str
    from_day: int
    to_day: int
    is_policy: bool


@dataclass
class PlainPlan:
    decision: str
    headline: str
    sessions: str
    interval: str
    areas_treated: list[str]
    areas_left_out: list[str]
    reasons: list[str] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    before_each_session: list[str] = field(default_factory=list)
    follow_up: list[str] = field(default_factory=list)
    unexplained_findings: int = 0


def _on(day: date) -> str:
    return date_format(day, "j F Y")


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def area_label(code: str) -> str:
    return str(AREA_LABELS.get(code, code.replace("_", " ")))


def explain(plan: dict[str, Any]) -> PlainPlan:
    """The plan's decision, numbers and findings in plain words."""
    decision = str(plan.get("decision", ""))
    start = _iso(plan.get("earliest_start_on"))
    if decision == "decline":
        headline = _(
            "Your plan does not recommend micro-needling for you now. Your "
            "practitioner will talk it through with you."
        )
    elif decision == "defer" and start is not None:
        headline = _(
            "Treatment is planned, but your first session waits until %(day)s."
        ) % {"day": _on(start)}
    else:
        headline = _("Your plan is ready: your sessions can be booked.")
    sessions = plan.get("sessions", {})
    interval = plan.get("interval_days", {})
    plain = PlainPlan(
        decision=decision,
        headline=headline,
        sessions=ngettext(
            "%(n)d session is planned (the plan's range for your scars is "
            "%(min)d to %(max)d).",
            "%(n)d sessions are planned (the plan's range for your scars is "
            "%(min)d to %(max)d).",
            int(sessions.get("planned", 0)),
        )
        % {
            "n": int(sessions.get("planned", 0)),
            "min": int(sessions.get("min", 0)),
            "max": int(sessions.get("max", 0)),
        },
        interval=_(
            "Sessions are about %(target)d days apart: never sooner than %(min)d "
            "days after the one before, and no later than %(max)d days."
        )
        % {
            "target": int(interval.get("target", 0)),
            "min": int(interval.get("min", 0)),
            "max": int(interval.get("max", 0)),
        },
        areas_treated=[
            area_label(a["area"]) for a in plan.get("areas", []) if a.get("treat")
        ],
        areas_left_out=[
            area_label(a["area"]) for a in plan.get("areas", []) if not a.get("treat")
        ],
        before_each_session=[str(item) for item in TELL_US_BEFORE],
    )
    for finding in plan.get("findings", []):
        words = FINDING_WORDS.get((finding.get("code"), finding.get("severity")))
        until = _iso(finding.get("until"))
        if words is None:
            plain.unexplained_findings += 1
            continue
        text = str(words) % {"until": _on(until) if until else "—"}
        if until is not None and finding.get("severity") in ("block", "defer"):
            plain.waits.append(Wait(until=until, text=text))
        else:
            plain.reasons.append(text)
    plain.before_each_session = [
        *(str(item.get("advice")) for item in plan.get("preparation", []) or []),
        *plain.before_each_session,
    ]
    for visit in plan.get("follow_up", []):
        days = int(visit.get("after_last_session_days", 0))
        if visit.get("kind") == "maintenance":
            text = ngettext(
                "A maintenance session %(n)d day after your last session.",
                "A maintenance session %(n)d days after your last session.",
                days,
            )
        else:
            text = ngettext(
                "A review visit %(n)d day after your last session.",
                "A review visit %(n)d days after your last session.",
                days,
            )
        plain.follow_up.append(text % {"n": days})
    return plain


def aftercare_for_day(plan: dict[str, Any], day: int) -> list[AftercareAdvice]:
    """The plan's aftercare rows that apply `day` days after a session."""
    return [
        AftercareAdvice(
            advice=str(row["advice"]),
            from_day=int(row["from_day"]),
            to_day=int(row["to_day"]),
            is_policy=row.get("basis") == "policy",
        )
        for row in plan.get("aftercare", [])
        if int(row["from_day"]) <= day <= int(row["to_day"])
    ]


def aftercare_last_day(plan: dict[str, Any]) -> int:
    """The last day after a session that any aftercare row covers."""
    return max((int(row["to_day"]) for row in plan.get("aftercare", [])), default=0)
