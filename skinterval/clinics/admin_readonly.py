"""A scoped admin that only shows rows. Appointments and plans change only through
their services (booking rules, approval), never by editing rows in the admin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from skinterval.clinics.admin_scoping import ClinicScopedAdmin


class ReadOnlyClinicAdmin(ClinicScopedAdmin):
    """Scoped like every clinic admin, but view-only."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
