"""Progress charts: one area's totals on one scale over time, sessions marked.

Each chart is an inline SVG drawn by matplotlib (`drawing.py`: a `Figure` with
its own SVG canvas per call, never pyplot, so nothing is shared between threads)
and post-processed so that it can sit in an HTML page next to others: ids are
prefixed with the chart's key, the size follows the page, and the root carries
`role="img"` with a `<title>` and `<desc>`. The numbers are also given as a
table (`ScoreChart.points`, `ScoreChart.visits`), so nothing depends on seeing
the picture.

Scores on different scale versions are never drawn on one line: a chart is one
(area, scale, version). Rendering takes ~60 ms, so a drawn chart is kept in the
cache under a hash of everything drawn (content-addressed: it cannot go stale).

See docs/scores.md and docs/decisions/0010-score-charts-matplotlib.md.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from skinterval.appointments.models import Appointment
from skinterval.domain import wallclock
from skinterval.domain.assessment import AREA_ORDER
from skinterval.domain.scales import ScaleError, get_scale
from skinterval.outcomes.models import Score, ScoreOccasion
from skinterval.outcomes.queries import scores_for_patient, treatment_visits
from skinterval.outcomes.score_labels import (
    STAFF_SCALE_ORDER,
    better_text,
    range_text,
    scale_label,
)
from skinterval.outcomes.svg import embed_svg
from skinterval.patients import labels
from skinterval.patients.models import Patient

CACHE_SECONDS = 24 * 60 * 60
# Part of the cache key: bump it when the drawing changes.
DRAWING_VERSION = "2"  # 2: styles as presentation attributes (CSP)
MATPLOTLIB_VERSION = importlib.metadata.version("matplotlib")


@dataclass(frozen=True)
class ChartPoint:
    on: date
    total: Decimal
    visit: str  # "Baseline", "Session 2", "Review visit"
    reported_by: str


@dataclass(frozen=True)
class VisitMark:
    """A session or review visit drawn as a vertical line."""

    on: date
    short: str  # "S2", "R"
    label: str  # "Session 2", "Review visit"
    kind: str  # "session" | "review"


@dataclass(frozen=True)
class ScoreChart:
    key: str
    area: str
    area_label: str
    scale_id: str
    scale_label: str
    version: str
    verified: bool
    better: str
    range: str
    title: str
    description: str
    points: tuple[ChartPoint, ...]
    visits: tuple[VisitMark, ...]
    svg: SafeString


# --------------------------------------------------------------------------- data


def visit_marks(appointments: Iterable[Appointment], zone: ZoneInfo) -> list[VisitMark]:
    """Sessions and review visits that took place, oldest first."""
    marks = []
    for appointment in appointments:
        on = wallclock.local_date(appointment.starts_at, zone)
        session = appointment.plan_session
        if session is not None:
            marks.append(
                VisitMark(
                    on=on,
                    short=_("S%(n)d") % {"n": session.number},
                    label=_("Session %(n)d") % {"n": session.number},
                    kind="session",
                )
            )
        else:
            marks.append(
                VisitMark(on=on, short=_("R"), label=_("Review visit"), kind="review")
            )
    marks.sort(key=lambda m: m.on)
    return marks


def visit_label(score: Score) -> str:
    if score.occasion == ScoreOccasion.BASELINE:
        return _("Baseline")
    if score.occasion == ScoreOccasion.REVIEW:
        return _("Review visit")
    appointment = score.appointment
    if appointment is not None and appointment.plan_session is not None:
        return _("Session %(n)d") % {"n": appointment.plan_session.number}
    return _("Session")


def _reported_by(score: Score, *, for_patient: bool) -> str:
    if score.scored_by is None:
        return _("You") if for_patient else _("The patient")
    return score.scored_by.display_name


def _scale_rank(scale_id: str) -> int:
    try:
        return STAFF_SCALE_ORDER.index(scale_id)
    except ValueError:
        return len(STAFF_SCALE_ORDER)


def _key(prefix: str, *parts: str) -> str:
    raw = "-".join((prefix, *parts)).lower()
    return re.sub(r"[^a-z0-9-]+", "-", raw).strip("-")


def score_progress(patient: Patient, *, for_patient: bool = False) -> list[ScoreChart]:
    """The patient's charts, in two queries (scores, visits) whatever their
    history. `patient` was loaded through a permission-checked loader."""
    visits = visit_marks(treatment_visits(patient), patient.clinic.zone)
    return score_charts(
        list(scores_for_patient(patient)),
        visits,
        for_patient=for_patient,
        key_prefix="my-scores" if for_patient else "scores",
    )


def score_charts(
    scores: Sequence[Score],
    visits: Sequence[VisitMark],
    *,
    for_patient: bool = False,
    key_prefix: str = "scores",
) -> list[ScoreChart]:
    """One chart per (area, scale, version) that has scores, areas in the
    contract's order, scales in the order staff pick them. Every chart marks
    every visit (so a session after the last score still shows)."""
    groups: dict[tuple[str, str, str], list[Score]] = {}
    for score in scores:
        groups.setdefault((score.area, score.scale, score.scale_version), []).append(
            score
        )
    charts = []
    for area, scale_id, version in sorted(
        groups,
        key=lambda g: (AREA_ORDER.get(g[0], len(AREA_ORDER)), _scale_rank(g[1]), g),
    ):
        rows = sorted(
            groups[(area, scale_id, version)], key=lambda s: (s.scored_on, s.created_at)
        )
        points = tuple(
            ChartPoint(
                on=s.scored_on,
                total=s.total,
                visit=visit_label(s),
                reported_by=_reported_by(s, for_patient=for_patient),
            )
            for s in rows
        )
        charts.append(
            _chart(
                key=_key(key_prefix, area, scale_id, version),
                area=area,
                scale_id=scale_id,
                version=version,
                points=points,
                visits=tuple(visits),
            )
        )
    return charts


def _chart(
    *,
    key: str,
    area: str,
    scale_id: str,
    version: str,
    points: tuple[ChartPoint, ...],
    visits: tuple[VisitMark, ...],
) -> ScoreChart:
    area_label = labels.label(labels.AREA_LABELS, area)
    name = scale_label(scale_id)
    try:
        scale = get_scale(scale_id)
    except ScaleError:  # a scale retired from the domain: still show the numbers
        scale = None
    better = better_text(scale) if scale is not None else ""
    span = range_text(scale) if scale is not None else ""
    title = _("%(area)s: %(scale)s") % {"area": area_label, "scale": name}
    first, last = points[0], points[-1]
    words = {
        "count": len(points),
        "scale": name,
        "version": version,
        "area": area_label.lower(),
        "first": _number(first.total),
        "first_on": date_format(first.on, "j M Y"),
        "last": _number(last.total),
        "last_on": date_format(last.on, "j M Y"),
    }
    if len(points) == 1:
        summary = (
            _(
                "One score on %(scale)s (version %(version)s) for the %(area)s: "
                "%(first)s on %(first_on)s."
            )
            % words
        )
    else:
        summary = (
            _(
                "%(count)d scores on %(scale)s (version %(version)s) for the "
                "%(area)s, from %(first)s on %(first_on)s to %(last)s on %(last_on)s."
            )
            % words
        )
    description = " ".join(
        part
        for part in (
            summary,
            ngettext(
                "%(n)d visit is marked with a vertical line.",
                "%(n)d visits are marked with vertical lines.",
                len(visits),
            )
            % {"n": len(visits)}
            if visits
            else "",
            better,
            _("The numbers are in the table below the chart."),
        )
        if part
    )
    svg = render_svg(
        key=key,
        title=title,
        description=description,
        points=points,
        visits=visits,
        y_bounds=(scale.total_min, scale.total_max) if scale is not None else None,
    )
    return ScoreChart(
        key=key,
        area=area,
        area_label=area_label,
        scale_id=scale_id,
        scale_label=name,
        version=version,
        verified=scale.verified if scale is not None else False,
        better=better,
        range=span,
        title=title,
        description=description,
        points=points,
        visits=visits,
        svg=svg,
    )


def _number(value: Decimal) -> str:
    """12, or 12.5: totals are whole numbers on every current scale."""
    normal = value.normalize()
    return f"{normal:f}" if normal == normal.to_integral() else str(value)


# --------------------------------------------------------------------------- drawing


def render_svg(
    *,
    key: str,
    title: str,
    description: str,
    points: Sequence[ChartPoint],
    visits: Sequence[VisitMark],
    y_bounds: tuple[int, int] | None,
) -> SafeString:
    """The chart as an inline `<svg>` element (cached by content)."""
    fingerprint = hashlib.sha256(
        repr(
            (
                DRAWING_VERSION,
                MATPLOTLIB_VERSION,
                key,
                title,
                description,
                [(p.on, p.total) for p in points],
                [(v.on, v.short, v.kind) for v in visits],
                y_bounds,
                get_language(),
                _legend_words(),
            )
        ).encode()
    ).hexdigest()
    cache_key = f"score-chart-svg:{fingerprint}"
    from skinterval.outcomes import drawing  # matplotlib: imported when needed

    cached = cache.get(cache_key)
    if isinstance(cached, str):
        return mark_safe(cached)  # noqa: S308 - our own drawing, stored by us
    svg = embed_svg(
        drawing.draw(points, visits, y_bounds, _legend_words()),
        key=key,
        title=title,
        description=description,
        css_class="score-chart",
    )
    cache.set(cache_key, svg, CACHE_SECONDS)
    return mark_safe(svg)  # noqa: S308 - matplotlib escapes its text; ours below


def _legend_words() -> tuple[str, str, str, str]:
    return (_("Score"), _("Session"), _("Review visit"), _("Total"))
