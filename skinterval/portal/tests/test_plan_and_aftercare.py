"""The plan in plain words, today's aftercare and the progress page."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from skinterval.domain.assessment import parse_assessment
from skinterval.domain.planning import plan_series
from skinterval.domain.protocol import DEFAULT_PROTOCOL
from skinterval.domain.render import plan_to_dict
from skinterval.portal.plain_language import aftercare_for_day, explain

DEFERRED = {
    "assessed_on": "2027-01-04",
    "patient": {"birth_date": "1990-05-01", "fitzpatrick": 5},
    "scars": [
        {"area": "cheeks", "kind": "rolling", "grade": 3},
        {"area": "periorbital", "kind": "rolling", "grade": 2},
    ],
    "history": {"isotretinoin": {"status": "stopped", "stopped_on": "2026-10-01"}},
}


def engine_plan(assessment):
    return plan_to_dict(plan_series(parse_assessment(assessment), DEFAULT_PROTOCOL))


def test_a_deferred_plan_says_until_when_and_why(db):
    plain = explain(engine_plan(DEFERRED))
    assert plain.decision == "defer"
    assert "your first session waits until 1 April 2027" in plain.headline
    assert [w.text for w in plain.waits] == [
        "You stopped isotretinoin recently: treatment waits until 1 April 2027, "
        "when the wash-out period ends."
    ]
    assert plain.areas_treated == ["cheeks"]
    assert plain.areas_left_out == ["around the eyes"]
    assert any("darker patches" in r for r in plain.reasons)  # phototype V
    assert any("bony rim of the eye socket" in r for r in plain.reasons)
    assert plain.sessions.startswith("4 sessions are planned")


def test_findings_without_plain_words_are_not_shown_but_counted(db):
    plan = engine_plan(DEFERRED)
    plan["findings"].append(
        {
            "code": "depth_capped_by_device",
            "severity": "info",
            "message": "x",
            "evidence": ["S5"],
        }
    )
    plain = explain(plan)
    assert plain.unexplained_findings == 1
    assert "x" not in plain.reasons


def test_aftercare_rows_are_those_covering_the_day(db):
    plan = engine_plan(DEFERRED)
    day_0 = [a.advice for a in aftercare_for_day(plan, 0)]
    day_6 = [a.advice for a in aftercare_for_day(plan, 6)]
    assert any("Pinpoint bleeding" in a for a in day_0)
    assert not any("Pinpoint bleeding" in a for a in day_6)
    assert any("No retinoids" in a for a in day_6)
    assert not any("swimming" in a for a in day_6)  # ends on day 5
    assert aftercare_for_day(plan, 29) == []


def test_pat_sees_her_approved_plan_only(plan, world_a, pat, as_user):
    from skinterval import testing as t

    t.make_plan(world_a.patient, world_a.practitioner)  # a newer draft
    page = as_user(pat).get(reverse("portal:plan")).content.decode()
    assert "Your plan is ready: your sessions can be booked." in page
    assert "Mon 18 Jan 2027" in page  # session 1's window
    assert "Awaiting approval" not in page


def test_without_an_approved_plan_the_page_says_so(world_a, pat, as_user):
    from skinterval import testing as t

    t.make_plan(world_a.patient, world_a.practitioner)  # a draft only
    page = as_user(pat).get(reverse("portal:plan")).content.decode()
    assert "has not approved a treatment plan for you yet" in page
    assert "Your sessions" not in page


def test_todays_aftercare_counts_days_after_the_session(
    session_1_done, pat, as_user, clock
):
    client = as_user(pat)
    page = client.get(reverse("portal:aftercare")).content.decode()
    assert "Day 2 after your session 1." in page
    assert "Avoid strenuous exercise, sauna and hot tubs for 72 hours." in page
    assert "No make-up for 24 hours." not in page  # days 0-1 only

    clock.move_to(datetime(2027, 1, 10, 10, 0, tzinfo=UTC))  # day 6
    page = as_user(pat).get(reverse("portal:aftercare")).content.decode()
    assert "Day 6 after your session 1." in page
    assert "Avoid strenuous exercise" not in page
    assert "No retinoids" in page


def test_before_any_session_the_aftercare_page_waits(plan, pat, as_user):
    page = as_user(pat).get(reverse("portal:aftercare")).content.decode()
    assert "appears here after your first session" in page


def test_progress_draws_check_ins_and_invents_no_scores(session_1_done, pat, as_user):
    client = as_user(pat)
    empty = client.get(reverse("portal:progress")).content.decode()
    assert "<svg" not in empty.split("<main", 1)[1].split("</main>")[0]
    assert "scores will appear here after your first scored visit" in empty

    client.post(
        reverse("portal:check_in", args=[session_1_done.pk]),
        {"redness": "2", "swelling": "1", "itching": "0", "pain": "3"},
    )
    page = client.get(reverse("portal:progress")).content.decode()
    assert 'role="img"' in page
    assert "<polyline" in page
    assert "Moderate" in page  # the table beside the chart
    assert "scores will appear here after your first scored visit" in page
