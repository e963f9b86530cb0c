"""Logins. One user model for staff and patients; what a login may do comes from its
clinic membership (`clinics.StaffMember`) or its patient record (`patients.Patient`)."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A login. Kept as our own model from day one so fields can be added later
    without the painful swap of Django's default user."""

    class Meta:
        db_table = "accounts_user"


class ApiToken(models.Model):
    """A bearer token for the JSON API and the FHIR endpoints. Only the SHA-256 of the
    secret is stored; the short prefix identifies the token in lists and logs without
    granting anything. Issue and check through `accounts.api_tokens`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_prefix = models.CharField(max_length=8, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} (skt_{self.token_prefix}_…)"
