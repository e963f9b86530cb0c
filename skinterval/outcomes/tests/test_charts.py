"""Progress charts: a drawn point per score, a line per visit, the numbers as a
table, and SVG that can sit in a page next to other charts."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string

from skinterval import testing as t
from skinterval.domain.scales import get_scale
from skinterval.outcomes import drawing
from skinterval.outcomes.charts import ChartPoint, VisitMark, score_progress
from skinterval.outcomes.models import ScoreOccasion
from skinterval.outcomes.services import record_score
from skinterval.outcomes.tests.scoring import (
    LATER,
    SESSION_1_AT,
    SESSION_2_AT,
    review_visit,
    session,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def course(world_a):
    """Baseline, sessions 1 and 2 and a review visit, with G&B quantitative on
    the cheeks at each, a G&B qualitative grade at two, and the patient's own
    0-10 rating after session 2."""
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    one = session(world_a, plan, 1, SESSION_1_AT)
    two = session(world_a, plan, 2, SESSION_2_AT)
    review = review_visit(world_a)
    gb = {item.item_id: 0 for item in get_scale("gb_quantitative").items}

    def rec(appointment, scale, items, occasion, **kw):
        return record_score(
            patient=world_a.patient,
            area="cheeks",
            scale=scale,
            items=items,
            occasion=occasion,
            appointment=appointment,
            scored_by=kw.pop("scored_by", world_a.practitioner),
            now=kw.pop("now", LATER),
        )

    rec(
        None,
        "gb_quantitative",
        {**gb, "moderate_atrophic": 3},
        "baseline",
        now=SESSION_1_AT - timedelta(days=7),
    )
    rec(one, "gb_quantitative", {**gb, "moderate_atrophic": 2}, "session")
    rec(
        two,
        "gb_quantitative",
        {**gb, "moderate_atrophic": 2, "flat_marks": 1},
        "session",
    )
    rec(review, "gb_quantitative", {**gb, "moderate_atrophic": 1}, "review")
    rec(one, "gb_qualitative", {"grade": 3}, "session")
    rec(two, "gb_qualitative", {"grade": 2}, "session")
    rec(two, "patient_global_0_10", {"rating": 6}, "session", scored_by=None)
    return world_a


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def by_id_suffix(root: ET.Element, suffix: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("id", "").endswith(suffix)]


def test_one_chart_per_area_and_scale_with_a_point_per_score(course):
    drawn = score_progress(course.patient)
    assert [(c.area, c.scale_id) for c in drawn] == [
        ("cheeks", "gb_qualitative"),
        ("cheeks", "gb_quantitative"),
        ("cheeks", "patient_global_0_10"),
    ]
    quantitative = drawn[1]
    assert [p.total for p in quantitative.points] == [6, 4, 5, 2]
    assert [p.visit for p in quantitative.points] == [
        "Baseline",
        "Session 1",
        "Session 2",
        "Review visit",
    ]
    for chart in drawn:
        root = parse(chart.svg)
        (line,) = by_id_suffix(root, "-points")
        markers = line.findall(f".//{SVG}use")
        assert len(markers) == len(chart.points)  # one drawn marker per score


def test_every_session_and_review_visit_is_marked_on_every_chart(course):
    for chart in score_progress(course.patient):
        assert [(v.short, v.kind) for v in chart.visits] == [
            ("S1", "session"),
            ("S2", "session"),
            ("R", "review"),
        ]
        root = parse(chart.svg)
        lines = [e for e in root.iter() if "-visit-" in e.get("id", "")]
        assert len(lines) == 3
        labels = {e.text for e in root.iter(f"{SVG}text")}
        assert {"S1", "S2", "R"} <= labels


def test_the_svg_has_a_title_a_description_and_no_fixed_size(course):
    chart = score_progress(course.patient)[1]
    root = parse(chart.svg)
    assert root.get("role") == "img"
    assert root.get("width") is None
    assert root.get("height") is None
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Cheeks: Goodman & Baron quantitative"
    assert desc is not None
    assert "4 scores" in (desc.text or "")
    assert "from 6 on 29 Dec 2026 to 2 on 2 Mar 2027" in (desc.text or "")
    assert "A lower total is better" in (desc.text or "")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_the_table_beside_the_chart_has_every_number(course):
    drawn = score_progress(course.patient)
    html = render_to_string(
        "outcomes/_score_charts.html", {"charts": drawn, "for_patient": False}
    )
    assert html.count('class="score-point"') == sum(len(c.points) for c in drawn)
    assert html.count('class="visit-mark"') == 3 * len(drawn)
    assert "<details" in html
    assert "The patient" in html  # the patient's own rating, said as such
    # Several charts on one page: no id twice.
    ids = Counter(
        e.get("id") for c in drawn for e in parse(c.svg).iter() if e.get("id")
    )
    assert [i for i, n in ids.items() if n > 1] == []


def test_scales_the_evidence_gives_no_direction_for_say_so(course):
    rating = score_progress(course.patient)[2]
    assert "does not say which end of this scale is better" in rating.description


def test_a_new_scale_version_starts_its_own_chart(course):
    from skinterval.outcomes.models import Score

    Score.objects.filter(scale="gb_qualitative").update(scale_version="2030")
    record_score(
        patient=course.patient,
        area="cheeks",
        scale="gb_qualitative",
        items={"grade": 2},
        occasion=ScoreOccasion.REVIEW,
        appointment=review_visit(course, SESSION_2_AT + timedelta(days=50)),
        scored_by=course.practitioner,
        now=LATER,
    )
    versions = [
        (c.version, len(c.points))
        for c in score_progress(course.patient)
        if c.scale_id == "gb_qualitative"
    ]
    assert versions == [("2006", 1), ("2030", 2)]


def test_the_patients_view_calls_their_own_reports_theirs(course):
    mine = score_progress(course.patient, for_patient=True)
    assert mine[2].points[0].reported_by == "You"
    assert mine[0].key.startswith("my-scores-")


def test_charts_drawn_at_once_in_threads_are_the_same_as_one_by_one():
    """No shared figure state: each call has its own Figure and canvas."""
    points = [
        ChartPoint(date(2027, 1, 1) + timedelta(days=30 * i), Decimal(v), "x", "y")
        for i, v in enumerate([9, 7, 8, 5])
    ]
    visits = [VisitMark(date(2027, 2, 1), "S1", "Session 1", "session")]
    words = ("Score", "Session", "Review visit", "Total")
    args = [(points[: n + 1], visits, (0, 84), words) for n in range(4)]
    alone = [drawing.draw(*a) for a in args]
    together: dict[int, str] = {}

    def draw(n: int) -> None:
        together[n] = drawing.draw(*args[n])

    threads = [threading.Thread(target=draw, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[n] for n in range(4)] == alone


def test_a_drawn_chart_is_reused_from_the_cache(course, monkeypatch):
    first = score_progress(course.patient)
    calls: list[object] = []

    def counting_draw(*args: object) -> str:
        calls.append(args)
        return ""

    monkeypatch.setattr(drawing, "draw", counting_draw)
    again = score_progress(course.patient)
    assert calls == []
    assert [c.svg for c in again] == [c.svg for c in first]
