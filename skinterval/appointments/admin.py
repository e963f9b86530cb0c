from django.contrib import admin

from skinterval.appointments.models import Appointment, ServiceType
from skinterval.clinics.admin_readonly import ReadOnlyClinicAdmin
from skinterval.clinics.admin_scoping import ClinicScopedAdmin


@admin.register(ServiceType)
class ServiceTypeAdmin(ClinicScopedAdmin):
    list_display = ["name", "kind", "duration_min", "needs_device", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyClinicAdmin):
    list_display = ["starts_at", "service_type", "practitioner", "room", "status"]
    list_filter = ["status"]
    date_hierarchy = "starts_at"
