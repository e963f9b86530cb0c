"""Properties that hold for every valid assessment and protocol."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import jsonschema
from hypothesis import HealthCheck, given, settings

from skinterval.domain.assessment import parse_assessment
from skinterval.domain.contracts import load_schema
from skinterval.domain.planning import device_cap, plan_series
from skinterval.domain.protocol import apply_protocol
from skinterval.domain.render import dumps_plan, plan_from_dict, plan_to_dict
from skinterval.domain.ruleset import load_rules
from skinterval.domain.tests.strategies import assessments, protocols

RULES = load_rules()
PLAN_SCHEMA = load_schema("plan.schema.json")
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FAST
@given(raw=assessments(), proto=protocols())
def test_plan_is_valid_and_consistent(raw, proto):
    a = parse_assessment(raw)
    plan = plan_series(a, proto, RULES)
    out = plan_to_dict(plan)
    jsonschema.validate(out, PLAN_SCHEMA)

    severities = {f.severity for f in plan.findings}
    expected = (
        "decline"
        if "block" in severities
        else "defer"
        if "defer" in severities
        else "proceed"
    )
    assert plan.decision == expected
    assert plan.requires_physician_review == ("review" in severities)

    defer_untils = [f.until for f in plan.findings if f.severity == "defer"]
    if plan.decision == "decline":
        assert plan.earliest_start_on is None
    elif plan.decision == "defer":
        if None in defer_untils:
            assert plan.earliest_start_on is None
        else:
            assert plan.earliest_start_on == max(u for u in defer_untils if u)
    else:
        assert plan.earliest_start_on is not None
        assert plan.earliest_start_on >= a.assessed_on

    assert len(plan.schedule) == plan.sessions.planned
    iv = plan.interval_days
    assert iv.min <= iv.target <= iv.max
    assert iv.min >= RULES.limits.interval_floor_days
    previous = None
    for row in plan.schedule:
        assert row.earliest_on <= row.target_on <= row.latest_on
        if previous is None:
            assert plan.earliest_start_on is not None
            assert row.earliest_on >= plan.earliest_start_on
        else:
            assert row.earliest_on == previous.target_on + timedelta(iv.min)
            assert row.target_on == previous.target_on + timedelta(iv.target)
            assert row.latest_on == previous.target_on + timedelta(iv.max)
        previous = row

    cr = apply_protocol(RULES, proto)
    cap = device_cap(a, cr)
    for area in plan.areas:
        zone = RULES.zones[area.area]
        if zone.never:
            assert not area.treat
        if area.depth_mm is not None:
            assert area.treat
            assert 0 < area.depth_mm.min <= area.depth_mm.max
            assert area.depth_mm.max <= zone.cap_mm
            assert area.depth_mm.max <= cap

    cited = set(out["evidence"])
    used = set()
    for key in ("findings", "areas", "adjuncts", "aftercare", "follow_up", "rationale"):
        for item in out[key]:
            used.update(item.get("evidence", []))
    assert used == cited
    for eid in cited:
        assert eid.startswith("policy:") or eid in RULES.citations
        assert out["evidence"][eid]["citation"]


@FAST
@given(raw=assessments())
def test_same_input_gives_byte_identical_output(raw):
    first = dumps_plan(plan_series(parse_assessment(raw), rules=RULES))
    again = parse_assessment(json.loads(json.dumps(raw)))
    assert dumps_plan(plan_series(again, rules=RULES)) == first


@settings(max_examples=80, deadline=None)
@given(raw=assessments())
def test_grade_changes_session_count_never_the_interval(raw):
    mild, severe = copy.deepcopy(raw), copy.deepcopy(raw)
    for scar in mild["scars"]:
        scar["grade"] = 1
    for scar in severe["scars"]:
        scar["grade"] = 4
    p_mild = plan_series(parse_assessment(mild), rules=RULES)
    p_severe = plan_series(parse_assessment(severe), rules=RULES)
    assert p_mild.interval_days == p_severe.interval_days
    assert p_severe.sessions.planned >= p_mild.sessions.planned


@FAST
@given(raw=assessments(), proto=protocols())
def test_a_stored_plan_reads_back_as_the_same_plan(raw, proto):
    plan = plan_series(parse_assessment(raw), proto, RULES)
    stored = json.loads(json.dumps(plan_to_dict(plan)))
    assert plan_from_dict(stored) == plan
