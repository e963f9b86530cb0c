"""Clinic protocol overrides, their citation as policy, and their validation."""

from __future__ import annotations

from datetime import date

import pytest

from skinterval.domain.errors import InvalidProtocol
from skinterval.domain.plan import DepthRange
from skinterval.domain.tests.factories import codes, data, plan, protocol


def test_isotretinoin_washout_override_is_cited_as_clinic_policy():
    proto = protocol('name = "Clinic A"\nisotretinoin_washout_months = 12\n')
    p = plan(
        data(
            history={"isotretinoin": {"status": "stopped", "stopped_on": "2024-06-01"}}
        ),
        proto,
    )
    [finding] = [f for f in p.findings if f.code == "isotretinoin_recent"]
    assert finding.until == date(2025, 6, 1)
    assert finding.evidence == ("policy:isotretinoin_washout_months",)
    cite = {c.id: c for c in p.evidence}["policy:isotretinoin_washout_months"]
    assert "Clinic A" in cite.citation
    assert "12" in cite.citation


def test_zero_washout_turns_recent_isotretinoin_into_a_caution():
    proto = protocol("isotretinoin_washout_months = 0\n")
    p = plan(
        data(
            history={"isotretinoin": {"status": "stopped", "stopped_on": "2025-02-01"}}
        ),
        proto,
    )
    assert codes(p)["isotretinoin_recent"] == "caution"
    assert p.decision == "proceed"


def test_interval_override_changes_windows():
    proto = protocol(
        "interval_min_days = 35\ninterval_target_days = 42\ninterval_max_days = 56\n"
    )
    p = plan(data(), proto)
    assert (p.interval_days.min, p.interval_days.target, p.interval_days.max) == (
        35,
        42,
        56,
    )
    assert (p.schedule[1].target_on - p.schedule[0].target_on).days == 42


def test_maintenance_is_opt_in():
    p = plan(data(), protocol("maintenance_every_days = 182\n"))
    kinds = [(f.kind, f.after_last_session_days) for f in p.follow_up]
    assert ("maintenance", 182) in kinds
    assert ("maintenance", 364) in kinds
    assert ("review", 90) in kinds


def test_zone_depth_override_within_cap():
    p = plan(data(), protocol("[zone_depth_mm.cheeks]\nmin = 1.5\nmax = 2.5\n"))
    assert p.areas[0].depth_mm == DepthRange(1.5, 2.5)
    assert p.areas[0].evidence == ("policy:zone_depth_mm.cheeks",)


def test_zone_override_still_capped_by_device():
    raw = data(device={"name": "Generic pen", "max_depth_mm": 2.0})
    p = plan(raw, protocol("[zone_depth_mm.cheeks]\nmin = 1.5\nmax = 2.5\n"))
    assert p.areas[0].depth_mm == DepthRange(1.5, 2.0)


def test_procedure_spacing_override():
    proto = protocol("[procedure_spacing_days]\nfiller = 14\n")
    raw = data(history={"recent_procedures": [{"kind": "filler", "on": "2025-02-24"}]})
    [f] = [f for f in plan(raw, proto).findings if f.code == "recent_procedure"]
    assert f.until == date(2025, 3, 10)
    assert f.evidence == ("policy:procedure_spacing_days.filler",)


INVALID = [
    (
        "interval_min_days = 7\n",
        "protocol.interval_min_days: 7 days is below the hard safety floor of 14 days",
    ),
    (
        "interval_target_days = 10\n",
        "protocol.interval_target_days: 10 days is below the hard safety floor",
    ),
    (
        "interval_min_days = 40\n",
        "protocol: need interval_min_days <= interval_target_days <= interval_max_days",
    ),
    (
        "interval_min_days = 28.5\n",
        "protocol.interval_min_days: expected a whole number, got 28.5",
    ),
    (
        "maintenance_every_days = 7\n",
        "protocol.maintenance_every_days: 7 days is below the hard safety floor",
    ),
    (
        "scar_min_age_days = 14\n",
        "protocol.scar_min_age_days: 14 is outside the allowed range 42 to 730",
    ),
    (
        "isotretinoin_washout_months = -1\n",
        "protocol.isotretinoin_washout_months: -1 is outside the allowed range 0 to 24",
    ),
    (
        "review_after_days = [180, 90]\n",
        "protocol.review_after_days: values must be strictly increasing",
    ),
    (
        "review_after_days = []\n",
        "protocol.review_after_days: expected a non-empty list of whole days",
    ),
    (
        "[zone_depth_mm.cheeks]\nmin = 1.0\nmax = 3.5\n",
        "protocol.zone_depth_mm.cheeks.max: 3.5 mm is above the zone cap of 3.0 mm",
    ),
    (
        "[zone_depth_mm.forehead]\nmin = 0.5\nmax = 2.0\n",
        "protocol.zone_depth_mm.forehead.max: 2.0 mm is above the zone cap of 1.5 mm",
    ),
    (
        "[zone_depth_mm.periorbital]\nmin = 0.1\nmax = 0.2\n",
        "protocol.zone_depth_mm.periorbital: this area is never needled (orbital rim)",
    ),
    (
        "[zone_depth_mm.cheeks]\nmin = 2.0\nmax = 1.0\n",
        "protocol.zone_depth_mm.cheeks: need 0 < min <= max",
    ),
    (
        "[zone_depth_mm.cheeks]\nmax = 1.0\n",
        "protocol.zone_depth_mm.cheeks: expected a table with exactly min and max",
    ),
    (
        "[procedure_spacing_days]\nmicroneedling = 7\n",
        "protocol.procedure_spacing_days.microneedling: 7 days is below the hard",
    ),
    (
        "[procedure_spacing_days]\nlaser = 7\n",
        "protocol.procedure_spacing_days.laser: unknown procedure",
    ),
    ("colour = 'blue'\n", "protocol.colour: unknown setting"),
    ("name = 3\n", "protocol.name: expected a non-empty string"),
    ("interval_min_days = \n", "protocol: not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_protocols_are_rejected_with_a_clear_line(text, message):
    with pytest.raises(InvalidProtocol) as caught:
        protocol(text)
    assert any(line.startswith(message) for line in caught.value.problems), (
        caught.value.problems
    )


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidProtocol) as caught:
        protocol(
            "interval_min_days = 7\ncolour = 1\n"
            "[zone_depth_mm.nose]\nmin = 1\nmax = 9\n"
        )
    assert len(caught.value.problems) == 3


def test_same_protocol_text_gives_equal_protocols():
    text = "isotretinoin_washout_months = 3\n[procedure_spacing_days]\nfiller = 21\n"
    assert protocol(text) == protocol(text)
