"""Clinical photographs of a patient's treated areas.

A `Photo` row describes one stored image: whose, which area and view, when it was
taken, under which photo consent and scope, who uploaded it, and where it lies in
the private photo store (a random name; never the uploader's file name) with the
SHA-256 of its bytes, checked each time it is served.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.charting.models import Consent, PhotoScope
from skinterval.clinics.models import ClinicOwned, StaffMember
from skinterval.domain.assessment import AREAS
from skinterval.patients.models import Patient

AREA_CHOICES = [(area, area.capitalize()) for area in AREAS]


class PhotoView(models.TextChoices):
    """The standard views, taken the same way at every visit."""

    FRONT = "front", _("Front")
    LEFT_45 = "left_45", _("Left 45°")
    RIGHT_45 = "right_45", _("Right 45°")
    LEFT_90 = "left_90", _("Left 90° (profile)")
    RIGHT_90 = "right_90", _("Right 90° (profile)")
    CLOSE_UP = "close_up", _("Close-up")


VIEW_ORDER = {view: i for i, view in enumerate(PhotoView.values)}


class Photo(ClinicOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="photos",
        verbose_name=_("patient"),
    )
    area = models.CharField(_("area"), max_length=20, choices=AREA_CHOICES)
    view = models.CharField(_("view"), max_length=20, choices=PhotoView.choices)
    taken_on = models.DateField(_("taken on"))
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("photo consent"),
    )
    photo_scope = models.CharField(
        _("taken for"), max_length=20, choices=PhotoScope.choices
    )
    uploaded_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    storage_name = models.CharField(_("stored as"), max_length=100, unique=True)
    sha256 = models.CharField(_("SHA-256 of the stored file"), max_length=64)
    width_px = models.PositiveIntegerField(_("width (px)"))
    height_px = models.PositiveIntegerField(_("height (px)"))
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["patient", "area", "view", "taken_on", "uploaded_at"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(
                condition=~Q(photo_scope=""), name="photo_has_scope"
            ),
            models.CheckConstraint(
                condition=Q(width_px__gt=0, height_px__gt=0, size_bytes__gt=0),
                name="photo_has_pixels",
            ),
        ]
        indexes = [
            models.Index(
                fields=["patient", "area", "view", "taken_on"],
                name="photo_patient_area_view",
            )
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.view} {self.taken_on}"
