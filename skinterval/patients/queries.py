"""Permission-checked reads of patient records.

Staff see the patients of their own clinic; a patient's login sees only that
patient; everyone else sees nobody. Every later view, export and API call loads
patients through `patients_for_user` / `get_patient_for_user`.

The loaders of one record write a `view` event to the audit log
(`skinterval.audit.services.record_read`); `patients_for_user` only builds a
query, used for scoping, and records nothing (a list page records one event).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from skinterval.audit.services import record_read
from skinterval.clinics.queries import staff_member_for
from skinterval.patients.models import Patient

if TYPE_CHECKING:
    from skinterval.clinics.queries import AnyUser


def patients_for_user(user: AnyUser) -> QuerySet[Patient]:
    if not user.is_authenticated:
        return Patient.objects.none()
    member = staff_member_for(user)
    if member is not None:
        return Patient.objects.filter(clinic_id=member.clinic_id)
    return Patient.objects.filter(user_id=user.pk)


def get_patient_for_user(user: AnyUser, patient_id: uuid.UUID | str) -> Patient:
    """The patient, if the caller may see it; otherwise 404 (never 403, so that
    the existence of other clinics' patients is not revealed)."""
    try:
        patient = patients_for_user(user).select_related("clinic").get(pk=patient_id)
    except (Patient.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such patient.") from None
    record_read(patient, user=user)
    return patient


def own_patient_record(user: AnyUser) -> Patient:
    """The patient record of a portal login; 404 for everyone else."""
    if not user.is_authenticated:
        raise Http404("No patient record.")
    try:
        patient = Patient.objects.select_related("clinic").get(user_id=user.pk)
    except Patient.DoesNotExist:
        raise Http404("No patient record.") from None
    record_read(patient, user=user)
    return patient
