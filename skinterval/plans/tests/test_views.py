"""Assessment → plan → approval through the real pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from skinterval import testing as t
from skinterval.clinics.models import QualificationKind, StaffRole
from skinterval.plans.models import Plan, PlanStatus


def form_data(**changes):
    data = {
        "assessed_on": "2027-01-04",
        "fitzpatrick": "3",
        "isotretinoin": "never",
        "diabetes": "none",
        "active_acne": "none",
        "scars-TOTAL_FORMS": "1",
        "scars-INITIAL_FORMS": "0",
        "scars-MIN_NUM_FORMS": "1",
        "scars-MAX_NUM_FORMS": "16",
        "scars-0-area": "cheeks",
        "scars-0-kind": "icepick",
        "scars-0-grade": "3",
        "procedures-TOTAL_FORMS": "0",
        "procedures-INITIAL_FORMS": "0",
        "procedures-MIN_NUM_FORMS": "0",
        "procedures-MAX_NUM_FORMS": "20",
    }
    data.update(changes)
    return data


def test_the_form_is_labelled_and_prefilled(world_a, as_user):
    response = as_user(world_a.practitioner.user).get(
        reverse("plans:new", args=[world_a.patient.pk])
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_assessed_on">' in text
    assert '<label for="id_scars-0-area">' in text
    assert 'value="3" selected' in text  # the patient's phototype


def test_an_assessment_becomes_a_cited_plan(world_a, as_user):
    client = as_user(world_a.practitioner.user)
    response = client.post(
        reverse("plans:new", args=[world_a.patient.pk]),
        form_data(**{"device": str(world_a.device.pk)}),
        follow=True,
    )
    plan = Plan.objects.get(patient=world_a.patient)
    assert response.redirect_chain[-1][0] == reverse("plans:detail", args=[plan.pk])
    text = response.content.decode()
    assert plan.status == PlanStatus.DRAFT
    assert plan.assessment["device"]["max_depth_mm"] == 1.5
    assert "icepick_predominant" in text
    assert "TCA CROSS" in text
    assert 'id="ev-s1"' in text  # every cited source is listed with an anchor
    assert "Approve this plan" in text


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_lost(world_a, as_user):
    client = as_user(world_a.practitioner.user)
    response = client.post(
        reverse("plans:new", args=[world_a.patient.pk]),
        form_data(isotretinoin="stopped", **{"scars-0-grade": "9"}),
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert "Give the date it was stopped" in text
    assert "Select a valid choice" in text
    assert 'value="2027-01-04"' in text  # what was typed comes back
    assert not Plan.objects.exists()


def test_engine_rules_come_back_as_field_errors(world_a, as_user):
    """A stop date after the assessment passes the form but not the engine."""
    response = as_user(world_a.practitioner.user).post(
        reverse("plans:new", args=[world_a.patient.pk]),
        form_data(isotretinoin="stopped", isotretinoin_stopped_on="2027-02-01"),
    )
    assert response.status_code == 422
    assert not Plan.objects.exists()
    field = response.context["form"]["isotretinoin_stopped_on"]
    assert field.errors == ["2027-02-01 is after assessed_on 2027-01-04"]


def test_a_practitioner_approves_and_the_old_version_is_superseded(world_a, as_user):
    first = t.make_plan(world_a.patient, world_a.practitioner, approve=True)
    second = t.make_plan(world_a.patient, world_a.practitioner)
    client = as_user(world_a.practitioner.user)
    client.post(reverse("plans:approve", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.SUPERSEDED, PlanStatus.APPROVED)
    page = client.get(reverse("plans:detail", args=[second.pk])).content.decode()
    assert "Version 1" in page


def test_physician_review_needs_a_physician(world_a, as_user):
    nurse = t.make_staff(
        world_a.clinic,
        StaffRole.PRACTITIONER,
        qualifications=(QualificationKind.NURSE, QualificationKind.MICRONEEDLING),
    )
    assessment = dict(t.SIMPLE_ASSESSMENT, history={"keloid_tendency": True})
    plan = t.make_plan(world_a.patient, nurse, assessment=assessment)
    assert plan.requires_physician_review
    response = as_user(nurse.user).post(
        reverse("plans:approve", args=[plan.pk]), follow=True
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert "physician" in response.content.decode()
    as_user(world_a.practitioner.user).post(reverse("plans:approve", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


@pytest.mark.parametrize("persona", ["bob", "charlie", "pat"])
def test_only_the_clinics_practitioners_approve(
    persona, world_a, world_b, pat, as_user
):
    plan = t.make_plan(world_a.patient, world_a.practitioner)
    user = {
        "bob": world_a.front_desk.user,
        "charlie": world_b.practitioner.user,
        "pat": pat,
    }[persona]
    response = as_user(user).post(reverse("plans:approve", args=[plan.pk]))
    assert response.status_code in (403, 404)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
