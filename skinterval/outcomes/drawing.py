"""Drawing one progress chart with matplotlib (imported only when a chart is
drawn: matplotlib takes about half a second to import).

A `Figure` with its own SVG canvas per call, never pyplot, so nothing is shared
between threads; the only process-wide settings are the three constants set once
below, at import. See docs/decisions/0010-score-charts-matplotlib.md.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

import matplotlib
from django.utils.formats import date_format
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

# Set once for the process (read by the SVG writer at draw time; never changed
# per request): text stays text (readable, selectable, translatable) and the ids
# matplotlib derives from hashes are stable from run to run.
matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "skinterval"

LINE_COLOUR = "#1d4ed8"
VISIT_COLOUR = "#4b5563"
TEXT_COLOUR = "#1f2937"
FIG_SIZE_IN = (6.4, 3.0)


class Point(Protocol):
    @property
    def on(self) -> date: ...
    @property
    def total(self) -> Decimal: ...


class Visit(Protocol):
    @property
    def on(self) -> date: ...
    @property
    def short(self) -> str: ...
    @property
    def kind(self) -> str: ...


def number(value: Decimal) -> str:
    """12, or 12.5: totals are whole numbers on every current scale."""
    normal = value.normalize()
    return f"{normal:f}" if normal == normal.to_integral() else str(value)


def draw(
    points: Sequence[Point],
    visits: Sequence[Visit],
    y_bounds: tuple[int, int] | None,
    words: tuple[str, str, str, str],
) -> str:
    """matplotlib's SVG document for one chart. `words`: the translated
    legend and axis words (score, session, review visit, total)."""
    score_word, session_word, review_word, total_word = words
    figure = Figure(figsize=FIG_SIZE_IN, layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    xs = [_day_number(p.on) for p in points]
    ys = [float(p.total) for p in points]

    # The x range covers every score and every visit, with a little room.
    all_days = [p.on for p in points] + [v.on for v in visits]
    first, last = min(all_days), max(all_days)
    pad = max(3, (last - first).days // 20)
    axes.set_xlim(
        float(_day_number(first - timedelta(days=pad))),
        float(_day_number(last + timedelta(days=pad))),
    )
    axes.set_ylim(*_y_limits(ys, y_bounds))

    for n, visit in enumerate(visits, start=1):
        x = _day_number(visit.on)
        axes.axvline(
            x,
            color=VISIT_COLOUR,
            linestyle=(0, (4, 3)) if visit.kind == "session" else (0, (1, 2)),
            linewidth=1,
            gid=f"visit-{n}",
        )
        axes.annotate(
            visit.short,
            xy=(x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color=TEXT_COLOUR,
            annotation_clip=False,
        )
    axes.plot(
        xs,
        ys,
        color=LINE_COLOUR,
        linewidth=2,
        marker="o",
        markersize=6,
        gid="points",
    )
    for x, y, point in zip(xs, ys, points, strict=True):
        axes.annotate(
            number(point.total),
            xy=(x, y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=TEXT_COLOUR,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "linewidth": 0},
        )

    axes.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(_day_text))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    axes.set_ylabel(total_word, color=TEXT_COLOUR)
    axes.tick_params(labelsize=8, colors=TEXT_COLOUR)
    axes.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    handles = [
        Line2D([], [], color=LINE_COLOUR, linewidth=2, marker="o", label=score_word)
    ]
    kinds = {v.kind for v in visits}
    if "session" in kinds:
        handles.append(
            Line2D(
                [],
                [],
                color=VISIT_COLOUR,
                linestyle=(0, (4, 3)),
                label=session_word + " (S1, S2…)",
            )
        )
    if "review" in kinds:
        handles.append(
            Line2D(
                [],
                [],
                color=VISIT_COLOUR,
                linestyle=(0, (1, 2)),
                label=review_word + " (R)",
            )
        )
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=8,
        frameon=False,
    )
    out = io.StringIO()
    figure.savefig(
        out,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    return out.getvalue()


def _day_number(day: date) -> float:
    """Days are drawn as their proleptic ordinal (matplotlib's own date units are
    not used: a registry shared by the whole process)."""
    return float(day.toordinal())


def _day_text(value: float, _position: int | None) -> str:
    return date_format(date.fromordinal(round(value)), "j M Y")


def _y_limits(
    ys: Sequence[float], bounds: tuple[int, int] | None
) -> tuple[float, float]:
    low, high = min(ys), max(ys)
    if bounds is not None and bounds[1] - bounds[0] <= 20:
        # Short scales (a grade 1-4, a rating 0-10): the whole range, so a move
        # of one step looks like one step out of a few.
        return bounds[0] - 0.5, bounds[1] + 0.9
    spread = max(high - low, 4.0)
    pad = spread * 0.2
    bottom, top = low - pad, high + pad
    if bounds is not None:
        bottom, top = max(bottom, bounds[0] - 0.5), min(top, bounds[1] + 0.5)
    return bottom, top + spread * 0.1  # room for the value labels
