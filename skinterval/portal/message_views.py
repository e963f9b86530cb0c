"""The patient's own choice of messages: which groups, on which channels.

A thin page over `reminders.services.set_contact_preference`; turning a group
off withdraws what is pending of it. Text messages are offered only when the
clinic has an SMS gateway and the patient a phone number.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from skinterval.clinics.decorators import patient_required
from skinterval.patients.models import Patient
from skinterval.patients.queries import own_patient_record
from skinterval.portal.pages import render_page
from skinterval.reminders.models import Channel, KindGroup
from skinterval.reminders.services import (
    preferences,
    set_contact_preference,
    sms_configured,
)


def _channels(patient: Patient) -> list[Channel]:
    offered = [Channel.EMAIL] if patient.email else []
    if patient.phone and sms_configured():
        offered.append(Channel.SMS)
    return offered


def _field(group: str, channel: str) -> str:
    return f"{group}-{channel}"


@patient_required
def message_preferences(request: HttpRequest) -> HttpResponse:
    patient = own_patient_record(request.user)
    channels = _channels(patient)
    if request.method == "POST":
        now = timezone.now()
        current = preferences(patient)
        for group in KindGroup:
            for channel in channels:
                wanted = request.POST.get(_field(group, channel)) == "on"
                if wanted != current[(group, channel)]:
                    set_contact_preference(
                        patient=patient,
                        group=group,
                        channel=channel,
                        enabled=wanted,
                        now=now,
                        via="portal",
                    )
        messages.success(request, _("Your choices are saved."))
        return redirect("portal:messages")
    current = preferences(patient)
    rows = [
        {
            "label": group.label,
            "choices": [
                {
                    "name": _field(group, channel),
                    "label": channel.label,
                    "checked": current[(group, channel)],
                }
                for channel in channels
            ],
        }
        for group in KindGroup
    ]
    return render_page(
        request,
        "messages.html",
        patient,
        "messages",
        rows=rows,
        channels=channels,
    )
