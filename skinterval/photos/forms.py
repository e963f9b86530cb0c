"""The photo upload form. The file is checked by the service, not by Django's
ImageField (which would open it before our limits apply)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from skinterval.photos import imaging
from skinterval.photos.models import AREA_CHOICES, PhotoView


class PhotoUploadForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        error_messages={"required": _("Choose the photo file.")},
    )
    area = forms.ChoiceField(
        label=_("Area"),
        choices=[("", _("Choose an area")), *AREA_CHOICES],
        error_messages={"required": _("Choose an area.")},
    )
    view = forms.ChoiceField(
        label=_("View"),
        choices=PhotoView.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a view.")},
    )
    taken_on = forms.DateField(
        label=_("Taken on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date the photo was taken."),
            "invalid": _("Enter a date like 2027-01-04."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = gettext(
            "A JPEG or PNG photo, up to %(mb)s MB. It is saved again without its "
            "metadata (camera, time, GPS position)."
        ) % {"mb": imaging.MAX_BYTES // (1024 * 1024)}
