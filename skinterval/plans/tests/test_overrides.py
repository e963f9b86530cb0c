"""Overriding a generated plan: a new version, planned again with the practitioner's
values, each change recorded with its reason and cited as policy, not evidence."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from skinterval import testing as t
from skinterval.clinics.models import QualificationKind, StaffRole
from skinterval.domain.plan import DepthRange, IntervalWindow
from skinterval.plans.models import OverrideElement, Plan, PlanOverride, PlanStatus
from skinterval.plans.overrides import InvalidOverride, PlanChanges
from skinterval.plans.services import OverrideRefused, override_plan

# SIMPLE_ASSESSMENT: rolling scars on the cheeks, grade 3 → 4 sessions (range 1-8),
# every 28 days (window 28-42), cheeks 1.0-1.5 mm (zone cap 3.0 mm).
REASON = "Healed slowly after the last course; tolerated 2 mm on the cheeks before."


def fields(plan: Plan, **changes: str) -> dict[str, str]:
    """The override form as prefilled for `plan`, with `changes` typed over it."""
    data = plan.plan
    iv = data["interval_days"]
    values = {
        "interval_min_days": str(iv["min"]),
        "interval_target_days": str(iv["target"]),
        "interval_max_days": str(iv["max"]),
        "reason": REASON,
    }
    if data["schedule"]:
        values["sessions_planned"] = str(data["sessions"]["planned"])
    for row in data["areas"]:
        if row["treat"]:
            values[f"depth_min_mm_{row['area']}"] = f"{row['depth_mm']['min']:g}"
            values[f"depth_max_mm_{row['area']}"] = f"{row['depth_mm']['max']:g}"
    values.update(changes)
    return values


def post(client, plan: Plan, **changes: str):
    return client.post(
        reverse("plans:override", args=[plan.pk]), fields(plan, **changes)
    )


def test_an_override_makes_a_new_version_and_keeps_the_old_one(world_a, as_user):
    old = t.make_plan(world_a.patient, world_a.practitioner)
    assert (old.interval_min_days, old.interval_target_days) == (28, 28)
    client = as_user(world_a.practitioner.user)

    response = post(
        client,
        old,
        interval_min_days="35",
        interval_target_days="42",
        interval_max_days="56",
        depth_min_mm_cheeks="1.5",
        depth_max_mm_cheeks="2",
    )

    new = Plan.objects.get(patient=world_a.patient, version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[new.pk])
    old.refresh_from_db()
    assert old.status == PlanStatus.SUPERSEDED
    assert old.interval_min_days == 28  # the old version is kept as it was
    assert (new.status, new.derived_from_id) == (PlanStatus.DRAFT, old.pk)
    assert new.created_by == old.created_by  # same assessment, same assessor
    assert (new.interval_min_days, new.interval_target_days, new.interval_max_days) == (
        35,
        42,
        56,
    )
    assert new.plan["interval_days"] == {"min": 35, "target": 42, "max": 56}
    (cheeks,) = [a for a in new.plan["areas"] if a["area"] == "cheeks"]
    assert cheeks["depth_mm"] == {"min": 1.5, "max": 2.0}

    sessions = list(new.sessions.order_by("number"))
    assert len(sessions) == 4
    for before, after in itertools.pairwise(sessions):
        assert after.earliest_on == before.target_on + timedelta(35)
        assert after.target_on == before.target_on + timedelta(42)
        assert after.latest_on == before.target_on + timedelta(56)
    assert [s["target_on"] for s in new.plan["schedule"]] == [
        s.target_on.isoformat() for s in sessions
    ]

    rows = {o.element: o for o in PlanOverride.objects.filter(plan=new)}
    assert set(rows) == {OverrideElement.INTERVAL, OverrideElement.DEPTH}
    interval = rows[OverrideElement.INTERVAL]
    assert interval.old_value == {"min": 28, "target": 28, "max": 42}
    assert interval.new_value == {"min": 35, "target": 42, "max": 56}
    assert interval.reason == REASON
    assert interval.overridden_by == world_a.practitioner
    assert interval.clinic_id == world_a.clinic.pk
    depth = rows[OverrideElement.DEPTH]
    assert (depth.area, depth.old_value, depth.new_value) == (
        "cheeks",
        {"min": 1.0, "max": 1.5},
        {"min": 1.5, "max": 2.0},
    )

    page = client.get(response["Location"]).content.decode()
    assert "Practitioner overrides" in page
    assert "Healed slowly after the last course" in page
    assert "35–56 days, aiming for 42" in page
    assert world_a.practitioner.display_name in page


def test_overridden_values_cite_policy_not_evidence(world_a, as_user):
    old = t.make_plan(world_a.patient, world_a.practitioner)
    post(
        as_user(world_a.practitioner.user),
        old,
        interval_target_days="35",
        depth_max_mm_cheeks="2",
    )
    new = Plan.objects.get(patient=world_a.patient, version=2)

    def cheeks(plan: Plan) -> list[str]:
        return next(a for a in plan.plan["areas"] if a["area"] == "cheeks")["evidence"]

    def interval_reason(plan: Plan) -> list[str]:
        return next(
            r for r in plan.plan["rationale"] if r["text"].startswith("Sessions about")
        )["evidence"]

    assert "S1" in cheeks(old)  # the generated depth had published support…
    assert cheeks(new) == ["policy:zone_depth_mm.cheeks"]  # …the override has none
    assert "S3" in interval_reason(old)
    assert all(e.startswith("policy:") for e in interval_reason(new))
    for key in ("policy:interval_target_days", "policy:zone_depth_mm.cheeks"):
        cited = new.plan["evidence"][key]
        assert cited["grade"] == "POLICY"
        assert "practitioner override" in cited["citation"]


def test_the_number_of_sessions_is_overridden_within_the_published_range(
    world_a, as_user
):
    old = t.make_plan(world_a.patient, world_a.practitioner)
    response = post(
        as_user(world_a.practitioner.user), old, sessions_planned="6", reason="Severe."
    )
    assert response.status_code == 302
    new = Plan.objects.get(patient=world_a.patient, version=2)
    assert new.plan["sessions"] == {"min": 1, "max": 8, "planned": 6}
    assert [s.number for s in new.sessions.order_by("number")] == [1, 2, 3, 4, 5, 6]
    assert len(new.plan["schedule"]) == 6
    assert new.plan["schedule"][0] == old.plan["schedule"][0]  # same first day
    assert new.plan["evidence"]["policy:sessions_planned"]["grade"] == "POLICY"
    assert any(
        r["evidence"] == ["policy:sessions_planned"] for r in new.plan["rationale"]
    )
    row = PlanOverride.objects.get(plan=new)
    assert (row.element, row.old_value, row.new_value) == ("sessions", 4, 6)


# field → (typed value, words of the message shown next to it)
BAD = [
    ("interval_min_days", "13", "At least 14 days"),
    ("interval_min_days", "-5", "At least 14 days"),
    ("interval_min_days", "abc", "whole number"),
    ("interval_min_days", "", "required"),
    ("interval_min_days", "2.5", "whole number"),
    ("interval_max_days", "9" * 30, "At most 120 days"),
    ("interval_min_days", "35", "cannot exceed the target"),  # 35 > target 28
    ("interval_max_days", "21", "cannot be below the target"),  # 21 < target 28
    ("depth_max_mm_cheeks", "3.5", "hard cap"),
    ("depth_max_mm_cheeks", "1e9", "digits"),
    ("depth_max_mm_cheeks", "nan", "number"),
    ("depth_max_mm_cheeks", "", "required"),
    ("depth_min_mm_cheeks", "2", "cannot be deeper"),  # 2 > max 1.5
    ("depth_min_mm_cheeks", "-1", "more than 0 mm"),
    ("sessions_planned", "9", "Between 1 and 8"),
    ("sessions_planned", "0", "Between 1 and 8"),
    ("sessions_planned", "x", "whole number"),
    ("reason", "   ", "required"),
    ("reason", "x" * 2001, "at most 2000 characters"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD)
def test_a_bad_value_is_refused_next_to_its_field_and_kept(
    field, value, message, world_a, as_user
):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    response = post(as_user(world_a.practitioner.user), plan, **{field: value})

    assert response.status_code == 422
    errors = response.context["override_form"].errors
    assert list(errors) == [field]
    assert message.lower() in " ".join(errors[field]).lower()
    if value.strip():
        assert f'value="{value}"' in response.content.decode() or field == "reason"
    assert Plan.objects.filter(patient=world_a.patient).count() == 1
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not PlanOverride.objects.exists()


def test_other_typed_values_survive_a_refusal(world_a, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    response = post(
        as_user(world_a.practitioner.user),
        plan,
        interval_min_days="10",
        depth_max_mm_cheeks="2.25",
        reason="Because.",
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert 'value="2.25"' in text
    assert 'value="10"' in text
    assert "Because.</textarea>" in text


def test_every_problem_shows_at_once(world_a, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    response = post(
        as_user(world_a.practitioner.user),
        plan,
        interval_min_days="13",
        depth_max_mm_cheeks="abc",
        sessions_planned="12",
        reason="",
    )
    assert response.status_code == 422
    errors = response.context["override_form"].errors
    assert set(errors) == {
        "interval_min_days",
        "depth_max_mm_cheeks",
        "sessions_planned",
        "reason",
    }
    assert Plan.objects.filter(patient=world_a.patient).count() == 1


def test_nothing_changed_is_refused(world_a, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    response = post(as_user(world_a.practitioner.user), plan)
    assert response.status_code == 422
    assert "Nothing was changed" in " ".join(
        response.context["override_form"].non_field_errors()
    )
    assert Plan.objects.filter(patient=world_a.patient).count() == 1


def test_a_depth_the_device_does_not_reach_is_refused(world_a, as_user):
    assessment = dict(t.SIMPLE_ASSESSMENT, device={"name": "Pen", "max_depth_mm": 1.5})
    plan = t.make_plan(world_a.patient, world_a.practitioner, assessment=assessment)
    response = post(as_user(world_a.practitioner.user), plan, depth_max_mm_cheeks="2")
    assert response.status_code == 422
    errors = response.context["override_form"].errors["depth_max_mm_cheeks"]
    assert "at most 1.5 mm" in errors[0]
    assert Plan.objects.filter(patient=world_a.patient).count() == 1


def test_the_typed_window_is_planned_even_after_a_reaction_lengthened_it(
    world_a, as_user
):
    """The form starts from the lengthened window (28+14 days after a cold sore);
    what the practitioner types is planned as typed, not lengthened again."""
    assessment = dict(
        t.SIMPLE_ASSESSMENT,
        prior_sessions=[{"on": "2026-11-02", "reaction": "herpes_outbreak"}],
    )
    plan = t.make_plan(world_a.patient, world_a.practitioner, assessment=assessment)
    assert plan.plan["interval_days"] == {"min": 42, "target": 42, "max": 56}
    post(as_user(world_a.practitioner.user), plan, interval_min_days="35")
    new = Plan.objects.get(patient=world_a.patient, version=2)
    assert new.plan["interval_days"] == {"min": 35, "target": 42, "max": 56}


def test_later_overrides_keep_the_earlier_ones(world_a, as_user):
    client = as_user(world_a.practitioner.user)
    first = t.make_plan(world_a.patient, world_a.practitioner)
    post(client, first, interval_target_days="35", reason="Travels monthly.")
    second = Plan.objects.get(patient=world_a.patient, version=2)
    post(client, second, depth_max_mm_cheeks="2", sessions_planned="5", reason="Deep.")
    third = Plan.objects.get(patient=world_a.patient, version=3)

    assert third.plan["interval_days"] == {"min": 28, "target": 35, "max": 42}
    assert third.plan["sessions"]["planned"] == 5
    assert third.sessions.count() == 5
    assert second.sessions.count() == 4
    second.refresh_from_db()
    assert second.status == PlanStatus.SUPERSEDED
    page = client.get(reverse("plans:detail", args=[third.pk])).content.decode()
    assert "Travels monthly." in page
    assert "Deep." in page


def test_front_desk_neither_sees_nor_posts_the_override(world_a, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    bob = as_user(world_a.front_desk.user)
    page = bob.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "Override this plan" not in page
    assert reverse("plans:override", args=[plan.pk]) not in page
    alices = as_user(world_a.practitioner.user).get(
        reverse("plans:detail", args=[plan.pk])
    )
    assert reverse("plans:override", args=[plan.pk]) in alices.content.decode()

    response = post(bob, plan, interval_target_days="35")
    assert response.status_code == 403
    assert Plan.objects.filter(patient=world_a.patient).count() == 1


def test_another_clinics_practitioner_gets_not_found(world_a, world_b, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    response = post(as_user(world_b.practitioner.user), plan, interval_target_days="35")
    assert response.status_code == 404
    assert Plan.objects.filter(patient=world_a.patient).count() == 1


@pytest.mark.parametrize("state", ["approved", "superseded"])
def test_only_a_draft_is_overridden(state, world_a, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    if state == "superseded":
        plan = t.make_plan(world_a.patient, world_a.practitioner)
        post(as_user(world_a.practitioner.user), plan, interval_target_days="35")
        plan.refresh_from_db()
    assert plan.status == state
    count = Plan.objects.count()
    client = as_user(world_a.practitioner.user)

    response = post(client, plan, interval_target_days="30")

    assert response.status_code == 302
    assert Plan.objects.count() == count
    page = client.get(response["Location"]).content.decode()
    assert "Only a plan awaiting approval can be overridden" in page
    assert "Override this plan" not in page


def test_the_service_refuses_a_plan_that_is_not_a_draft(world_a):
    plan = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    with pytest.raises(OverrideRefused):
        override_plan(
            plan=plan,
            overridden_by=world_a.practitioner,
            changes=PlanChanges(sessions=5),
            reason="More.",
            now=timezone.now(),
        )


@pytest.mark.parametrize(
    "changes",
    [
        PlanChanges(interval_days=IntervalWindow(10**30, 10**30, 10**30)),
        PlanChanges(interval_days=IntervalWindow(-1, 28, 42)),
        PlanChanges(depth_mm={"cheeks": DepthRange(float("nan"), float("nan"))}),
        PlanChanges(depth_mm={"periorbital": DepthRange(0.5, 1.0)}),
        PlanChanges(sessions=10**30),
    ],
)
def test_the_service_refuses_values_beyond_the_limits(changes, world_a):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    with pytest.raises(InvalidOverride):
        override_plan(
            plan=plan,
            overridden_by=world_a.practitioner,
            changes=changes,
            reason="Testing the limits.",
            now=timezone.now(),
        )
    assert Plan.objects.filter(patient=world_a.patient).count() == 1


def test_a_flagged_plan_still_needs_a_physician_after_an_override(world_a, as_user):
    nurse = t.make_staff(
        world_a.clinic,
        StaffRole.PRACTITIONER,
        qualifications=(QualificationKind.NURSE, QualificationKind.MICRONEEDLING),
    )
    assessment = dict(t.SIMPLE_ASSESSMENT, history={"keloid_tendency": True})
    plan = t.make_plan(world_a.patient, nurse, assessment=assessment)
    client = as_user(nurse.user)
    post(client, plan, interval_target_days="35")
    new = Plan.objects.get(patient=world_a.patient, version=2)
    assert new.requires_physician_review

    client.post(reverse("plans:approve", args=[new.pk]))
    new.refresh_from_db()
    assert new.status == PlanStatus.DRAFT
    as_user(world_a.practitioner.user).post(reverse("plans:approve", args=[new.pk]))
    new.refresh_from_db()
    assert new.status == PlanStatus.APPROVED


def test_get_leads_to_the_form_on_the_plan_page(world_a, as_user):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    response = as_user(world_a.practitioner.user).get(
        reverse("plans:override", args=[plan.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("plans:detail", args=[plan.pk]) + "#override-h"
    )
