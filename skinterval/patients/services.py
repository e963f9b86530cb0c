"""Patient use cases for staff."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from skinterval.audit.models import AuditAction
from skinterval.audit.services import record_write
from skinterval.clinics.models import StaffMember
from skinterval.patients.models import Patient


class DuplicateChartNumber(Exception):
    """The clinic already has a patient with this chart number."""


def _clean(text: str, field: str, errors: dict[str, list[str]]) -> str:
    text = text.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        errors.setdefault(field, []).append(_("Control characters are not allowed."))
    return text


def register_patient(
    *,
    registered_by: StaffMember,
    chart_number: str,
    given_name: str,
    family_name: str,
    born_on: date,
    today: date,
    email: str = "",
    phone: str = "",
    fitzpatrick: int | None = None,
) -> Patient:
    """Staff register a patient of their clinic under the clinic's own chart number.

    Raises `ValidationError` (messages per field) for blank names, a birth date in
    the future, a malformed email or control characters, and `DuplicateChartNumber`
    when the chart number is taken in this clinic.
    """
    if not registered_by.is_active:
        raise PermissionDenied("Clinic staff only.")
    errors: dict[str, list[str]] = {}
    values = {
        name: _clean(value, name, errors)
        for name, value in (
            ("chart_number", chart_number),
            ("given_name", given_name),
            ("family_name", family_name),
            ("email", email),
            ("phone", phone),
        )
    }
    for name in ("chart_number", "given_name", "family_name"):
        if not values[name]:
            errors.setdefault(name, []).append(_("This field is required."))
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid email address."))
    if born_on > today:
        errors.setdefault("born_on", []).append(_("The birth date is in the future."))
    if fitzpatrick is not None and not 1 <= fitzpatrick <= 6:
        errors.setdefault("fitzpatrick", []).append(_("Choose a type from I to VI."))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                clinic_id=registered_by.clinic_id,
                born_on=born_on,
                fitzpatrick=fitzpatrick,
                **values,
            )
            record_write(patient, AuditAction.CREATE, by=registered_by)
            return patient
    except IntegrityError:
        raise DuplicateChartNumber(
            _("This clinic already has a patient with that chart number.")
        ) from None
