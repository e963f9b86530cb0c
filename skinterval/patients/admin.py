from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from skinterval.clinics.admin_scoping import ClinicScopedAdmin, owner_clinic_id
from skinterval.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdmin):
    list_display = ["family_name", "given_name", "chart_number", "born_on"]
    search_fields = ["family_name", "given_name", "chart_number"]
    readonly_fields = ["created_at"]

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "user" and not self._is_platform_admin(request):
            kwargs["queryset"] = get_user_model().objects.filter(
                patient_record__clinic_id=owner_clinic_id(request) or 0
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
