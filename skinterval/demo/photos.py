"""Demo clinical photos: synthetic, clearly non-human pictures.

Each "photo" is an abstract texture drawn with Pillow (soft coloured blobs on a
blue-green gradient) with DEMO and "synthetic image" written across it, so
nobody could take it for a person. They go through the real upload service (and
so the real checks, re-encoding, private store and audit log), under a photo
consent signed for the demo patient.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time

from django.db.models import Count, Q
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from skinterval.appointments.models import AppointmentStatus
from skinterval.charting import consent_texts
from skinterval.charting.models import ConsentKind, PhotoScope
from skinterval.charting.queries import consent_in_force
from skinterval.charting.services import sign_consent
from skinterval.clinics.models import Clinic, StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.patients.models import Patient
from skinterval.photos.models import Photo, PhotoView
from skinterval.photos.services import upload_photo
from skinterval.plans.models import Plan

SIZE = (960, 720)
# (area, view) photographed at each demo visit.
SHOTS = [("cheeks", PhotoView.FRONT), ("cheeks", PhotoView.LEFT_45)]
MAX_VISITS = 4


def demo_image(*, seed: int, label: str) -> bytes:
    """A synthetic abstract JPEG with DEMO written on it."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    width, height = SIZE
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a blue-green gradient: no skin tone anywhere
        t = y / height
        draw.line([(0, y), (width, y)], fill=(30, int(90 + 80 * t), int(160 - 40 * t)))
    blobs = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    blob_draw = ImageDraw.Draw(blobs)
    for _ in range(rng.randint(25, 40)):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randint(15, 70)
        colour = (rng.randint(120, 220), rng.randint(60, 140), 230, 110)
        blob_draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    image = Image.alpha_composite(
        image.convert("RGBA"), blobs.filter(ImageFilter.GaussianBlur(6))
    ).convert("RGB")
    draw = ImageDraw.Draw(image)
    big = ImageFont.load_default(size=180)
    small = ImageFont.load_default(size=36)
    draw.text(
        (width / 2, height / 2 - 40),
        "DEMO",
        font=big,
        anchor="mm",
        fill=(255, 255, 255),
        stroke_width=6,
        stroke_fill=(20, 30, 60),
    )
    draw.text(
        (width / 2, height / 2 + 90),
        f"synthetic image · {label}",
        font=small,
        anchor="mm",
        fill=(255, 255, 255),
        stroke_width=3,
        stroke_fill=(20, 30, 60),
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _patients_with_courses(clinic: Clinic, count: int) -> list[Patient]:
    """Pat (one session so far: a baseline only), then the patients with the
    most completed sessions (a baseline and later photos to compare)."""
    pat = Patient.objects.filter(clinic=clinic, user__isnull=False).order_by(
        "chart_number"
    )
    treated = (
        Patient.objects.filter(clinic=clinic, user__isnull=True)
        .annotate(
            sessions=Count(
                "appointments",
                filter=Q(appointments__status=AppointmentStatus.COMPLETED),
            )
        )
        .filter(sessions__gte=2)
        .order_by("-sessions", "chart_number")
    )
    return [*pat[:1], *treated[: count - 1]]


def _visit_days(patient: Patient, today: date) -> list[date]:
    """The assessment (baseline) and each completed session, up to today."""
    zone = patient.clinic.zone
    days = [
        plan.assessed_on
        for plan in Plan.objects.filter(patient=patient).order_by("created_at")[:1]
    ]
    days += [
        wallclock.local_date(starts_at, zone)
        for starts_at in patient.appointments.filter(status=AppointmentStatus.COMPLETED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    ]
    return sorted({day for day in days if day <= today})[:MAX_VISITS]


def seed_demo_photos(*, clinic: Clinic, now: datetime, patients: int = 3) -> int:
    """Photos for a few demo patients of `clinic` (once: a patient who already
    has photos is left alone). Returns how many photos were added."""
    practitioner = (
        StaffMember.objects.filter(clinic=clinic, role=StaffRole.PRACTITIONER)
        .select_related("user", "clinic")
        .order_by("display_name")
        .first()
    )
    if practitioner is None:
        return 0
    text = consent_texts.CURRENT[consent_texts.PHOTOS]
    today = wallclock.local_date(now, clinic.zone)
    added = 0
    for n, patient in enumerate(_patients_with_courses(clinic, patients)):
        visits = _visit_days(patient, today)
        if not visits or Photo.objects.filter(patient=patient).exists():
            continue
        if consent_in_force(patient, ConsentKind.PHOTOS) is None:
            sign_consent(
                patient=patient,
                kind=ConsentKind.PHOTOS,
                text_version=text.version,
                signed_name=patient.full_name,
                photo_scope=PhotoScope.RECORD,
                witnessed_by=practitioner,
                now=wallclock.to_utc(visits[0], time(9), clinic.zone),
            )
        for visit, taken_on in enumerate(visits):
            for area, view in SHOTS:
                data = demo_image(
                    seed=n * 100 + visit * 10 + PhotoView.values.index(view),
                    label=f"{area}, {view.label}, visit {visit + 1}",
                )
                upload_photo(
                    patient=patient,
                    uploaded_by=practitioner,
                    upload=io.BytesIO(data),
                    client_name="demo.jpg",
                    area=area,
                    view=view,
                    taken_on=taken_on,
                    now=now,
                )
                added += 1
    return added
