"""Django admin scoped to the clinic of the logged-in clinic owner.

A clinic owner (role `owner`, with `is_staff` for the admin) manages the rows of
their own clinic and nothing else: lists, change pages, foreign-key choices and
saves are all limited to that clinic. Platform superusers see every clinic.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from skinterval.clinics.models import Clinic, StaffRole
from skinterval.clinics.queries import staff_member_for


def owner_clinic_id(request: HttpRequest) -> int | None:
    """The clinic a non-superuser may administer, or None for no clinic at all."""
    member = staff_member_for(request.user)
    if member is None or member.role != StaffRole.OWNER:
        return None
    return member.clinic_id


class ClinicScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """For models that carry a `clinic` foreign key."""

    clinic_field = "clinic"
    clinic_lookup = "clinic_id"

    def _is_platform_admin(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def _may_administer(self, request: HttpRequest) -> bool:
        return self._is_platform_admin(request) or owner_clinic_id(request) is not None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_administer(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_administer(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may_administer(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_administer(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_administer(request)

    def scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self._is_platform_admin(request):
            return queryset
        clinic_id = owner_clinic_id(request)
        if clinic_id is None:
            return queryset.none()
        return queryset.filter(**{self.clinic_lookup: clinic_id})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(request, super().get_queryset(request))

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not self._is_platform_admin(request):
            excluded.append(self.clinic_field)
        return excluded

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        """Offer only the owner's clinic's rows as choices for every foreign key."""
        related = db_field.related_model
        if not self._is_platform_admin(request) and isinstance(related, type):
            clinic_id = owner_clinic_id(request) or 0
            if related is Clinic:
                kwargs["queryset"] = Clinic.objects.filter(pk=clinic_id)
            elif any(f.name == "clinic" for f in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(
                    clinic_id=clinic_id
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        if not self._is_platform_admin(request):
            setattr(obj, f"{self.clinic_field}_id", owner_clinic_id(request))
        super().save_model(request, obj, form, change)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """Set the clinic before validation so model.clean() can check that every
        linked row belongs to the same clinic."""
        form_class = super().get_form(request, obj, change, **kwargs)
        if self._is_platform_admin(request) or obj is not None:
            return form_class
        clinic_id = owner_clinic_id(request)

        class ScopedForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                setattr(self.instance, "clinic_id", clinic_id)  # noqa: B010

        return ScopedForm
