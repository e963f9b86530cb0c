"""Logins. One user model for staff and patients; what a login may do comes from its
clinic membership (`clinics.StaffMember`) or its patient record (`patients.Patient`)."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. Kept as our own model from day one so fields can be added later
    without the painful swap of Django's default user."""

    class Meta:
        db_table = "accounts_user"
