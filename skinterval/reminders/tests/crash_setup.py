"""Set up the crash test's database (run as a subprocess by test_crash.py, with
the environment choosing a SQLite file in a temporary folder).

Creates a clinic without quiet hours, booked appointments whose confirmations are
due now, some cancelled through the booking service (their messages withdrawn)
and some cancelled behind the outbox's back (their messages still pending, for
the worker's own check to stop). Prints the outbox ids as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import time, timedelta


def main(due: int, cancelled: int, silent: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.db import transaction
    from django.utils import timezone

    from skinterval import testing as t
    from skinterval.appointments.models import Appointment, ServiceType
    from skinterval.appointments.services import cancel_appointment
    from skinterval.reminders.models import MessagingSettings, OutboxMessage
    from skinterval.reminders.services import schedule_for_appointment

    now = timezone.now()
    with transaction.atomic():
        clinic = t.make_clinic(name="Crash Clinic", timezone="UTC")
        MessagingSettings.objects.create(
            clinic=clinic, quiet_hours_start=time(0), quiet_hours_end=time(0)
        )
        location = t.make_location(clinic)
        room = t.make_room(location)
        practitioner = t.make_staff(clinic)
        service = ServiceType.objects.create(
            clinic=clinic, kind="consultation", name="Consultation", duration_min=30
        )
        patients = [
            t.make_patient(clinic, email=f"patient{n}@example.test") for n in range(50)
        ]
        total = due + cancelled + silent
        first = now + timedelta(days=30)
        appointments = Appointment.objects.bulk_create(
            Appointment(
                clinic=clinic,
                patient=patients[n % len(patients)],
                service_type=service,
                practitioner=practitioner,
                location=location,
                room=room,
                starts_at=first + timedelta(minutes=30 * n),
                ends_at=first + timedelta(minutes=30 * n + 30),
                blocked_from_at=first + timedelta(minutes=30 * n),
                blocked_until_at=first + timedelta(minutes=30 * n + 30),
            )
            for n in range(total)
        )
        for appointment in appointments:
            schedule_for_appointment(appointment=appointment, now=now)
        for appointment in appointments[due : due + cancelled]:
            cancel_appointment(appointment=appointment, reason="test", now=now)
        Appointment.objects.filter(
            pk__in=[a.pk for a in appointments[due + cancelled :]]
        ).update(status="cancelled")

    def confirmations(chosen: list[Appointment]) -> list[int]:
        return list(
            OutboxMessage.objects.filter(
                appointment__in=chosen, kind="booking_confirmation"
            ).values_list("pk", flat=True)
        )

    json.dump(
        {
            "due": confirmations(appointments[:due]),
            "cancelled": confirmations(appointments[due : due + cancelled]),
            "silent": confirmations(appointments[due + cancelled :]),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
