from django import forms
from django.utils.translation import gettext_lazy as _


class PatientSearchForm(forms.Form):
    """Searches are POSTed so that names never land in URLs or access logs."""

    q = forms.CharField(
        label=_("Name or chart number"), max_length=100, required=False, strip=True
    )
