from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.admin_readonly import ReadOnlyClinicAdmin
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
class AccountClosureRequestAdmin(ReadOnlyClinicAdmin):
    """The clinic owner sees patients' requests here; closing an account is done
    on its own page (`outcomes:closure`), which ends the login, the tokens and
    the messages in one step. A status that could be set to "done" here would
    say the account is closed while the login still works."""

    list_display = ["patient", "requested_at", "status", "handled_at", "close_link"]
    list_filter = ["status"]
    fields = readonly_fields = (
        "patient",
        "reason",
        "requested_at",
        "status",
        "handled_by",
        "handled_at",
        "close_link",
    )

    @admin.display(description=_("closure page"))
    def close_link(self, obj: AccountClosureRequest) -> str:
        url = reverse("outcomes:closure", kwargs={"request_id": obj.pk})
        label = (
            _("Close the account") if obj.status == ClosureStatus.OPEN else _("Open")
        )
        return format_html('<a href="{}">{}</a>', url, label)
