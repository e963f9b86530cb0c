"""The permission-checked loaders: each persona gets exactly its own scope."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from skinterval.clinics.models import StaffRole
from skinterval.clinics.queries import (
    get_clinic_for_user,
    require_staff,
    staff_member_for,
)


def test_staff_member_for_each_persona(world_a, world_b, pat):
    assert staff_member_for(world_a.practitioner.user) == world_a.practitioner
    assert staff_member_for(world_b.practitioner.user) == world_b.practitioner
    assert staff_member_for(pat) is None
    assert staff_member_for(AnonymousUser()) is None


def test_get_clinic_for_user_refuses_other_clinics(world_a, world_b):
    assert get_clinic_for_user(world_a.practitioner.user, world_a.clinic.pk) == (
        world_a.clinic
    )
    with pytest.raises(Http404):
        get_clinic_for_user(world_b.practitioner.user, world_a.clinic.pk)


def test_require_staff_checks_the_role(world_a):
    assert require_staff(world_a.front_desk.user) == world_a.front_desk
    assert (
        require_staff(world_a.practitioner.user, [StaffRole.PRACTITIONER])
        == world_a.practitioner
    )
    with pytest.raises(PermissionDenied):
        require_staff(world_a.front_desk.user, [StaffRole.PRACTITIONER])


def test_require_staff_refuses_patients_and_anonymous(pat):
    for user in (pat, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            require_staff(user)
