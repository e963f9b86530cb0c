"""Personas shared by every permission test.

Alice (practitioner, clinic A), Bob (front desk, A), Charlie (practitioner, clinic
B: refused everything of A), Pat (patient of A: sees only Pat), Olivia (owner of A,
uses the admin) and Oscar (owner of B).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from django.test import Client

    from skinterval.accounts.models import User
    from skinterval.clinics.models import (
        Clinic,
        Device,
        Location,
        Room,
        StaffMember,
    )
    from skinterval.patients.models import Patient

# Models are imported inside the fixtures so that the pure domain tests can run
# without Django at all (`pytest skinterval/domain -p no:django`).


@dataclass
class ClinicWorld:
    clinic: Clinic
    location: Location
    room: Room
    device: Device
    practitioner: StaffMember
    front_desk: StaffMember
    owner: StaffMember
    patient: Patient
    other_patient: Patient


def _world(prefix: str, practitioner_name: str, front_desk_name: str) -> ClinicWorld:
    from skinterval import testing as t
    from skinterval.clinics.models import QualificationKind, StaffRole

    clinic = t.make_clinic(name=f"Clinic {prefix}", slug=f"clinic-{prefix.lower()}")
    location = t.make_location(clinic, name=f"{prefix} main site")
    practitioner = t.make_staff(
        clinic,
        StaffRole.PRACTITIONER,
        username=practitioner_name,
        qualifications=(QualificationKind.PHYSICIAN, QualificationKind.MICRONEEDLING),
    )
    t.make_working_interval(practitioner, location)
    return ClinicWorld(
        clinic=clinic,
        location=location,
        room=t.make_room(location, name=f"{prefix} room"),
        device=t.make_device(location, name=f"{prefix} pen"),
        practitioner=practitioner,
        front_desk=t.make_staff(clinic, StaffRole.FRONT_DESK, username=front_desk_name),
        owner=t.make_staff(
            clinic,
            StaffRole.OWNER,
            username=f"owner-{prefix.lower()}",
            is_staff=True,
        ),
        patient=t.make_patient(
            clinic, given_name=f"Patient{prefix}", family_name="Primary"
        ),
        other_patient=t.make_patient(
            clinic, given_name=f"Patient{prefix}", family_name="Secondary"
        ),
    )


@pytest.fixture
def world_a(db) -> ClinicWorld:
    return _world("A", "alice", "bob")


@pytest.fixture
def world_b(db) -> ClinicWorld:
    return _world("B", "charlie", "bella")


@pytest.fixture
def pat(world_a) -> User:
    """Pat's login, attached to clinic A's primary patient record."""
    from skinterval import testing as t

    user = t.make_user("pat")
    world_a.patient.user = user
    world_a.patient.save(update_fields=["user"])
    return user


def _client_for(user: User) -> Client:
    """Logged in as `user`; staff have passed their second factor too (the
    two-factor pages themselves are tested in skinterval/accounts/tests)."""
    from django.test import Client

    from skinterval import testing as t

    client: Client = t.log_in_client(Client(), user)
    return client


@pytest.fixture
def alice(world_a) -> User:
    return world_a.practitioner.user


@pytest.fixture
def bob(world_a) -> User:
    return world_a.front_desk.user


@pytest.fixture
def charlie(world_b) -> User:
    return world_b.practitioner.user


@pytest.fixture
def olivia(world_a) -> User:
    return world_a.owner.user


@pytest.fixture
def oscar(world_b) -> User:
    return world_b.owner.user


@pytest.fixture
def as_user():
    """`as_user(user)` gives a test client logged in as that user."""
    return _client_for


@pytest.fixture
def sealer_service(settings):
    """Audit events sealed by the sealer service's loop (`audit.sealing.follow`,
    run here in a thread), as in production on PostgreSQL; the suite otherwise
    seals in the committing thread. The test must commit for real
    (`django_db(transaction=True)`). Gives `wait(timeout_s)`: True once every
    committed event is sealed."""
    import threading
    import time

    from django.db import connection

    from skinterval.audit import sealing

    settings.AUDIT_SEAL_AFTER_COMMIT = False
    stop = threading.Event()
    service = threading.Thread(
        target=sealing.follow, args=(stop,), kwargs={"interval_s": 0.02}
    )
    service.start()

    def wait(timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if sealing.all_sealed():
                return True
            time.sleep(0.02)
        return False

    try:
        yield wait
    finally:
        stop.set()
        service.join(timeout=10)
        connection.close()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres_only` need PostgreSQL itself (exclusion constraints,
    real parallel connections). `make test` runs them in its PostgreSQL pass and
    deselects them from the SQLite pass; run by hand on SQLite they are skipped."""
    from django.conf import settings

    if not settings.configured:  # pure domain run: no Django, no database tests
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL; runs in make test's PostgreSQL pass"
    )
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
