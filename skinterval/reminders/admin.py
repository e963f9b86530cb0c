"""What the clinic owner sees in the admin: every message (read-only), the
clinic's messaging settings and patients' contact choices."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from skinterval.clinics.admin_readonly import ReadOnlyClinicAdmin
from skinterval.clinics.admin_scoping import ClinicScopedAdmin, owner_clinic_id
from skinterval.reminders.models import (
    ContactPreference,
    MessagingSettings,
    OutboxMessage,
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyClinicAdmin):
    """Messages are written by the services and the worker only."""

    list_display = [
        "kind",
        "channel",
        "patient",
        "status",
        "send_at",
        "sent_at",
        "attempts",
        "note",
    ]
    list_filter = ["status", "kind", "channel"]
    date_hierarchy = "send_at"
    list_select_related = ["patient"]
    exclude = ["claim_token"]


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(ClinicScopedAdmin):
    list_display = [
        "clinic",
        "reminder_hours_before",
        "quiet_hours_start",
        "quiet_hours_end",
        "send_time",
    ]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        """One row per clinic: an owner adds theirs once, then changes it."""
        if not super().has_add_permission(request, *args):
            return False
        if self._is_platform_admin(request):
            return True
        clinic_id = owner_clinic_id(request) or 0
        return not MessagingSettings.objects.filter(clinic_id=clinic_id).exists()


@admin.register(ContactPreference)
class ContactPreferenceAdmin(ClinicScopedAdmin):
    list_display = ["patient", "group", "channel", "enabled", "changed_at"]
    list_filter = ["group", "channel", "enabled"]
    list_select_related = ["patient"]
    readonly_fields = ["changed_at", "changed_via"]

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        obj.changed_at = timezone.now()
        obj.changed_via = "clinic administration"
        super().save_model(request, obj, form, change)
