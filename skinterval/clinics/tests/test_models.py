"""Clinic data is validated before it can reach the scheduler or the planner."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from skinterval import testing as t
from skinterval.clinics.models import Clinic, Room, WorkingInterval


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "UTC"])
def test_iana_time_zones_are_accepted(db, zone):
    clinic = Clinic(name="X", slug="x", timezone=zone, country="GB")
    clinic.full_clean()
    assert str(clinic.zone) == zone


@pytest.mark.parametrize("zone", ["+01:00", "GMT+1", "Europe/Londn", "", "london"])
def test_anything_but_an_iana_zone_is_refused(db, zone):
    clinic = Clinic(name="X", slug="x", timezone=zone, country="GB")
    with pytest.raises(ValidationError) as caught:
        clinic.full_clean()
    assert "timezone" in caught.value.message_dict


def test_unknown_country_is_refused(db):
    clinic = Clinic(name="X", slug="x", timezone="UTC", country="ZZ")
    with pytest.raises(ValidationError) as caught:
        clinic.full_clean()
    assert "country" in caught.value.message_dict


@pytest.mark.parametrize("depth", ["0", "5.01", "-1"])
def test_device_depth_outside_the_ceiling_is_refused_by_the_database(world_a, depth):
    with pytest.raises(IntegrityError), transaction.atomic():
        t.make_device(world_a.location, name="bad", max_depth_mm=Decimal(depth))


def test_working_interval_must_end_after_it_starts(world_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        t.make_working_interval(
            world_a.practitioner,
            world_a.location,
            start_time=time(17),
            end_time=time(9),
        )


def test_working_interval_weekday_is_0_to_6(world_a):
    interval = WorkingInterval(
        clinic=world_a.clinic,
        staff_member=world_a.practitioner,
        location=world_a.location,
        weekday=7,
        start_time=time(9),
        end_time=time(10),
        effective_from_on=world_a.practitioner.user.date_joined.date(),
    )
    with pytest.raises(ValidationError):
        interval.full_clean()


def test_a_room_cannot_sit_in_another_clinics_location(world_a, world_b):
    room = Room(clinic=world_a.clinic, location=world_b.location, name="Stray")
    with pytest.raises(ValidationError) as caught:
        room.full_clean()
    assert caught.value.message_dict["location"] == ["This belongs to another clinic."]


def test_a_working_interval_cannot_use_another_clinics_location(world_a, world_b):
    interval = WorkingInterval(
        clinic=world_a.clinic,
        staff_member=world_a.practitioner,
        location=world_b.location,
        weekday=0,
        start_time=time(9),
        end_time=time(10),
        effective_from_on=world_a.practitioner.user.date_joined.date(),
    )
    with pytest.raises(ValidationError) as caught:
        interval.full_clean()
    assert "location" in caught.value.message_dict
