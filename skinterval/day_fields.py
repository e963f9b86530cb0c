"""The validator of every date a person types into a staff or patient form.

A mistyped year (9999, 0001) is a real date to Python, and the first time-zone
shift or series interval from it runs off the calendar. Forms refuse such days
next to the field, with the range, instead (the range is the domain's:
`wallclock.FIRST_DAY` to `wallclock.LAST_DAY`).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from skinterval.domain import wallclock


def on_calendar(value: date | None) -> None:
    """`forms.DateField(validators=[on_calendar])`: a day from 1900 to 2999."""
    if value is not None and not wallclock.in_calendar(value):
        raise ValidationError(
            _("Enter a date from %(first)s to %(last)s."),
            code="off_calendar",
            params={
                "first": date_format(wallclock.FIRST_DAY, "j F Y"),
                "last": date_format(wallclock.LAST_DAY, "j F Y"),
            },
        )
