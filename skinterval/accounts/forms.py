"""The one form of the two-factor pages: a code from the authenticator app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if not code.isdigit():
            raise forms.ValidationError(_("Enter the digits your app shows."))
        return code
