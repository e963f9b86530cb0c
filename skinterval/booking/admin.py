from django.contrib import admin

from skinterval.booking.models import BookingPage
from skinterval.clinics.admin_scoping import ClinicScopedAdmin


@admin.register(BookingPage)
class BookingPageAdmin(ClinicScopedAdmin):
    """The clinic owner opens, closes and sets the policy of the public page."""

    list_display = ["clinic", "is_open", "hold_min", "notice_hours", "refuse_online"]
