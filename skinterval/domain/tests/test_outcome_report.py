"""The outcome report's numbers, checked against a small cohort computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from skinterval.domain.outcome_report import (
    Course,
    Interval,
    ScoreRecord,
    SessionRecord,
    mean_with_ci,
    outcome_report,
    t_quantile,
    wilson,
)

ON = date(2027, 12, 1)  # report date; judged if the last session is on or before
JUDGE = 90  # 2 Sep 2027 (1 Dec - 90 days)


def s(on, who, device, reaction="expected"):
    return SessionRecord(date.fromisoformat(on), who, (device,), reaction)


def gb(area, occasion, on, grade):
    return ScoreRecord(
        area, "gb_qualitative", "2006", occasion, date.fromisoformat(on), grade
    )


def posas(occasion, on, total):
    return ScoreRecord(
        "cheeks", "posas2_observer", "2.0", occasion, date.fromisoformat(on), total
    )


COHORT = [
    # P1: judged (last session 1 Apr). GB 3 -> 2 (change -1); POSAS 30 -> 24 (-6).
    # A score after the report date is left out.
    Course(
        "p1",
        ("rolling",),
        2,
        "rules A",
        (
            s("2027-03-01", "Alice", "Pen 1"),
            s("2027-04-01", "Alice", "Pen 1", "pih"),
        ),
        (
            gb("cheeks", "baseline", "2027-02-28", 3),
            gb("cheeks", "review", "2027-07-01", 2),
            gb("cheeks", "review", "2027-12-15", 1),
            posas("baseline", "2027-02-28", 30),
            posas("review", "2027-07-01", 24),
        ),
    ),
    # P2: judged (last 10 May). GB cheeks 4 -> 4 (0), forehead 3 -> 1 (-2): the
    # patient's change is the mean over areas, (0 - 2) / 2 = -1: improved.
    # POSAS 40 -> 37 (-3). Treated by Alice then Lee; an infection at the last.
    Course(
        "p2",
        ("rolling", "icepick"),
        4,
        "rules A",
        (
            s("2027-03-10", "Alice", "Pen 1"),
            s("2027-04-10", "Lee", "Pen 2"),
            s("2027-05-10", "Lee", "Pen 2", "infection"),
        ),
        (
            gb("cheeks", "baseline", "2027-03-01", 4),
            gb("forehead", "baseline", "2027-03-01", 3),
            gb("cheeks", "review", "2027-08-01", 4),
            gb("forehead", "review", "2027-08-01", 1),
            posas("baseline", "2027-03-01", 40),
            posas("session", "2027-05-10", 37),
        ),
    ),
    # P3: last session 1 Oct, after 2 Sep: follow-up too short, not judged.
    Course(
        "p3",
        ("boxcar",),
        2,
        "rules B",
        (s("2027-10-01", "Lee", "Pen 2"),),
        (
            gb("cheeks", "baseline", "2027-09-30", 3),
            gb("cheeks", "session", "2027-10-01", 3),
        ),
    ),
    # P4: judged. GB 2 -> 2 (0). The "baseline" recorded after the first session
    # (grade 4, 1 Feb) is not a baseline and is ignored.
    Course(
        "p4",
        ("rolling",),
        2,
        "rules A",
        (s("2027-01-15", "Alice", "Pen 1"),),
        (
            gb("cheeks", "baseline", "2027-01-10", 2),
            gb("cheeks", "baseline", "2027-02-01", 4),
            gb("cheeks", "review", "2027-06-01", 2),
        ),
    ),
    # P5: first session after the report date: not in the report at all.
    Course("p5", ("rolling",), 2, "rules A", (s("2028-01-01", "Alice", "Pen 1"),)),
]

REPORT = outcome_report(COHORT, on=ON, judge_after_days=JUDGE)


def row(dimension, cohort):
    [found] = [r for r in REPORT.rows if (r.dimension, r.cohort) == (dimension, cohort)]
    return found


def change(r, scale):
    return dict(r.changes)[scale]


def close(interval, low, high):
    return interval.low == pytest.approx(low, abs=1e-5) and interval.high == (
        pytest.approx(high, abs=1e-5)
    )


def test_every_patient_together():
    r = row("all", "all")
    # P1..P4 (P5 starts after the report date); sessions 2 + 3 + 1 + 1 = 7.
    assert (r.patients, r.sessions) == (4, 7)
    assert r.sessions_per_patient == pytest.approx(7 / 4)  # 1.75
    # Judged: P1, P2, P4; P3's last session (1 Oct) is after 2 Sep.
    assert (r.judged, r.follow_up_too_short) == (3, 1)

    # GB changes of the judged: P1 -1, P2 -1, P4 0.
    # mean = -2/3 = -0.666667
    # deviations -1/3, -1/3, +2/3; squares 1/9 + 1/9 + 4/9 = 6/9
    # s^2 = (6/9) / (3 - 1) = 1/3; s = 0.577350; s/sqrt(3) = 0.333333
    # t(0.975, 2) = 4.302653; half-width = 4.302653 * 0.333333 = 1.434218
    # 95% CI = -0.666667 -/+ 1.434218 = (-2.100884, 0.767551)
    g = change(r, "gb_qualitative")
    assert g.n == 3
    assert g.mean == pytest.approx(-2 / 3)
    assert close(g.ci, -2.100884, 0.767551)

    # POSAS changes: P1 -6, P2 -3 (P3 not judged). mean = -4.5
    # s = |-6 - -3| / sqrt(2) = 2.121320; s/sqrt(2) = 1.5
    # t(0.975, 1) = 12.706205; half-width = 19.059307
    # 95% CI = (-23.559307, 14.559307)
    p = change(r, "posas2_observer")
    assert (p.n, p.mean) == (2, -4.5)
    assert close(p.ci, -23.559307, 14.559307)

    # Improved by >= 1 GB grade: P1 (-1), P2 (-1); not P4 (0): 2 of 3.
    # Wilson, z = 1.959964, z^2 = 3.841459, n = 3, p = 2/3:
    # denominator = 1 + 3.841459/3 = 2.280486
    # centre = (0.666667 + 3.841459/6) / 2.280486 = 1.306910 / 2.280486 = 0.573084
    # half = 1.959964/2.280486 * sqrt(0.666667*0.333333/3 + 3.841459/36)
    #      = 0.859450 * sqrt(0.074074 + 0.106707) = 0.859450 * 0.425184 = 0.365424
    # 95% CI = (0.207660, 0.938508)
    assert (r.gb_improved.k, r.gb_improved.n) == (2, 3)
    assert close(r.gb_improved.ci, 0.207660, 0.938508)

    # Adverse reactions: P1's PIH and P2's infection, 2 of 7 sessions.
    # Wilson, n = 7, p = 0.285714: denominator = 1 + 3.841459/7 = 1.548780
    # centre = (0.285714 + 3.841459/14) / 1.548780 = 0.560104 / 1.548780 = 0.361642
    # half = 1.959964/1.548780 * sqrt(0.285714*0.714286/7 + 3.841459/196)
    #      = 1.265488 * sqrt(0.029155 + 0.019599) = 1.265488 * 0.220803 = 0.279423
    # 95% CI = (0.082219, 0.641066)
    assert (r.adverse.k, r.adverse.n) == (2, 7)
    assert close(r.adverse.ci, 0.082219, 0.641066)
    kinds = dict(r.reactions)
    assert set(kinds) == {"infection", "pih"}
    assert (kinds["pih"].k, kinds["pih"].n) == (1, 7)


def test_practitioner_cohorts_hold_the_sessions_they_did():
    alice = row("practitioner", "Alice")
    # Alice: P1 x2, P2 x1, P4 x1 = 4 sessions, 3 patients; the PIH was hers.
    assert (alice.patients, alice.sessions) == (3, 4)
    assert alice.sessions_per_patient == pytest.approx(4 / 3)
    assert (alice.adverse.k, alice.adverse.n) == (1, 4)
    assert (alice.judged, alice.follow_up_too_short) == (3, 0)
    assert (alice.gb_improved.k, alice.gb_improved.n) == (2, 3)

    lee = row("practitioner", "Lee")
    # Lee: P2 x2, P3 x1 = 3 sessions, 2 patients; P3 not judged yet.
    assert (lee.patients, lee.sessions, lee.judged) == (2, 3, 1)
    assert (lee.adverse.k, lee.adverse.n) == (1, 3)
    # One judged patient (P2, -1): a mean, but no interval below two patients.
    g = change(lee, "gb_qualitative")
    assert (g.n, g.mean, g.ci) == (1, -1, None)


def test_cohorts_by_scar_type_phototype_protocol_and_device():
    # P2 has rolling and ice-pick scars: counted in both.
    assert row("scar_type", "rolling").patients == 3
    assert row("scar_type", "icepick").patients == 1
    boxcar = row("scar_type", "boxcar")
    assert (boxcar.patients, boxcar.judged, boxcar.follow_up_too_short) == (1, 0, 1)
    assert boxcar.changes == ()
    assert boxcar.gb_improved.ci is None  # nobody to judge: no interval
    assert (row("phototype", "2").patients, row("phototype", "4").patients) == (3, 1)
    assert row("protocol", "rules A").sessions == 6
    assert row("protocol", "rules B").sessions == 1
    assert (row("device", "Pen 1").sessions, row("device", "Pen 2").sessions) == (4, 3)
    assert next(r.dimension for r in REPORT.rows) == "all"


def test_a_longer_follow_up_judges_more_patients():
    later = outcome_report(COHORT, on=date(2028, 1, 1), judge_after_days=JUDGE)
    r = next(x for x in later.rows if x.dimension == "all")
    # P3 (1 Oct + 90 days = 30 Dec) is judged now (0 change); P5 joins, too short.
    # P1's 15 Dec grade 1 now counts: P1 -2.
    assert (r.patients, r.judged, r.follow_up_too_short) == (5, 4, 1)
    assert dict(r.changes)["gb_qualitative"].mean == pytest.approx((-2 - 1 + 0 + 0) / 4)


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (10, 2.2281), (30, 2.0423)],
)
def test_t_quantiles_match_the_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)


def test_wilson_and_mean_edges():
    assert wilson(0, 0) is None
    none_of_five = wilson(0, 5)
    assert none_of_five is not None
    assert close(none_of_five, 0.0, 0.434482)
    all_of_five = wilson(5, 5)
    assert all_of_five is not None
    assert all_of_five.high == 1.0
    assert mean_with_ci([]).mean is None
    assert mean_with_ci([2.0]).ci is None
    assert mean_with_ci([1.0, 1.0]).ci == Interval(1.0, 1.0)


def test_judged_from_exactly_the_rules_days_after_the_last_session():
    p4 = [c for c in COHORT if c.patient == "p4"]  # last session 15 Jan 2027
    on_the_day = date(2027, 4, 15)  # 15 Jan + 90 days
    judged = outcome_report(p4, on=on_the_day, judge_after_days=JUDGE).rows[0]
    assert (judged.judged, judged.follow_up_too_short) == (1, 0)
    day_before = outcome_report(p4, on=date(2027, 4, 14), judge_after_days=JUDGE).rows[
        0
    ]
    assert (day_before.judged, day_before.follow_up_too_short) == (0, 1)
    assert day_before.changes == ()
