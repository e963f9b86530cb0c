from django.contrib import admin

from skinterval.charting.models import Consent, SessionChart
from skinterval.clinics.admin_readonly import ReadOnlyClinicAdmin


@admin.register(Consent)
class ConsentAdmin(ReadOnlyClinicAdmin):
    """Consents are signed and withdrawn only through their pages (a record of what
    a patient agreed to is never edited)."""

    list_display = ["patient", "kind", "photo_scope", "status", "signed_at"]
    list_filter = ["kind", "status"]


@admin.register(SessionChart)
class SessionChartAdmin(ReadOnlyClinicAdmin):
    list_display = ["patient", "appointment", "status", "performed_on", "reaction"]
    list_filter = ["status", "reaction"]
