"""The clinic outcome report page and its CSV, from charted sessions and recorded
scores (the statistics themselves: skinterval/domain/tests/test_outcome_report.py).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from skinterval.clinics.models import Device
from skinterval.outcomes.report_csv import safe_cell
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    at,
    grade,
    review_visit,
    session,
    treated_plan,
)

PAGE = reverse("reports:outcomes")
CSV = reverse("reports:outcomes_csv")
D2 = FIRST_ON + timedelta(days=28)


@pytest.fixture
def treated(world_a):
    """Clinic A's patient: baseline grade 3, two sessions (the second with PIH),
    grade 2 at a review 3 months on. Change -1: improved by one grade."""
    plan = treated_plan(world_a)
    session(world_a, plan, 1, FIRST_ON)
    session(world_a, plan, 2, D2, reaction="pih")
    grade(world_a, review_visit(world_a, D2 + timedelta(days=91)), 2)
    return plan


def rows_of(response):
    text = response.content.decode()
    return list(csv.DictReader(io.StringIO(text)))


def find(rows, dimension, cohort, measure, what=""):
    [row] = [
        r
        for r in rows
        if (r["dimension"], r["cohort"], r["measure"], r["scale_or_reaction"])
        == (dimension, cohort, measure, what)
    ]
    return row


@time_machine.travel(at(D2 + timedelta(days=100)), tick=False)
def test_the_page_shows_each_cohort_with_intervals_and_charts(
    treated, world_a, as_user
):
    response = as_user(world_a.practitioner.user).get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    # One patient, 2 sessions; judged (last session 100 days ago >= 90).
    assert "By practitioner" in text
    assert world_a.practitioner.display_name in text
    assert world_a.device.name in text
    assert "Rolling (acne)" in text
    assert "1 of 1, 100%" in text  # improved by a grade; Wilson interval follows
    assert "-1.00 (n = 1; no interval below 2)" in text.replace("−", "-")
    assert "1 of 2, 50%" in text  # the PIH: one session of two
    assert "Post-inflammatory hyperpigmentation: 1 of 2" in text
    assert text.count('class="report-chart" role="img"') == 5  # one per dimension
    assert world_a.patient.full_name not in text  # no patient is named


@time_machine.travel(at(D2 + timedelta(days=60)), tick=False)
def test_follow_up_too_short_is_not_judged(treated, world_a, as_user):
    rows = rows_of(as_user(world_a.practitioner.user).get(CSV))
    assert find(rows, "all", "all", "judged")["value"] == "0"
    assert find(rows, "all", "all", "follow_up_too_short")["value"] == "1"
    improved = find(rows, "all", "all", "improved_1_gb_grade", "gb_qualitative")
    assert (improved["k"], improved["n"], improved["value"]) == ("0", "0", "")


@time_machine.travel(at(D2 + timedelta(days=100)), tick=False)
def test_the_csv_has_every_number_with_its_interval(treated, world_a, as_user):
    response = as_user(world_a.practitioner.user).get(CSV)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert find(rows, "all", "all", "patients")["value"] == "1"
    assert find(rows, "all", "all", "sessions")["value"] == "2"
    change = find(rows, "all", "all", "mean_change", "gb_qualitative")
    # A computed negative number stays a number.
    assert (change["n"], change["value"], change["ci_low"]) == ("1", "-1", "")
    adverse = find(rows, "all", "all", "adverse_reaction_rate", "any")
    # Wilson 1 of 2, z^2 = 3.841459: denominator = 1 + 3.841459/2 = 2.920729
    # centre = (0.5 + 3.841459/4) / 2.920729 = 1.460365 / 2.920729 = 0.5
    # half = 1.959964/2.920729 * sqrt(0.5*0.5/2 + 3.841459/16)
    #      = 0.671053 * sqrt(0.125 + 0.240091) = 0.671053 * 0.604228 = 0.405469
    # -> (0.094531, 0.905469)
    assert (adverse["k"], adverse["n"], adverse["value"]) == ("1", "2", "0.5")
    assert float(adverse["ci_low"]) == pytest.approx(0.094531, abs=1e-5)
    assert float(adverse["ci_high"]) == pytest.approx(0.905469, abs=1e-5)
    pih = find(rows, "practitioner", "Alice", "adverse_reaction_rate", "pih")
    assert (pih["k"], pih["n"]) == ("1", "2")


@time_machine.travel(at(D2 + timedelta(days=100)), tick=False)
def test_a_name_that_would_be_a_formula_is_neutralised(treated, world_a, as_user):
    Device.objects.filter(pk=world_a.device.pk).update(
        name='=HYPERLINK("http://evil.example","x")'
    )
    text = as_user(world_a.practitioner.user).get(CSV).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    devices = {r[3] for r in rows if r[2] == "device"}
    assert devices == {'\'=HYPERLINK("http://evil.example","x")'}
    assert not any(cell.startswith("=") for r in rows for cell in r)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_quoted(start):
    assert safe_cell(f"{start}cmd") == f"'{start}cmd"
    assert safe_cell("Pen 1") == "Pen 1"
    assert safe_cell(-1.5) == "-1.5"


@time_machine.travel(at(D2 + timedelta(days=100)), tick=False)
def test_only_owners_and_practitioners_see_it(treated, world_a, world_b, as_user):
    assert as_user(world_a.owner.user).get(PAGE).status_code == 200
    assert as_user(world_a.owner.user).get(CSV).status_code == 200
    assert as_user(world_a.front_desk.user).get(PAGE).status_code == 403
    assert as_user(world_a.front_desk.user).get(CSV).status_code == 403
    # Another clinic's practitioner gets their own (empty) clinic's report.
    other = as_user(world_b.practitioner.user)
    assert "No completed sessions yet." in other.get(PAGE).content.decode()
    rows = rows_of(other.get(CSV))
    assert rows == []
    nav = as_user(world_a.front_desk.user).get(reverse("clinics:dashboard"))
    assert PAGE not in nav.content.decode()
