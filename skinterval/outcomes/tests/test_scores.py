"""Recording scores: totals computed by the domain scale for every scale, invalid
items refused, and who may score which visit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from skinterval import testing as t
from skinterval.appointments.models import AppointmentStatus
from skinterval.clinics.models import StaffRole
from skinterval.domain.scales import SCALES, get_scale
from skinterval.outcomes.forms import ITEM_PREFIX, ScoreForm
from skinterval.outcomes.models import Score, ScoreOccasion
from skinterval.outcomes.queries import scores_for_patient
from skinterval.outcomes.score_labels import STAFF_SCALE_ORDER
from skinterval.outcomes.services import (
    PATIENT_REPORTED_SCALES,
    ScoreRefused,
    occasion_for_patient_report,
    occasion_for_visit,
    record_score,
)
from skinterval.outcomes.tests.scoring import (
    LATER,
    SESSION_1_AT,
    SESSION_2_AT,
    highest,
    lowest,
    review_visit,
    session,
)
from skinterval.plans.models import PlanStatus

ALL_SCALES = sorted(SCALES)


@pytest.fixture
def plan(world_a):
    return t.make_plan(world_a.patient, world_a.practitioner, approve=True)


@pytest.fixture
def session_1(world_a, plan):
    return session(world_a, plan, 1, SESSION_1_AT)


def score(world, appointment, scale_id, items, **kwargs):
    values = {
        "patient": world.patient,
        "area": "cheeks",
        "scale": scale_id,
        "items": items,
        "occasion": ScoreOccasion.SESSION,
        "appointment": appointment,
        "scored_by": world.practitioner,
        "now": LATER,
    }
    values.update(kwargs)
    return record_score(**values)


# --------------------------------------------------------------------------- totals


def test_every_domain_scale_is_offered_to_practitioners():
    assert sorted(STAFF_SCALE_ORDER) == ALL_SCALES


@pytest.mark.parametrize("scale_id", ALL_SCALES)
def test_the_total_runs_over_the_whole_range_of_every_scale(world_a, plan, scale_id):
    scale = get_scale(scale_id)
    first = session(world_a, plan, 1, SESSION_1_AT)
    second = session(world_a, plan, 2, SESSION_2_AT)

    low = score(world_a, first, scale_id, lowest(scale))
    high = score(world_a, second, scale_id, highest(scale))

    assert low.total == Decimal(scale.total_min)
    assert high.total == Decimal(scale.total_max)
    assert low.scale == scale_id
    assert low.scale_version == scale.version
    assert high.items == highest(scale)  # item scores stored as entered


def test_the_total_is_the_domain_scales_weighted_sum(world_a, session_1):
    # Goodman & Baron quantitative: flat marks x1, moderate atrophic x2, keloid
    # area band x6 → 2 + 2*3 + 6*1 = 14.
    items = {item.item_id: 0 for item in get_scale("gb_quantitative").items}
    items.update(flat_marks=2, moderate_atrophic=3, keloid_hypertrophic_area=1)
    recorded = score(world_a, session_1, "gb_quantitative", items)
    assert recorded.total == Decimal(14)
    recorded.refresh_from_db()
    assert recorded.total == Decimal(14)


def test_posas_overall_opinion_is_kept_but_not_added(world_a, session_1):
    scale = get_scale("posas2_observer")
    items = {**lowest(scale), "overall_opinion": 9}
    recorded = score(world_a, session_1, "posas2_observer", items)
    assert recorded.total == Decimal(scale.total_min)
    assert recorded.items["overall_opinion"] == 9


@pytest.mark.parametrize("scale_id", ALL_SCALES)
def test_an_item_out_of_range_is_refused_on_every_scale(world_a, session_1, scale_id):
    scale = get_scale(scale_id)
    item = scale.items[-1]
    for bad in (item.max_value + 1, item.min_value - 1):
        items = {**highest(scale), item.item_id: bad}
        with pytest.raises(ScoreRefused) as refused:
            score(world_a, session_1, scale_id, items)
        assert refused.value.code == "items"
        assert any(repr(item.item_id) in p for p in refused.value.problems)
    assert not Score.objects.exists()


@pytest.mark.parametrize(
    ("items", "words"),
    [
        ({}, "missing item 'grade'"),
        ({"grade": 2, "extra": 1}, "unknown item 'extra'"),
        ({"grade": True}, "is a bool"),
        ({"grade": "2"}, "is a str"),
    ],
)
def test_missing_unknown_and_non_integer_items_are_refused(
    world_a, session_1, items, words
):
    with pytest.raises(ScoreRefused) as refused:
        score(world_a, session_1, "gb_qualitative", items)
    assert any(words in p for p in refused.value.problems)


@pytest.mark.parametrize("scale_id", ALL_SCALES)
def test_the_form_accepts_exactly_what_the_scale_accepts(scale_id):
    scale = get_scale(scale_id)
    areas = [("cheeks", "Cheeks")]

    def data(items):
        return {"area": "cheeks"} | {
            ITEM_PREFIX + key: str(value) for key, value in items.items()
        }

    good = ScoreForm(data(highest(scale)), scale=scale, areas=areas)
    assert good.is_valid(), good.errors
    assert good.cleaned_data["items"] == highest(scale)

    item = scale.items[0]
    bad = ScoreForm(
        data({**highest(scale), item.item_id: item.max_value + 1}),
        scale=scale,
        areas=areas,
    )
    assert not bad.is_valid()
    assert list(bad.errors) == [ITEM_PREFIX + item.item_id]  # next to the field

    missing = ScoreForm(
        data({k: v for k, v in highest(scale).items() if k != item.item_id}),
        scale=scale,
        areas=areas,
    )
    assert not missing.is_valid()
    assert ITEM_PREFIX + item.item_id in missing.errors


def test_the_form_refuses_an_area_it_did_not_offer():
    scale = get_scale("gb_qualitative")
    form = ScoreForm(
        {"area": "back", ITEM_PREFIX + "grade": "2"},
        scale=scale,
        areas=[("cheeks", "Cheeks")],
    )
    assert not form.is_valid()
    assert list(form.errors) == ["area"]


# --------------------------------------------------------------------------- visits


def test_a_session_score_belongs_to_the_visit_day_and_the_sessions_plan(
    world_a, plan, session_1
):
    recorded = score(world_a, session_1, "gb_qualitative", {"grade": 3})
    assert recorded.scored_on == SESSION_1_AT.date()  # entered later, dated the visit
    assert recorded.plan == plan
    assert recorded.appointment == session_1
    assert recorded.occasion == ScoreOccasion.SESSION
    assert recorded.clinic == world_a.clinic


def test_a_baseline_needs_no_visit_and_takes_todays_clinic_date(world_a, plan):
    recorded = score(
        world_a,
        None,
        "gb_qualitative",
        {"grade": 3},
        occasion=ScoreOccasion.BASELINE,
        now=SESSION_1_AT,
    )
    assert recorded.appointment is None
    assert recorded.scored_on == SESSION_1_AT.date()
    assert recorded.plan == plan  # the approved plan in force


def test_a_review_score_is_taken_at_a_review_visit(world_a, plan, session_1):
    review = review_visit(world_a)
    recorded = score(
        world_a, review, "gais", {"improvement": 2}, occasion=ScoreOccasion.REVIEW
    )
    assert recorded.occasion == ScoreOccasion.REVIEW
    with pytest.raises(ScoreRefused) as refused:
        score(world_a, session_1, "gais", {"improvement": 2}, occasion="review")
    assert refused.value.code == "wrong_visit"


def test_a_session_score_needs_a_session_of_the_plan(world_a, plan):
    with pytest.raises(ScoreRefused) as refused:
        score(world_a, None, "gb_qualitative", {"grade": 3})
    assert refused.value.code == "no_visit"
    with pytest.raises(ScoreRefused) as refused:
        score(world_a, review_visit(world_a), "gb_qualitative", {"grade": 3})
    assert refused.value.code == "wrong_visit"


@pytest.mark.parametrize(
    "status",
    [AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW],
)
def test_a_visit_that_did_not_take_place_cannot_be_scored(world_a, plan, status):
    booked = session(world_a, plan, 1, SESSION_1_AT, status=status)
    with pytest.raises(ScoreRefused) as refused:
        score(world_a, booked, "gb_qualitative", {"grade": 3})
    assert refused.value.code == "not_attended"


def test_unknown_scale_area_and_occasion_are_refused(world_a, session_1):
    for kwargs, code in [
        ({"scale": "made_up"}, "scale"),
        ({"area": "elbow"}, "area"),
        ({"occasion": "someday"}, "occasion"),
    ]:
        with pytest.raises(ScoreRefused) as refused:
            score(world_a, session_1, "gb_qualitative", {"grade": 3}, **kwargs)
        assert refused.value.code == code


def test_one_score_per_area_scale_and_visit(world_a, session_1):
    score(world_a, session_1, "gb_qualitative", {"grade": 3})
    with pytest.raises(ScoreRefused) as refused:
        score(world_a, session_1, "gb_qualitative", {"grade": 2})
    assert refused.value.code == "duplicate"
    # Another area, another scale, or the patient's own report: all fine.
    score(world_a, session_1, "gb_qualitative", {"grade": 2}, area="forehead")
    score(world_a, session_1, "gais", {"improvement": 2})
    score(world_a, session_1, "patient_global_0_10", {"rating": 6})
    score(world_a, session_1, "patient_global_0_10", {"rating": 5}, scored_by=None)
    assert Score.objects.count() == 5


# --------------------------------------------------------------------------- who


def test_only_the_clinics_practitioners_score(world_a, world_b, session_1):
    for member in (world_a.front_desk, world_a.owner, world_b.practitioner):
        with pytest.raises(PermissionDenied):
            score(world_a, session_1, "gb_qualitative", {"grade": 3}, scored_by=member)
    assert world_a.front_desk.role == StaffRole.FRONT_DESK
    assert not Score.objects.exists()


def test_a_visit_of_another_patient_is_refused(world_a, plan, session_1):
    with pytest.raises(PermissionDenied):
        score(
            world_a,
            session_1,
            "gb_qualitative",
            {"grade": 3},
            patient=world_a.other_patient,
        )


def test_patients_report_only_the_patient_scales(world_a, session_1):
    for scale_id in ALL_SCALES:
        items = highest(get_scale(scale_id))
        if scale_id in PATIENT_REPORTED_SCALES:
            recorded = score(world_a, session_1, scale_id, items, scored_by=None)
            assert recorded.is_patient_reported
            assert recorded.scored_on == LATER.date()  # the day they sent it
        else:
            with pytest.raises(ScoreRefused) as refused:
                score(world_a, session_1, scale_id, items, scored_by=None)
            assert refused.value.code == "not_patient_scale"
    assert sorted(PATIENT_REPORTED_SCALES) == ["patient_global_0_10", "posas2_patient"]


def test_scores_for_patient_are_the_patients_own_oldest_first(world_a, plan):
    second = session(world_a, plan, 2, SESSION_2_AT)
    first = session(world_a, plan, 1, SESSION_1_AT)
    score(world_a, second, "gb_qualitative", {"grade": 2})
    score(world_a, first, "gb_qualitative", {"grade": 3})
    other_plan = t.make_plan(world_a.other_patient, world_a.practitioner)
    assert other_plan.status == PlanStatus.DRAFT
    score(
        world_a,
        None,
        "gb_qualitative",
        {"grade": 4},
        patient=world_a.other_patient,
        occasion="baseline",
    )
    rows = list(scores_for_patient(world_a.patient))
    assert [s.items["grade"] for s in rows] == [3, 2]
    assert {s.plan for s in rows} == {plan}


def test_what_a_visit_is_scored_as(world_a, plan, session_1):
    second = session(world_a, plan, 2, SESSION_2_AT)
    before = SESSION_1_AT - timedelta(days=1)  # not on top of session 1
    consultation = t.make_appointment(
        world_a,
        status=AppointmentStatus.COMPLETED,
        starts_at=before,
        ends_at=before + timedelta(minutes=30),
        blocked_from_at=before,
        blocked_until_at=before + timedelta(minutes=30),
    )
    review = review_visit(world_a)
    assert occasion_for_visit(None) == ScoreOccasion.BASELINE
    assert occasion_for_visit(consultation) == ScoreOccasion.BASELINE
    # Scores are taken before treating: nothing was treated before session 1.
    assert occasion_for_visit(session_1) == ScoreOccasion.BASELINE
    assert occasion_for_visit(second) == ScoreOccasion.SESSION
    assert occasion_for_visit(review) == ScoreOccasion.REVIEW
    # The patient rates at home, after the visit: after session 1 is a session.
    assert occasion_for_patient_report(None) == ScoreOccasion.BASELINE
    assert occasion_for_patient_report(session_1) == ScoreOccasion.SESSION
    assert occasion_for_patient_report(review) == ScoreOccasion.REVIEW
    session_1.status = AppointmentStatus.NO_SHOW
    session_1.save(update_fields=["status"])
    assert occasion_for_visit(second) == ScoreOccasion.BASELINE
