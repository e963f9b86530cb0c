"""The outcome report in words: cohort and dimension names, and each number with
its interval, for the page (the CSV keeps the raw numbers)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from skinterval.charting.models import Reaction
from skinterval.domain.outcome_report import (
    ALL,
    DEVICE,
    DIMENSIONS,
    PHOTOTYPE,
    PRACTITIONER,
    PROTOCOL,
    SCAR_TYPE,
    UNKNOWN,
    CohortRow,
    Mean,
    OutcomeReport,
    Share,
)
from skinterval.domain.scales import ScaleError, get_scale
from skinterval.outcomes.report_charts import dimension_chart
from skinterval.outcomes.score_labels import better_text, scale_label
from skinterval.patients.labels import SCAR_KIND_LABELS, label
from skinterval.patients.models import Fitzpatrick

DIMENSION_TITLES = {
    ALL: gettext_lazy("All treated patients"),
    SCAR_TYPE: gettext_lazy("By scar type"),
    PHOTOTYPE: gettext_lazy("By phototype (Fitzpatrick)"),
    PROTOCOL: gettext_lazy("By protocol (clinical rules version)"),
    PRACTITIONER: gettext_lazy("By practitioner"),
    DEVICE: gettext_lazy("By device"),
}


def cohort_label(dimension: str, cohort: str) -> str:
    if dimension == ALL:
        return _("All patients")
    if cohort == UNKNOWN:
        return _("Not recorded")
    if dimension == SCAR_TYPE:
        return label(SCAR_KIND_LABELS, cohort)
    if dimension == PHOTOTYPE and cohort.isdigit():
        return str(Fitzpatrick(int(cohort)).label)
    if dimension == PROTOCOL:
        return _("Rules %(version)s") % {"version": cohort}
    return cohort


def reaction_label(kind: str) -> str:
    try:
        return str(Reaction(kind).label)
    except ValueError:
        return kind


def _n(value: float, places: int = 2) -> str:
    return number_format(value, decimal_pos=places)


def _pct(value: float) -> str:
    return number_format(100 * value, decimal_pos=0) + "%"


def mean_text(mean: Mean) -> str:
    if mean.mean is None:
        return _("none judged")
    if mean.ci is None:
        return _("%(mean)s (n = %(n)s; no interval below 2)") % {
            "mean": _n(mean.mean),
            "n": mean.n,
        }
    return _("%(mean)s (95%% CI %(low)s to %(high)s; n = %(n)s)") % {
        "mean": _n(mean.mean),
        "low": _n(mean.ci.low),
        "high": _n(mean.ci.high),
        "n": mean.n,
    }


def share_text(share: Share) -> str:
    if share.n == 0 or share.share is None or share.ci is None:
        return _("none")
    return _("%(k)s of %(n)s, %(share)s (95%% CI %(low)s–%(high)s)") % {
        "k": share.k,
        "n": share.n,
        "share": _pct(share.share),
        "low": _pct(share.ci.low),
        "high": _pct(share.ci.high),
    }


@dataclass(frozen=True)
class RowView:
    cohort: str
    patients: int
    sessions: int
    sessions_per_patient: str
    judged: int
    follow_up_too_short: int
    changes: list[str]  # in the order of the report's scales
    gb_improved: str
    adverse: str
    reactions: list[tuple[str, str]]


@dataclass(frozen=True)
class Section:
    dimension: str
    title: str
    rows: list[RowView]
    chart: SafeString | None


def row_view(row: CohortRow, scales: tuple[str, ...]) -> RowView:
    changes = dict(row.changes)
    per = row.sessions_per_patient
    return RowView(
        cohort=cohort_label(row.dimension, row.cohort),
        patients=row.patients,
        sessions=row.sessions,
        sessions_per_patient="" if per is None else _n(per, 1),
        judged=row.judged,
        follow_up_too_short=row.follow_up_too_short,
        changes=[
            mean_text(changes[s]) if s in changes else _("none judged") for s in scales
        ],
        gb_improved=share_text(row.gb_improved),
        adverse=share_text(row.adverse),
        reactions=[(reaction_label(k), share_text(v)) for k, v in row.reactions],
    )


def sections(report: OutcomeReport, *, charts: bool = True) -> list[Section]:
    out: list[Section] = []
    for dimension in DIMENSIONS:
        rows = report.by_dimension(dimension)
        if not rows:
            continue
        title = str(DIMENSION_TITLES[dimension])
        chart = None
        if charts and dimension != ALL:
            chart = dimension_chart(
                key=f"chart-{dimension}",
                title=title,
                rows=rows,
                labels=[cohort_label(r.dimension, r.cohort) for r in rows],
            )
        out.append(
            Section(
                dimension=dimension,
                title=title,
                rows=[row_view(r, report.scales) for r in rows],
                chart=chart,
            )
        )
    return out


def scale_headings(report: OutcomeReport) -> list[str]:
    return [scale_label(s) for s in report.scales]


def scale_notes(report: OutcomeReport) -> list[str]:
    """Per scale in the report: which end is better."""
    notes: list[str] = []
    for scale_id in report.scales:
        try:
            scale = get_scale(scale_id)
        except ScaleError:
            continue
        notes.append(f"{scale_label(scale_id)}: {better_text(scale)}")
    return notes
