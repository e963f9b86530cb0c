"""Markup in names staff type (a practitioner's display name, a device's name)
reaches pages that embed drawn charts (SVG, inserted unescaped by design): the
text inside the charts must be escaped like the rest of the page."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse

from config.tests.bad_input import payloads as p
from skinterval.plans.tests.replan_world import (
    FIRST_ON,
    at,
    grade,
    review_visit,
    session,
    treated_plan,
)

D2 = FIRST_ON + timedelta(days=28)


@time_machine.travel(at(D2 + timedelta(days=100)), tick=False)
def test_markup_in_cohort_names_is_escaped_in_the_report_and_its_charts(
    world_a, as_user
):
    world_a.practitioner.display_name = p.MARKUP
    world_a.practitioner.save(update_fields=["display_name"])
    world_a.device.name = p.MARKUP
    world_a.device.save(update_fields=["name"])
    plan = treated_plan(world_a)
    session(world_a, plan, 1, FIRST_ON)
    session(world_a, plan, 2, D2, reaction="pih")
    grade(world_a, review_visit(world_a, D2 + timedelta(days=91)), 2)
    owner = as_user(world_a.owner.user)
    for url in (
        reverse("reports:outcomes"),
        reverse("outcomes:patient_scores", args=[world_a.patient.pk]),
        reverse("patients:detail", args=[world_a.patient.pk]),
        reverse("clinics:dashboard"),
    ):
        response = owner.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for raw in p.RAW_MARKUP:
            assert raw not in body, url
    report = owner.get(reverse("reports:outcomes")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
