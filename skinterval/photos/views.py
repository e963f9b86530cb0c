"""Clinical photo pages: the staff photo page (baseline and latest side by side),
the upload page, the patient's own photos in the portal, and the one view that
serves a photo's bytes (permission-checked and audited)."""

from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_safe

from skinterval.audit.models import AuditAction
from skinterval.audit.services import record
from skinterval.clinics.decorators import patient_required, staff_required
from skinterval.clinics.queries import require_staff
from skinterval.domain import wallclock
from skinterval.patients.queries import get_patient_for_user, own_patient_record
from skinterval.photos import imaging
from skinterval.photos.forms import PhotoUploadForm
from skinterval.photos.queries import (
    PhotoIntegrityError,
    get_photo_for_user,
    photo_bytes,
    photo_consent_state,
    photo_series,
)
from skinterval.photos.services import UPLOAD_ROLES, PhotoRefused, upload_photo
from skinterval.photos.uploads import limit_uploads, too_large

log = logging.getLogger(__name__)


@staff_required()
def patient_photos(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Baseline and latest of each area and view, side by side, then every photo."""
    patient = get_patient_for_user(request.user, patient_id)
    member = require_staff(request.user)
    return render(
        request,
        "photos/patient_photos.html",
        {
            "patient": patient,
            "series": photo_series(patient),
            "consent": photo_consent_state(patient),
            "can_upload": member.role in UPLOAD_ROLES,
        },
    )


@csrf_exempt  # checked below, once the size-limiting upload handler is in place
def upload(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    limit_uploads(request, imaging.MAX_BYTES)
    return _upload(request, patient_id)


@staff_required(*UPLOAD_ROLES)
@csrf_protect
def _upload(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    member = require_staff(request.user)
    now = timezone.now()
    consent = photo_consent_state(patient)
    posted = request.method == "POST"
    form = PhotoUploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"taken_on": wallclock.local_date(now, patient.clinic.zone)},
    )
    if posted:
        if too_large(request):
            form.is_valid()
            form.errors.pop("image", None)
            form.add_error(
                "image",
                _("This file is larger than %(mb)s MB.")
                % {"mb": imaging.MAX_BYTES // (1024 * 1024)},
            )
        elif form.is_valid():
            image = form.cleaned_data["image"]
            try:
                upload_photo(
                    patient=patient,
                    uploaded_by=member,
                    upload=image,
                    client_name=image.name,
                    area=form.cleaned_data["area"],
                    view=form.cleaned_data["view"],
                    taken_on=form.cleaned_data["taken_on"],
                    now=now,
                    source_ip=request.META.get("REMOTE_ADDR"),
                )
            except PhotoRefused as refused:
                form.add_error(refused.field or None, refused.message)
            else:
                messages.success(request, _("Photo added to the patient's record."))
                return redirect("photos:patient", patient_id=patient.pk)
    return render(
        request,
        "photos/upload.html",
        {"patient": patient, "form": form, "consent": consent},
        status=422 if form.is_bound and form.errors else 200,
    )


@patient_required
def my_photos(request: HttpRequest) -> HttpResponse:
    """The patient's own photos, while their photo consent is in force."""
    patient = own_patient_record(request.user)
    return render(
        request,
        "photos/my_photos.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "series": photo_series(patient),
            "consent": photo_consent_state(patient),
            "section": "photos",
        },
    )


@require_safe
@login_required
def image(request: HttpRequest, photo_id: uuid.UUID) -> HttpResponse:
    """One photo's bytes, to staff of the patient's clinic and to the patient,
    while the consent allows it; every time it is served is audited."""
    photo = get_photo_for_user(request.user, photo_id)
    try:
        data = photo_bytes(photo)
    except PhotoIntegrityError as exc:
        log.error("Photo not served: %s", exc)
        raise Http404("No such photo.") from None
    record(request_or_user=request, action=AuditAction.VIEW, obj=photo)
    response = HttpResponse(data, content_type="image/jpeg")
    response["Content-Length"] = str(len(data))
    response["Content-Disposition"] = 'inline; filename="photo.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
