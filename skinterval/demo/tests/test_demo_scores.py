"""The demo's synthetic score trajectories: enough to make the charts mean
something, computed by the domain scales, the same on every run."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from skinterval.domain.scales import get_scale
from skinterval.outcomes.models import Score, ScoreOccasion


@pytest.fixture
def seeded(db, settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)


def _series() -> dict[tuple[str, str], list[Score]]:
    series: dict[tuple[str, str], list[Score]] = {}
    for score in Score.objects.filter(scale="gb_quantitative").order_by("scored_on"):
        series.setdefault((score.patient.chart_number, score.area), []).append(score)
    return series


def test_demo_scores_fall_over_a_course_and_are_computed_by_the_scales(seeded):
    series = _series()
    long_ones = [rows for rows in series.values() if len(rows) >= 4]
    assert long_ones, "some demo patient has a baseline and three later sessions"
    # Mostly falling: lower at the end than at baseline for most long series.
    falling = [rows for rows in long_ones if rows[-1].total < rows[0].total]
    assert len(falling) > len(long_ones) / 2
    for rows in series.values():
        assert rows[0].occasion == ScoreOccasion.BASELINE
        assert all(r.occasion == ScoreOccasion.SESSION for r in rows[1:])
    for score in Score.objects.all():
        assert score.total == get_scale(score.scale).score(score.items).total
    pats = Score.objects.filter(patient__chart_number="HSC-PAT")
    assert pats.filter(scored_by__isnull=True, scale="patient_global_0_10").exists()
    assert pats.filter(scale="gb_quantitative").exists()

    before = sorted(
        Score.objects.values_list(
            "patient__chart_number", "area", "scale", "scored_on", "total"
        )
    )
    call_command("seed_demo", verbosity=0)
    after = sorted(
        Score.objects.values_list(
            "patient__chart_number", "area", "scale", "scored_on", "total"
        )
    )
    assert after == before
