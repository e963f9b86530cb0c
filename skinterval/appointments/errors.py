"""Why a booking was refused, in words a receptionist can act on."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

PROBLEM_MESSAGES = {
    "in_the_past": _("That time has already passed."),
    "outside_window": _("That day is outside the session's window."),
    "practitioner_not_working": _("The practitioner is not working then."),
    "practitioner_busy": _("The practitioner is already booked then."),
    "room_unavailable": _("The room is closed then."),
    "room_elsewhere": _("The room is at another location than the practitioner."),
    "room_busy": _("The room is already booked then."),
    "device_unavailable": _("The device is not available then."),
    "device_elsewhere": _("The device is at another location than the practitioner."),
    "device_busy": _("The device is already in use then."),
    "patient_busy": _("The patient already has an appointment then."),
    "practitioner_not_eligible": _(
        "This practitioner is not qualified for this service."
    ),
    "room_required": _("This service needs a room."),
    "device_required": _("This service needs a device."),
    "other_clinic": _("Everything booked must belong to the same clinic."),
    "plan_not_approved": _("Only sessions of an approved plan can be booked."),
    "session_already_booked": _("This session already has an appointment."),
    "not_movable": _("Only held or booked appointments can be moved or cancelled."),
    "hold_expired": _("The hold on this time expired."),
    "slot_taken": _("That time was just taken. Please choose another."),
}


class BookingError(Exception):
    """A refused booking. `problems` are codes (keys of PROBLEM_MESSAGES)."""

    status_code = 400

    def __init__(self, problems: Iterable[str], detail: str = "") -> None:
        self.problems = tuple(problems)
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        words = [str(PROBLEM_MESSAGES.get(p, p)) for p in self.problems]
        if self.detail:
            words.append(self.detail)
        return " ".join(words)


class SlotTaken(BookingError):
    """Someone else has the time: a lost race or a conflict (HTTP 409)."""

    status_code = 409


class NotAvailable(BookingError):
    """Nobody or nothing is working then (HTTP 422)."""

    status_code = 422


class OutsideWindow(BookingError):
    """The day is outside the session's window and no override reason was given."""

    status_code = 422


class InvalidBooking(BookingError):
    status_code = 400
