from __future__ import annotations

from datetime import UTC, datetime

import pytest

from skinterval import testing as t
from skinterval.charting.consent_texts import CURRENT
from skinterval.charting.services import sign_consent

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def consent(world, kind="microneedling", **kwargs):
    return sign_consent(
        patient=world.patient,
        kind=kind,
        text_version=CURRENT[kind].version,
        signed_name=world.patient.full_name,
        witnessed_by=world.front_desk,
        now=NOW,
        **kwargs,
    )


@pytest.fixture
def session_1(world_a):
    """Session 1 of an approved plan (cheeks), booked with clinic A's pen."""
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    return t.make_appointment(
        world_a,
        plan_session=plan.sessions.get(number=1),
        device=world_a.device,
    )


NO = {
    "new_pregnancy_or_breastfeeding": False,
    "new_isotretinoin": False,
    "new_infection_or_wound": False,
    "new_procedure": False,
    "new_cold_sore": False,
}
