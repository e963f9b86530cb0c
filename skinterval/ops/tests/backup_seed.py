"""Fill a database for the backup tests (run as a subprocess by them, with the
environment choosing the database and the var/ folder).

Migrates, then builds with the test builders: clinics A and B with their staff,
patients, an approved plan, a charted session, a booked appointment, a score,
consents, two photos (files in the photo folder, audit rows for them), one more
audit row, and a login session (which a backup must leave out).
"""

from __future__ import annotations

from datetime import UTC, datetime


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from conftest import _world
    from skinterval import testing as t
    from skinterval.audit.models import AuditAction
    from skinterval.audit.services import record
    from skinterval.charting.consent_texts import CURRENT
    from skinterval.charting.services import sign_consent
    from skinterval.outcomes.services import record_score
    from skinterval.photos.tests.factories import image_bytes, make_photo

    with transaction.atomic():
        world = _world("A", "alice", "bob")
        _world("B", "charlie", "bella")
        plan = t.make_plan(world.patient, world.practitioner, approve=True)
        sign_consent(
            patient=world.patient,
            kind="microneedling",
            text_version=CURRENT["microneedling"].version,
            signed_name=world.patient.full_name,
            witnessed_by=world.front_desk,
            now=datetime(2027, 1, 5, 8, 30, tzinfo=UTC),
        )
        t.make_charted_session(
            world,
            plan,
            1,
            datetime(2027, 1, 5, 10, tzinfo=UTC),
            checked_in_at=datetime(2027, 1, 5, 10, 5, tzinfo=UTC),
            completed_at=datetime(2027, 1, 5, 10, 40, tzinfo=UTC),
        )
        second = datetime(2027, 2, 2, 10, tzinfo=UTC)
        t.make_appointment(
            world,
            plan_session=plan.sessions.get(number=2),
            starts_at=second,
            ends_at=second.replace(hour=11),
            blocked_from_at=second,
            blocked_until_at=second.replace(hour=11),
        )
        record_score(
            patient=world.patient,
            area="cheeks",
            scale="gb_qualitative",
            items={"grade": 3},
            occasion="baseline",
            scored_by=world.practitioner,
            now=datetime(2027, 1, 5, 9, 0, tzinfo=UTC),
        )
        make_photo(world)
        make_photo(world, view="left_45", data=image_bytes(colour=(200, 90, 60)))
        record(
            request_or_user=world.practitioner.user,
            action=AuditAction.VIEW,
            obj=world.patient,
        )
    session = SessionStore()
    session["seeded"] = True
    session.create()


if __name__ == "__main__":
    main()
