from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from skinterval.clinics.admin_readonly import ReadOnlyClinicAdmin
from skinterval.clinics.admin_scoping import ClinicScopedAdmin
from skinterval.clinics.queries import staff_member_for
from skinterval.outcomes.models import (
    AccountClosureRequest,
    CheckIn,
    ClosureStatus,
    Score,
    SessionHold,
)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyClinicAdmin):
    """Patients file check-ins in the portal; staff review them from the dashboard."""

    list_display = ["patient", "submitted_at", "day_after", "needs_attention"]
    list_filter = ["needs_attention"]


@admin.register(SessionHold)
class SessionHoldAdmin(ReadOnlyClinicAdmin):
    list_display = ["plan_session", "held_by", "held_at", "released_at"]


@admin.register(Score)
class ScoreAdmin(ReadOnlyClinicAdmin):
    """Scores are recorded through the score pages (totals computed by the
    domain scale), never typed here."""

    list_display = ["patient", "scored_on", "area", "scale", "total", "occasion"]
    list_filter = ["scale", "occasion"]


@admin.register(AccountClosureRequest)
class AccountClosureRequestAdmin(ClinicScopedAdmin):
    """The clinic owner sees patients' requests and marks them handled. Clinical
    records are never deleted here (they must be retained)."""

    list_display = ["patient", "requested_at", "status", "handled_at"]
    list_filter = ["status"]
    fields = [
        "patient",
        "reason",
        "requested_at",
        "status",
        "handled_by",
        "handled_at",
    ]
    readonly_fields = ["patient", "reason", "requested_at", "handled_by", "handled_at"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: AccountClosureRequest,
        form: ModelForm[Any],
        change: bool,
    ) -> None:
        if obj.status == ClosureStatus.DONE and obj.handled_at is None:
            obj.handled_at = timezone.now()
            obj.handled_by = staff_member_for(request.user)
        super().save_model(request, obj, form, change)
