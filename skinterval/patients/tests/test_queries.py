"""patients_for_user / get_patient_for_user: the one place patient scoping lives."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from skinterval.patients.queries import (
    get_patient_for_user,
    own_patient_record,
    patients_for_user,
)


def test_staff_see_exactly_their_clinics_patients(world_a, world_b):
    a = {world_a.patient, world_a.other_patient}
    b = {world_b.patient, world_b.other_patient}
    assert set(patients_for_user(world_a.practitioner.user)) == a
    assert set(patients_for_user(world_a.front_desk.user)) == a
    assert set(patients_for_user(world_b.practitioner.user)) == b


def test_a_patient_sees_only_themself(world_a, world_b, pat):
    assert list(patients_for_user(pat)) == [world_a.patient]


def test_anonymous_sees_nobody(world_a):
    assert not patients_for_user(AnonymousUser()).exists()


def test_get_patient_for_user_refuses_other_clinics_and_other_patients(
    world_a, world_b, pat
):
    alice = world_a.practitioner.user
    assert get_patient_for_user(alice, world_a.patient.pk) == world_a.patient
    assert get_patient_for_user(pat, world_a.patient.pk) == world_a.patient
    for user, patient in [
        (alice, world_b.patient),
        (world_b.practitioner.user, world_a.patient),
        (pat, world_a.other_patient),
        (AnonymousUser(), world_a.patient),
    ]:
        with pytest.raises(Http404):
            get_patient_for_user(user, patient.pk)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", str(uuid.uuid4())])
def test_malformed_or_unknown_ids_are_404(world_a, bad_id):
    with pytest.raises(Http404):
        get_patient_for_user(world_a.practitioner.user, bad_id)


def test_own_patient_record_is_only_for_patient_logins(world_a, pat):
    assert own_patient_record(pat) == world_a.patient
    with pytest.raises(Http404):
        own_patient_record(world_a.practitioner.user)
