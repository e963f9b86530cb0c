"""CSV injection: every CSV export neutralises cells a spreadsheet would run as
a formula, through the one helper `skinterval.csv_safe`, and keeps computed
numbers (negative ones too) as numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from skinterval.csv_safe import FORMULA_STARTS, safe_cell, safe_row
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    at,
    grade,
    review_visit,
    session,
    treated_plan,
)

SKINTERVAL = Path(__file__).resolve().parents[3] / "skinterval"
D2 = FIRST_ON + timedelta(days=28)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Dr Smith", "Dr Smith"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-1, "-1"),
        (-1.25, "-1.25"),
        (0.5, "0.5"),
        (12, "12"),
    ],
)
def test_text_that_starts_a_formula_is_quoted_and_numbers_stay_numbers(value, cell):
    assert safe_cell(value) == cell


def test_every_formula_start_is_covered():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}
    assert safe_row(["=1", 2, None]) == ["'=1", "2", ""]


def test_every_csv_export_uses_the_one_helper():
    """A module writing CSV (csv.writer / DictWriter, or a text/csv answer) must
    import skinterval.csv_safe (directly, or through a module that does)."""
    writers = []
    for path in SKINTERVAL.rglob("*.py"):
        if "tests" in path.parts or path.name == "csv_safe.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"csv\.(writer|DictWriter)\(", text):
            writers.append(path)
            assert "skinterval.csv_safe import" in text, path
    assert writers, "the outcome report CSV should be found"


@pytest.fixture
def formula_names(world_a):
    """Clinic A's practitioner and device named like formulas, with a treated
    patient so that both appear as cohorts of the report."""
    world_a.practitioner.display_name = '=HYPERLINK("http://x")'
    world_a.practitioner.save(update_fields=["display_name"])
    world_a.device.name = "+1+1"
    world_a.device.save(update_fields=["name"])
    plan = treated_plan(world_a)
    session(world_a, plan, 1, FIRST_ON)
    session(world_a, plan, 2, D2, reaction="pih")
    grade(world_a, review_visit(world_a, D2 + timedelta(days=91)), 2)
    return world_a


@time_machine.travel(at(D2 + timedelta(days=100)), tick=False)
def test_the_outcome_report_csv_neutralises_names_and_keeps_negative_numbers(
    formula_names, as_user
):
    response = as_user(formula_names.owner.user).get(reverse("reports:outcomes_csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    cohorts = {r["cohort"] for r in rows}
    assert '\'=HYPERLINK("http://x")' in cohorts
    assert "'+1+1" in cohorts
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row
    changes = [r for r in rows if r["measure"] == "mean_change" and r["value"]]
    assert changes, "the report has a mean change"
    assert any(float(r["value"]) < 0 for r in changes)  # -1: a number, unquoted
    assert all(r["value"].startswith("-") for r in changes if float(r["value"]) < 0)
