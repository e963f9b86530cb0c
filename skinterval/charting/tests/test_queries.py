"""prior_sessions for the planning engine, built from completed charts."""

from __future__ import annotations

from datetime import date

import pytest

from skinterval import testing as t
from skinterval.charting.queries import prior_sessions
from skinterval.charting.tests.conftest import consent
from skinterval.charting.tests.test_charting import complete, start
from skinterval.domain.assessment import AreaDepth, PriorSession, parse_assessment

pytestmark = pytest.mark.django_db


def test_prior_sessions_are_the_completed_charts_in_the_contracts_form(
    world_a, session_1
):
    assert prior_sessions(world_a.patient) == []
    consent(world_a)
    complete(world_a, start(world_a, session_1), "1.25", reaction="prolonged_erythema")
    held = t.make_appointment(
        world_a,
        plan_session=session_1.plan_session.plan.sessions.get(number=2),
        starts_at=session_1.starts_at.replace(month=2),
        ends_at=session_1.ends_at.replace(month=2),
        blocked_from_at=session_1.starts_at.replace(month=2),
        blocked_until_at=session_1.ends_at.replace(month=2),
    )
    start(world_a, held, new_cold_sore=True)

    rows = prior_sessions(world_a.patient)
    assert rows == [
        {
            "on": "2027-01-05",
            "areas": [{"area": "cheeks", "depth_mm": 1.25}],
            "reaction": "prolonged_erythema",
        }
    ]
    assessment = dict(t.SIMPLE_ASSESSMENT, assessed_on="2027-02-20")
    parsed = parse_assessment(assessment | {"prior_sessions": rows})
    assert parsed.prior_sessions == (
        PriorSession(
            on=date(2027, 1, 5),
            areas=(AreaDepth("cheeks", 1.25),),
            reaction="prolonged_erythema",
        ),
    )


def test_prior_sessions_are_per_patient(world_a, session_1):
    consent(world_a)
    complete(world_a, start(world_a, session_1))
    assert prior_sessions(world_a.other_patient) == []
