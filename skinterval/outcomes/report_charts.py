"""The outcome report's charts: per dimension, each cohort's mean Goodman & Baron
change and its share of sessions with an adverse reaction, as points with their
95% intervals. Inline SVG drawn by matplotlib (a `Figure` with its own canvas,
never pyplot); the numbers are in the page's tables too, so nothing depends on
seeing the picture."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from skinterval.domain.outcome_report import GB_SCALE, CohortRow, Interval
from skinterval.outcomes.svg import embed_svg

POINT_COLOUR = "#1d4ed8"
TEXT_COLOUR = "#1f2937"


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: float | None
    ci: Interval | None


def dimension_chart(
    *, key: str, title: str, rows: Sequence[CohortRow], labels: Sequence[str]
) -> SafeString:
    """Two panels side by side for the cohorts of one dimension."""
    gb = [
        ChartPoint(label, dict(r.changes)[GB_SCALE].mean, dict(r.changes)[GB_SCALE].ci)
        if GB_SCALE in dict(r.changes)
        else ChartPoint(label, None, None)
        for r, label in zip(rows, labels, strict=True)
    ]
    adverse = [
        ChartPoint(
            label,
            None if r.adverse.share is None else 100 * r.adverse.share,
            None
            if r.adverse.ci is None
            else Interval(100 * r.adverse.ci.low, 100 * r.adverse.ci.high),
        )
        for r, label in zip(rows, labels, strict=True)
    ]
    height = 1.4 + 0.35 * len(rows)
    figure = Figure(figsize=(7.5, height), layout="constrained")
    FigureCanvasSVG(figure)
    left, right = figure.subplots(1, 2, sharey=True)
    _panel(left, gb, _("Mean change in Goodman & Baron grade"), zero_line=True)
    _panel(right, adverse, _("Sessions with an adverse reaction (%)"), zero_line=False)
    out = io.StringIO()
    figure.savefig(
        out,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    description = _(
        "Points are the cohorts' values, lines their confidence intervals (95%); "
        "the table above gives the same numbers."
    )
    # matplotlib escapes the text it writes (cohort names); embed_svg the rest.
    return mark_safe(  # noqa: S308
        embed_svg(
            out.getvalue(),
            key=key,
            title=title,
            description=description,
            css_class="report-chart",
        )
    )


def _panel(
    axes: Axes, points: Sequence[ChartPoint], xlabel: str, *, zero_line: bool
) -> None:
    ys = list(range(len(points)))
    axes.set_yticks(ys, [p.label for p in points])
    axes.set_ylim(len(points) - 0.5, -0.5)
    for y, point in zip(ys, points, strict=True):
        if point.value is None:
            continue
        if point.ci is not None:
            axes.plot(
                [point.ci.low, point.ci.high], [y, y], color=POINT_COLOUR, linewidth=1.5
            )
        axes.plot([point.value], [y], "o", color=POINT_COLOUR, markersize=6)
    if zero_line:
        axes.axvline(0, color="#6b7280", linewidth=0.8, linestyle=(0, (4, 3)))
    else:
        axes.set_xlim(left=0)
    axes.set_xlabel(xlabel, fontsize=8, color=TEXT_COLOUR)
    axes.tick_params(labelsize=8, colors=TEXT_COLOUR)
    axes.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
