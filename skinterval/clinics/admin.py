from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from skinterval.clinics.admin_scoping import ClinicScopedAdmin, owner_clinic_id
from skinterval.clinics.models import (
    Clinic,
    Closure,
    Device,
    Location,
    Qualification,
    Room,
    StaffMember,
    TimeOff,
    WorkingInterval,
)


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    clinic_lookup = "pk"
    list_display = ["name", "country", "timezone"]
    prepopulated_fields = {"slug": ["name"]}

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return []

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_platform_admin(request)

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return admin.ModelAdmin.get_form(self, request, obj, change, **kwargs)


@admin.register(Location)
class LocationAdmin(ClinicScopedAdmin):
    list_display = ["name", "clinic"]


@admin.register(Room)
class RoomAdmin(ClinicScopedAdmin):
    list_display = ["name", "location", "is_active"]
    list_filter = ["is_active"]


@admin.register(Device)
class DeviceAdmin(ClinicScopedAdmin):
    list_display = ["name", "model_name", "max_depth_mm", "location", "is_active"]
    list_filter = ["is_active"]


class QualificationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Qualification
    extra = 0
    exclude = ["clinic"]


class WorkingIntervalInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WorkingInterval
    extra = 0
    exclude = ["clinic"]


@admin.register(StaffMember)
class StaffMemberAdmin(ClinicScopedAdmin):
    list_display = ["display_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    inlines = [QualificationInline, WorkingIntervalInline]

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "user" and not self._is_platform_admin(request):
            kwargs["queryset"] = _clinic_users(owner_clinic_id(request) or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        """Inline rows inherit the staff member's clinic."""
        for instance in formset.save(commit=False):
            instance.clinic_id = form.instance.clinic_id
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(TimeOff)
class TimeOffAdmin(ClinicScopedAdmin):
    list_display = ["staff_member", "starts_on", "ends_on", "reason"]


@admin.register(Closure)
class ClosureAdmin(ClinicScopedAdmin):
    list_display = ["location", "starts_on", "ends_on", "reason"]


def _clinic_users(clinic_id: int) -> QuerySet[Any]:
    """Logins already tied to this clinic (its staff); other clinics' logins are
    never offered."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(staff_member__clinic_id=clinic_id)
