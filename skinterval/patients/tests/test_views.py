"""Staff patient pages show the caller's clinic's patients and nobody else's."""

from __future__ import annotations

from django.urls import reverse

from skinterval import testing as t


def test_patient_list_shows_only_the_callers_clinic(world_a, world_b, as_user):
    body = as_user(world_a.front_desk.user).get(reverse("patients:list"))
    text = body.content.decode()
    assert world_a.patient.given_name in text
    assert world_a.other_patient.family_name in text
    assert world_b.patient.given_name not in text


def test_search_is_posted_and_filters_by_name(world_a, as_user):
    client = as_user(world_a.practitioner.user)
    response = client.post(reverse("patients:list"), {"q": "Secondary"})
    text = response.content.decode()
    assert response.status_code == 200
    assert world_a.other_patient.family_name in text
    assert f">{world_a.patient.family_name}," not in text


def test_search_cannot_reach_another_clinics_patients(world_a, world_b, as_user):
    client = as_user(world_a.practitioner.user)
    response = client.post(
        reverse("patients:list"), {"q": world_b.patient.chart_number}
    )
    assert (
        world_b.patient.chart_number
        not in response.content.decode().split("</form>")[-1]
    )


def test_an_overlong_search_is_refused_with_a_message(world_a, as_user):
    response = as_user(world_a.practitioner.user).post(
        reverse("patients:list"), {"q": "x" * 500}
    )
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()


def test_patient_list_paginates(world_a, as_user):
    for _ in range(30):
        t.make_patient(world_a.clinic)
    first = as_user(world_a.practitioner.user).get(reverse("patients:list"))
    second = as_user(world_a.practitioner.user).get(
        reverse("patients:list") + "?page=2"
    )
    assert "Page 1 of 2" in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_patient_detail_shows_the_chart(world_a, as_user):
    response = as_user(world_a.practitioner.user).get(
        reverse("patients:detail", args=[world_a.patient.pk])
    )
    text = response.content.decode()
    assert world_a.patient.full_name in text
    assert world_a.patient.chart_number in text


def test_patient_urls_carry_no_names(world_a):
    url = reverse("patients:detail", args=[world_a.patient.pk])
    assert world_a.patient.given_name not in url
    assert world_a.patient.family_name not in url
