"""The patient's check-in answers over time, laid out for two small SVG line
charts (symptoms none…severe, and pain 0-10). Each line has its own dash pattern
and marker as well as its colour, and the page shows the same numbers as a table,
so nothing depends on colour alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from skinterval.domain import wallclock
from skinterval.outcomes.models import CheckIn, SymptomLevel

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 88, 24, 16, 44


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    dash: str  # stroke-dasharray ("" = solid)
    marker: str  # circle | square | triangle
    points: tuple[tuple[float, float], ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)

    @property
    def markers(self) -> list[dict[str, str]]:
        """Each point's marker as SVG attribute values (its shape is `marker`)."""
        return [
            {
                "cx": f"{x:.1f}",
                "cy": f"{y:.1f}",
                "x": f"{x - 4:.1f}",
                "y": f"{y - 4:.1f}",
                "triangle": f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} "
                f"{x - 5:.1f},{y + 4:.1f}",
            }
            for x, y in self.points
        ]


@dataclass
class Chart:
    key: str
    title: str
    description: str
    y_ticks: list[tuple[str, str]]
    x_ticks: list[tuple[str, str, str]]
    series: list[Series] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    label_x: int = LEFT - 8
    date_y: int = HEIGHT - BOTTOM + 18
    day_y: int = HEIGHT - BOTTOM + 34


PAD = 24  # keeps the first and last points clear of the axis labels


def _xs(n: int) -> list[float]:
    inner = WIDTH - LEFT - RIGHT - 2 * PAD
    if n == 1:
        return [LEFT + PAD + inner / 2]
    return [LEFT + PAD + inner * i / (n - 1) for i in range(n)]


def _y(value: float, top_value: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - value / top_value)


def _x_ticks(
    check_ins: Sequence[CheckIn], xs: list[float]
) -> list[tuple[str, str, str]]:
    ticks = []
    for x, c in zip(xs, check_ins, strict=True):
        local = wallclock.local_date(c.submitted_at, c.clinic.zone)
        ticks.append(
            (
                f"{x:.1f}",
                date_format(local, "j M"),
                _("day %(n)d") % {"n": c.day_after},
            )
        )
    return ticks


STYLES: dict[str, tuple[str, str]] = {
    "redness": ("", "circle"),
    "swelling": ("6 4", "square"),
    "itching": ("2 3", "triangle"),
    "pain": ("", "circle"),
}


def symptom_charts(check_ins: Sequence[CheckIn]) -> list[Chart]:
    """Two charts (symptoms, pain) over the check-ins in time order; none without
    check-ins."""
    if not check_ins:
        return []
    xs = _xs(len(check_ins))
    ticks = _x_ticks(check_ins, xs)
    labels: dict[str, Any] = {
        "redness": _("Redness"),
        "swelling": _("Swelling"),
        "itching": _("Itching"),
        "pain": _("Pain"),
    }
    top = float(SymptomLevel.SEVERE)
    symptoms = Chart(
        key="symptoms",
        title=_("Redness, swelling and itching"),
        description=_(
            "Each check-in's redness, swelling and itching, from none to severe; "
            "the table below has the same answers."
        ),
        y_ticks=[
            (f"{_y(level.value, top):.1f}", str(level.label)) for level in SymptomLevel
        ],
        x_ticks=ticks,
    )
    for key in ("redness", "swelling", "itching"):
        dash, marker = STYLES[key]
        symptoms.series.append(
            Series(
                key=key,
                label=str(labels[key]),
                dash=dash,
                marker=marker,
                points=tuple(
                    (x, _y(float(getattr(c, key)), top))
                    for x, c in zip(xs, check_ins, strict=True)
                ),
            )
        )
    pain = Chart(
        key="pain",
        title=_("Pain"),
        description=_(
            "Each check-in's pain from 0 (none) to 10 (worst); the table below has "
            "the same answers."
        ),
        y_ticks=[(f"{_y(v, 10.0):.1f}", str(v)) for v in (0, 2, 4, 6, 8, 10)],
        x_ticks=ticks,
    )
    dash, marker = STYLES["pain"]
    pain.series.append(
        Series(
            key="pain",
            label=str(labels["pain"]),
            dash=dash,
            marker=marker,
            points=tuple(
                (x, _y(float(c.pain), 10.0)) for x, c in zip(xs, check_ins, strict=True)
            ),
        )
    )
    return [symptoms, pain]
