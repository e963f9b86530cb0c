from django.contrib import admin

from skinterval.clinics.admin_readonly import ReadOnlyClinicAdmin
from skinterval.plans.models import Plan


@admin.register(Plan)
class PlanAdmin(ReadOnlyClinicAdmin):
    list_display = ["patient", "version", "status", "decision", "approved_at"]
    list_filter = ["status", "decision"]
