"""Adding a clinical photo: `upload_photo`."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from skinterval.audit.models import AuditAction
from skinterval.audit.services import record
from skinterval.charting.models import ConsentKind
from skinterval.charting.queries import consent_in_force
from skinterval.clinics.models import StaffMember, StaffRole
from skinterval.domain import wallclock
from skinterval.domain.assessment import AREAS
from skinterval.patients.models import Patient
from skinterval.photos import imaging, storage
from skinterval.photos.models import Photo, PhotoView

log = logging.getLogger(__name__)

# Photos are part of the clinical record: taken by clinicians, as charts are.
UPLOAD_ROLES = (StaffRole.PRACTITIONER, StaffRole.OWNER)
ALLOWED_EXTENSIONS = (".jpg", ".jpeg", ".png")


class PhotoRefused(Exception):
    """The photo is not taken; `message` says why (in the user's language) and
    `field` names the form field it belongs to ("" for the whole form)."""

    def __init__(self, message: str, *, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def _image_refusal(code: str) -> PhotoRefused:
    mb = imaging.MAX_BYTES // (1024 * 1024)
    megapixels = imaging.MAX_PIXELS // 1_000_000
    messages = {
        "too_large": _("This file is larger than %(mb)s MB.") % {"mb": mb},
        "not_an_image": _(
            "This file is not a JPEG or PNG photo. Other files, drawings (SVG) "
            "and documents are not accepted."
        ),
        "too_many_pixels": _(
            "This image has more than %(mp)s million pixels, or claims to."
        )
        % {"mp": megapixels},
        "unsupported_colour": _("This image's colour format is not supported."),
        "animated": _("Animated images are not accepted."),
        "corrupt": _("This file is damaged or not a complete photo."),
        "bad_name": _(
            "The file name must end in .jpg, .jpeg or .png and name no folder."
        ),
    }
    return PhotoRefused(messages[code], code=code, field="image")


def check_client_name(name: str | None) -> None:
    """The uploader's file name is never used for storage; it is only checked:
    no folders, no `..`, no control characters, a photo's extension."""
    if (
        not name
        or len(name) > 255
        or any(part in name for part in ("/", "\\", "..", "\x00"))
        or not name.isprintable()
        or not name.lower().endswith(ALLOWED_EXTENSIONS)
    ):
        raise _image_refusal("bad_name")


def read_limited(upload: IO[bytes], limit: int = imaging.MAX_BYTES) -> bytes:
    """At most `limit` bytes of the upload; refused when it holds more."""
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _image_refusal("too_large")
    return data


def upload_photo(
    *,
    patient: Patient,
    uploaded_by: StaffMember,
    upload: IO[bytes],
    client_name: str | None,
    area: str,
    view: str,
    taken_on: date,
    now: datetime,
    source_ip: str | None = None,
) -> Photo:
    """Check, clean and store one photo of `patient` under the photo consent in
    force, and write the audit row. Refused (PhotoRefused) without a consent, for
    a date in the future, or for a file that is not a clean photo within limits."""
    if uploaded_by.clinic_id != patient.clinic_id:
        raise PermissionDenied("Staff of the patient's clinic only.")
    if uploaded_by.role not in UPLOAD_ROLES:
        raise PermissionDenied("Photos are added by practitioners.")
    consent = consent_in_force(patient, ConsentKind.PHOTOS)
    if consent is None:
        raise PhotoRefused(
            _(
                "No photo is taken without the patient's photo consent in force. "
                "Have the patient sign it first."
            ),
            code="no_consent",
        )
    if area not in AREAS:
        raise PhotoRefused(_("Choose an area."), code="area", field="area")
    if view not in PhotoView.values:
        raise PhotoRefused(_("Choose a view."), code="view", field="view")
    today = wallclock.local_date(now, patient.clinic.zone)
    if taken_on > today:
        raise PhotoRefused(
            _("The date cannot be in the future."), code="taken_on", field="taken_on"
        )
    if taken_on < patient.born_on:
        raise PhotoRefused(
            _("The date is before the patient's date of birth."),
            code="taken_on",
            field="taken_on",
        )
    check_client_name(client_name)
    data = read_limited(upload)
    try:
        clean = imaging.clean_image(data)
    except imaging.ImageRefused as refused:
        log.info("Photo upload refused: %s", refused.code)
        raise _image_refusal(refused.code) from None

    name = storage.new_storage_name()
    storage.write_photo(name, clean.jpeg)
    try:
        with transaction.atomic():
            photo = Photo.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                area=area,
                view=view,
                taken_on=taken_on,
                consent=consent,
                photo_scope=consent.photo_scope,
                uploaded_by=uploaded_by,
                uploaded_at=now,
                storage_name=name,
                sha256=clean.sha256,
                width_px=clean.width_px,
                height_px=clean.height_px,
                size_bytes=len(clean.jpeg),
            )
            record(
                request_or_user=uploaded_by.user,
                action=AuditAction.CREATE,
                obj=photo,
                source_ip=source_ip,
                now=now,
            )
    except BaseException:
        storage.delete_photo_file(name)
        raise
    return photo
