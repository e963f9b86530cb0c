"""Permission-checked reads of photos, and the consent rule for showing them.

Who: staff see the photos of their own clinic's patients, a patient's login sees
only that patient's photos, everyone else sees none (patients.queries).

Which: a photo is shown only while the patient's photo consent is in force, and
never again once a photo consent in force when it was uploaded has been
withdrawn; signing a new consent later does not bring back photos taken before
the withdrawal. (A consent *replaced* by a newer one, to change its scope, hides
nothing.) Hidden photos stay stored, as part of the clinical record, and are
counted on the pages so that staff know they exist.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.http import Http404

from skinterval.charting.models import Consent, ConsentKind, ConsentStatus
from skinterval.charting.queries import consent_in_force
from skinterval.domain.assessment import AREA_ORDER
from skinterval.patients.models import Patient
from skinterval.patients.queries import patients_for_user
from skinterval.photos.models import VIEW_ORDER, Photo
from skinterval.photos.storage import read_photo

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser


def shown(photos: QuerySet[Photo]) -> QuerySet[Photo]:
    """Only the photos the consent rule (module docstring) lets anyone see."""
    in_force = Consent.objects.filter(
        patient=OuterRef("patient"),
        kind=ConsentKind.PHOTOS,
        status=ConsentStatus.SIGNED,
    )
    withdrawn_since = Consent.objects.filter(
        patient=OuterRef("patient"),
        kind=ConsentKind.PHOTOS,
        status=ConsentStatus.WITHDRAWN,
        ended_at__gte=OuterRef("uploaded_at"),
    )
    return photos.filter(Exists(in_force)).exclude(Exists(withdrawn_since))


def photos_for_user(user: AnyUser) -> QuerySet[Photo]:
    return shown(Photo.objects.filter(patient__in=patients_for_user(user)))


def get_photo_for_user(user: AnyUser, photo_id: uuid.UUID | str) -> Photo:
    """The photo, if the caller may see it now; otherwise 404 (never 403: the
    existence of other patients' photos is not revealed)."""
    try:
        return photos_for_user(user).get(pk=photo_id)
    except (Photo.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such photo.") from None


@dataclass(frozen=True, slots=True)
class PhotoConsentState:
    in_force: Consent | None
    last_withdrawn_at: datetime | None
    hidden_count: int


def photo_consent_state(patient: Patient) -> PhotoConsentState:
    """The photo consent in force, the last withdrawal, and how many of the
    patient's stored photos are hidden by the consent rule."""
    all_photos = Photo.objects.filter(patient=patient)
    last_withdrawn_at = Consent.objects.filter(
        patient=patient, kind=ConsentKind.PHOTOS, status=ConsentStatus.WITHDRAWN
    ).aggregate(at=Max("ended_at"))["at"]
    return PhotoConsentState(
        in_force=consent_in_force(patient, ConsentKind.PHOTOS),
        last_withdrawn_at=last_withdrawn_at,
        hidden_count=all_photos.count() - shown(all_photos).count(),
    )


@dataclass(frozen=True, slots=True)
class PhotoSeries:
    """Every shown photo of one area and view, oldest first."""

    area: str
    view: str
    photos: tuple[Photo, ...]

    @property
    def baseline(self) -> Photo:
        return self.photos[0]

    @property
    def latest(self) -> Photo:
        return self.photos[-1]

    @property
    def has_comparison(self) -> bool:
        return len(self.photos) > 1

    @property
    def area_label(self) -> str:
        return self.baseline.get_area_display()

    @property
    def view_label(self) -> str:
        return self.baseline.get_view_display()


def photo_series(patient: Patient) -> list[PhotoSeries]:
    """The patient's shown photos grouped by area and view (in the order of the
    body areas, then of the views), each series oldest first: its first photo is
    the baseline, its last the latest."""
    rows = shown(Photo.objects.filter(patient=patient)).order_by(
        "taken_on", "uploaded_at"
    )
    groups: dict[tuple[str, str], list[Photo]] = {}
    for photo in rows:
        groups.setdefault((photo.area, photo.view), []).append(photo)
    ordered = sorted(
        groups.items(),
        key=lambda item: (
            AREA_ORDER.get(item[0][0], 99),
            VIEW_ORDER.get(item[0][1], 99),
        ),
    )
    return [PhotoSeries(area, view, tuple(items)) for (area, view), items in ordered]


class PhotoIntegrityError(Exception):
    """The stored file is missing or is not the file that was uploaded."""


def photo_bytes(photo: Photo) -> bytes:
    """The stored JPEG, checked against the SHA-256 taken at upload."""
    try:
        data = read_photo(photo.storage_name)
    except OSError as exc:
        raise PhotoIntegrityError(f"photo {photo.pk}: file unreadable") from exc
    if hashlib.sha256(data).hexdigest() != photo.sha256:
        raise PhotoIntegrityError(f"photo {photo.pk}: file does not match its hash")
    return data
