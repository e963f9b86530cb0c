"""Driving the public booking pages with Django's test client."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

TUESDAY_9 = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
TUESDAY_10 = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)

CONTACT = {
    "given_name": "Nora",
    "family_name": "Newcomer",
    "born_on": "1991-02-03",
    "email": "nora@example.com",
    "phone": "+44 20 7946 0000",
    "agree": "on",
}

YES_NO_QUESTIONS = (
    "pregnant",
    "nursing",
    "anticoagulant",
    "bleeding_disorder",
    "keloid_tendency",
    "immunosuppressed",
    "herpes_simplex_history",
    "metal_allergy",
    "anaesthetic_allergy",
    "radiotherapy",
)
NOTHING_TO_REPORT = {
    **dict.fromkeys(YES_NO_QUESTIONS, "no"),
    "isotretinoin": "never",
    "diabetes": "none",
}


def start_url(world) -> str:
    return reverse("booking:start", args=[world.clinic.slug])


def step_url(world, step: str) -> str:
    return reverse(f"booking:{step}", args=[world.clinic.slug])


def pick(client, world, start=TUESDAY_9, practitioner="any"):
    return client.post(
        start_url(world),
        {
            "service": world.consultation.pk,
            "location": world.location.pk,
            "practitioner": practitioner,
            "start": start.isoformat(),
        },
    )


def give_details(client, world, **changes):
    return client.post(step_url(world, "details"), {**CONTACT, **changes})


def answer(client, world, **changes):
    return client.post(step_url(world, "questions"), {**NOTHING_TO_REPORT, **changes})


def book(client, world, start=TUESDAY_9, practitioner="any", **answers):
    """The whole visit; returns the last response."""
    assert pick(client, world, start, practitioner).status_code == 302
    assert give_details(client, world).status_code == 302
    return answer(client, world, **answers)
