"""Patients of a clinic. Identified in URLs and exports by an opaque UUID only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skinterval.clinics.models import ClinicOwned


class Fitzpatrick(models.IntegerChoices):
    """Fitzpatrick skin phototype (I–VI); types IV–VI carry more risk of
    post-inflammatory hyperpigmentation, which the planning engine screens for."""

    I = 1, _("I — always burns, never tans")  # noqa: E741
    II = 2, _("II — usually burns, tans minimally")
    III = 3, _("III — sometimes burns, tans uniformly")
    IV = 4, _("IV — burns minimally, always tans")
    V = 5, _("V — very rarely burns, tans very easily")
    VI = 6, _("VI — never burns")


class Patient(ClinicOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient_record",
        verbose_name=_("portal login"),
    )
    chart_number = models.CharField(
        _("chart number"),
        max_length=40,
        help_text=_("The clinic's own record number."),
    )
    given_name = models.CharField(_("given name"), max_length=150)
    family_name = models.CharField(_("family name"), max_length=150)
    born_on = models.DateField(_("date of birth"))
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick phototype"), choices=Fitzpatrick.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "chart_number"], name="patient_chart_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(fitzpatrick__isnull=True)
                | (Q(fitzpatrick__gte=1) & Q(fitzpatrick__lte=6)),
                name="patient_fitzpatrick_1_to_6",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "family_name", "given_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
