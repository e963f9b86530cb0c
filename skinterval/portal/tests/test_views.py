"""The portal shows a patient their own record and nothing else."""

from __future__ import annotations

from django.urls import reverse


def test_pat_sees_her_own_record(world_a, pat, as_user):
    response = as_user(pat).get(reverse("portal:home"))
    text = response.content.decode()
    assert response.status_code == 200
    assert world_a.patient.given_name in text
    assert world_a.patient.chart_number in text
    assert world_a.other_patient.chart_number not in text


def test_pat_has_no_staff_pages(pat, as_user, world_a):
    client = as_user(pat)
    assert client.get(reverse("patients:list")).status_code == 403
    assert (
        client.get(
            reverse("patients:detail", args=[world_a.other_patient.pk])
        ).status_code
        == 403
    )
