"""The demo data set: two clinics, their staff and synthetic patients.

Names are invented and drawn from fixed lists with a fixed seed, so every run
produces the same people. Nothing else in the product imports this module.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from skinterval.accounts.models import User
from skinterval.accounts.two_factor import DEMO_TOTP_KEY
from skinterval.appointments.models import Appointment
from skinterval.booking.models import BookingPage
from skinterval.clinics.models import (
    Clinic,
    Device,
    Location,
    Qualification,
    QualificationKind,
    Room,
    StaffMember,
    StaffRole,
    WorkingInterval,
)
from skinterval.demo.course import seed_course, seed_courses, seed_services
from skinterval.demo.photos import seed_demo_photos
from skinterval.demo.scores import seed_scores
from skinterval.domain import wallclock
from skinterval.patients.models import Patient
from skinterval.plans.models import Plan

DEMO_PASSWORD = "demo"  # noqa: S105 - demo mode only, see the command
ROTA_START_ON = date(2026, 1, 1)

DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "clinic owner of Harbour Skin Clinic (Django admin at /admin/)"),
    ("alice", "practitioner, Harbour Skin Clinic"),
    ("bob", "front desk, Harbour Skin Clinic"),
    ("charlie", "practitioner, Northside Dermatology (a second clinic)"),
    ("pat", "patient of Harbour Skin Clinic (patient portal)"),
]

GIVEN_NAMES = [
    "Ada",
    "Bram",
    "Cleo",
    "Dario",
    "Esme",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonah",
    "Kira",
    "Luca",
    "Mira",
    "Nils",
    "Opal",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Umar",
    "Vera",
    "Wren",
    "Xavi",
    "Yara",
    "Zane",
    "Amara",
    "Bodhi",
    "Celia",
    "Dev",
]
FAMILY_NAMES = [
    "Abbot",
    "Brightwater",
    "Castellane",
    "Duquesne",
    "Everly",
    "Fairweather",
    "Galloway",
    "Hawthorne",
    "Ivers",
    "Jessop",
    "Kestrel",
    "Lindqvist",
    "Marlowe",
    "Northcote",
    "Okonkwo",
    "Pellegrini",
    "Quarry",
    "Rainsford",
    "Sorensen",
    "Thistlewood",
    "Underhill",
    "Vantongeren",
    "Whitlock",
    "Yardley",
]


@dataclass(frozen=True)
class PractitionerSpec:
    username: str | None
    display_name: str
    qualifications: tuple[QualificationKind, ...]
    # (weekday, start, end, location index)
    rota: tuple[tuple[int, time, time, int], ...]


def _user(
    username: str, *, login: bool, email: str = "", is_staff: bool = False
) -> User:
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.email = email
    user.is_staff = is_staff
    user.is_superuser = False
    if login:
        user.set_password(DEMO_PASSWORD)
    else:
        user.set_unusable_password()
    user.save()
    return user


def _staff(
    clinic: Clinic, user: User, role: StaffRole, display_name: str
) -> StaffMember:
    member, _ = StaffMember.objects.update_or_create(
        user=user,
        defaults={"clinic": clinic, "role": role, "display_name": display_name},
    )
    if user.has_usable_password():
        _demo_authenticator(user)
    return member


def _demo_authenticator(user: User) -> None:
    """Staff must pass a second factor (decision 0017). Demo logins share one
    fixed, public key; in demo mode the two-factor page shows its current code."""
    TOTPDevice.objects.update_or_create(
        user=user,
        name="Demo authenticator",
        defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
    )


def _practitioner(
    clinic: Clinic, locations: list[Location], spec: PractitionerSpec, slug: str
) -> StaffMember:
    username = spec.username or f"{slug}-{spec.display_name.split()[-1].lower()}"
    user = _user(username, login=spec.username is not None)
    member = _staff(clinic, user, StaffRole.PRACTITIONER, spec.display_name)
    for kind in spec.qualifications:
        Qualification.objects.get_or_create(
            clinic=clinic, staff_member=member, kind=kind
        )
    member.working_intervals.all().delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(
            clinic=clinic,
            staff_member=member,
            location=locations[loc],
            weekday=weekday,
            start_time=start,
            end_time=end,
            effective_from_on=ROTA_START_ON,
        )
        for weekday, start, end, loc in spec.rota
    )
    return member


def _clinic(
    *,
    slug: str,
    name: str,
    timezone: str,
    country: str,
    sites: list[tuple[str, str, list[str], list[tuple[str, str, str]]]],
) -> tuple[Clinic, list[Location]]:
    clinic, _ = Clinic.objects.update_or_create(
        slug=slug, defaults={"name": name, "timezone": timezone, "country": country}
    )
    locations = []
    for site_name, address, rooms, devices in sites:
        location, _ = Location.objects.update_or_create(
            clinic=clinic, name=site_name, defaults={"address": address}
        )
        locations.append(location)
        for room in rooms:
            Room.objects.get_or_create(clinic=clinic, location=location, name=room)
        for device_name, model_name, depth in devices:
            Device.objects.update_or_create(
                clinic=clinic,
                name=device_name,
                defaults={
                    "location": location,
                    "model_name": model_name,
                    "max_depth_mm": Decimal(depth),
                },
            )
    return clinic, locations


def _patients(clinic: Clinic, prefix: str, count: int, rng: random.Random) -> None:
    for n in range(1, count + 1):
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        born_on = date(rng.randint(1965, 2006), rng.randint(1, 12), rng.randint(1, 28))
        Patient.objects.update_or_create(
            clinic=clinic,
            chart_number=f"{prefix}-{n:04d}",
            defaults={
                "given_name": given,
                "family_name": family,
                "born_on": born_on,
                "email": f"{given.lower()}.{family.lower()}{n}@example.test",
                "fitzpatrick": rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]),
            },
        )


DAY = (time(9, 0), time(17, 0))
MORNING = (time(8, 30), time(12, 30))
AFTERNOON = (time(13, 30), time(18, 0))


def seed_demo() -> str:
    rng = random.Random(20261129)  # noqa: S311 - synthetic demo data, not security

    harbour, harbour_sites = _clinic(
        slug="harbour",
        name="Harbour Skin Clinic",
        timezone="Europe/London",
        country="GB",
        sites=[
            (
                "Harbour Street",
                "12 Harbour Street\nBristol BS1 4XX",
                ["Treatment room 1", "Treatment room 2"],
                [("Pen A (1.5 mm)", "Cleared micro-needling pen", "1.50")],
            ),
            (
                "Clifton",
                "3 Park Row\nBristol BS8 1XX",
                ["Clifton room"],
                [("Pen B (2.5 mm)", "Cleared micro-needling pen", "2.50")],
            ),
        ],
    )
    _staff(
        harbour,
        _user("admin", login=True, email="owner@harbour.example.test", is_staff=True),
        StaffRole.OWNER,
        "Harbour clinic owner",
    )
    _staff(harbour, _user("bob", login=True), StaffRole.FRONT_DESK, "Bob (front desk)")
    practitioners = [
        PractitionerSpec(
            "alice",
            "Dr Alice Marsh",
            (QualificationKind.PHYSICIAN, QualificationKind.MICRONEEDLING),
            tuple((d, *DAY, 0) for d in (0, 1, 2, 3)),
        ),
        PractitionerSpec(
            None,
            "Nurse Rafael Okafor",
            (QualificationKind.NURSE, QualificationKind.MICRONEEDLING),
            tuple((d, *MORNING, 1) for d in (1, 3, 5))
            + tuple((d, *AFTERNOON, 1) for d in (1, 3)),
        ),
        PractitionerSpec(
            None,
            "Dr Helena Voss",
            (QualificationKind.PHYSICIAN, QualificationKind.MICRONEEDLING),
            (*((d, *DAY, 0) for d in (2, 4)), (0, *AFTERNOON, 1)),
        ),
    ]
    for spec in practitioners:
        _practitioner(harbour, harbour_sites, spec, "harbour")
    _patients(harbour, "HSC", 40, rng)
    pat_user = _user("pat", login=True, email="pat@example.test")
    pat, _ = Patient.objects.update_or_create(
        clinic=harbour,
        chart_number="HSC-PAT",
        defaults={
            "user": pat_user,
            "given_name": "Pat",
            "family_name": "Demo",
            "born_on": date(1994, 5, 17),
            "email": "pat@example.test",
            "fitzpatrick": 3,
        },
    )

    northside, northside_sites = _clinic(
        slug="northside",
        name="Northside Dermatology",
        timezone="America/New_York",
        country="US",
        sites=[
            (
                "Main Street",
                "200 Main Street\nAlbany NY 12207",
                ["Suite 1"],
                [("Northside pen", "Cleared micro-needling pen", "2.00")],
            )
        ],
    )
    _practitioner(
        northside,
        northside_sites,
        PractitionerSpec(
            "charlie",
            "Dr Charlie Brandt",
            (QualificationKind.PHYSICIAN, QualificationKind.MICRONEEDLING),
            tuple((d, *DAY, 0) for d in range(5)),
        ),
        "northside",
    )
    _patients(northside, "NSD", 8, rng)

    now = timezone.now()
    seed_courses(harbour, now)
    # Pat was assessed four days ago, has had session 1 since, and has the next
    # one booked (`today` is shifted so that the assessment lands four days ago).
    seed_course(
        clinic=harbour,
        patient=pat,
        stage="booked",
        sessions_done=1,
        today=wallclock.local_date(now, harbour.zone) + timedelta(days=38),
        now=now,
        services=seed_services(harbour),
        rng=random.Random(1),  # noqa: S311 - synthetic demo data
    )
    seed_services(northside)
    seed_scores(harbour, now)  # synthetic score trajectories (docs/scores.md)
    seed_demo_photos(clinic=harbour, now=now)  # synthetic, clearly not people
    # Harbour takes new patients online at /book/harbour/ (docs/public-booking.md).
    BookingPage.objects.get_or_create(
        clinic=harbour, defaults={"contact_text": "Call 0117 496 0000"}
    )

    return (
        f"Seeded {Clinic.objects.count()} clinics, "
        f"{StaffMember.objects.count()} staff, {Patient.objects.count()} patients, "
        f"{Plan.objects.count()} plans, {Appointment.objects.count()} appointments."
    )
