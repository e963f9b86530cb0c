"""Top-level URL map. Patient details never appear in URLs: objects are named by
opaque ids only."""

from django.contrib import admin
from django.urls import include, path

from config.api import api
from skinterval.appointments import urls as appointment_urls
from skinterval.booking import urls as booking_urls
from skinterval.clinics import views as clinic_views

admin.site.site_header = "Skinterval administration"
admin.site.site_title = "Skinterval"

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path("accounts/", include("skinterval.accounts.urls")),
    path("clinic/", include("skinterval.clinics.urls")),
    path("patients/", include("skinterval.patients.urls")),
    path("plans/", include("skinterval.plans.urls")),
    path("booking/", include("skinterval.appointments.urls")),
    path("calendar/", include(appointment_urls.calendar_patterns)),
    path("charting/", include("skinterval.charting.urls")),
    path("portal/", include("skinterval.portal.urls")),
    path("outcomes/", include("skinterval.outcomes.urls")),
    path("messages/", include("skinterval.reminders.urls")),
    path("book/", include("skinterval.booking.urls")),
    path("intake/", include(booking_urls.intake_patterns)),
    path("waitlist/", include(booking_urls.waitlist_patterns)),
    path("feed/", include("skinterval.interop.urls")),
    path("photos/", include("skinterval.photos.urls")),
    path("reports/", include("skinterval.outcomes.report_urls")),
    path("audit/", include("skinterval.audit.urls")),
    path("fhir/", include("skinterval.interop.fhir_urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
