"""The admin shows consents and charts read-only, to their own clinic's owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from skinterval.charting.tests.conftest import consent

pytestmark = pytest.mark.django_db


def test_owners_see_only_their_clinics_consents_and_cannot_edit(
    world_a, world_b, as_user
):
    row = consent(world_a)
    changelist = reverse("admin:charting_consent_changelist")
    olivia = as_user(world_a.owner.user)
    assert world_a.patient.full_name in olivia.get(changelist).content.decode()
    oscar = as_user(world_b.owner.user)
    assert world_a.patient.full_name not in oscar.get(changelist).content.decode()
    change = reverse("admin:charting_consent_change", args=[row.pk])
    assert oscar.get(change).status_code in (302, 404)
    olivia.post(change, {"signed_name": "Someone Else"})
    row.refresh_from_db()
    assert row.signed_name == world_a.patient.full_name
    assert as_user(world_a.practitioner.user).get(changelist).status_code == 302
