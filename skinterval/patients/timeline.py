"""The patient's timeline: everything that happened (or is booked), newest first,
grouped by day in the clinic's time zone.

Each kind of event comes from one *source*: a function taking a
`TimelineContext` and returning `TimelineEntry` rows, in a fixed number of
queries (one `select_related`/`prefetch_related` query set, never one query per
row). `patient_timeline` runs every source in `SOURCES` and sorts the result.

To add a kind (check-ins, scores, photos, ... as later models arrive), write one
source function next to the others and add it to `SOURCES`; nothing else
changes. Keep its query count constant: the chart page's test asserts it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from skinterval.appointments.models import AppointmentStatus
from skinterval.charting.models import ChartStatus, ConsentStatus
from skinterval.charting.queries import patient_consents, patient_session_charts
from skinterval.patients import labels
from skinterval.patients.models import Patient


@dataclass(frozen=True)
class TimelineEntry:
    """One event. `on` is the clinic-local day it belongs to; `at` the instant,
    when known and on that day (it orders entries within the day)."""

    on: date
    at: datetime | None
    kind: str  # "plan", "appointment", "session", "consent", ...
    title: str
    detail: str
    url: str | None


@dataclass(frozen=True)
class TimelineDay:
    on: date
    entries: tuple[TimelineEntry, ...]


@dataclass(frozen=True)
class TimelineContext:
    patient: Patient
    zone: ZoneInfo
    can_open_charts: bool  # the viewer may open session charts (practitioners)


Source = Callable[[TimelineContext], Iterable[TimelineEntry]]


def patient_timeline(
    patient: Patient,
    *,
    can_open_charts: bool = True,
    sources: Sequence[Source] | None = None,
) -> list[TimelineEntry]:
    """Every entry of every source, newest first."""
    context = TimelineContext(
        patient=patient, zone=patient.clinic.zone, can_open_charts=can_open_charts
    )
    entries = [
        entry
        for source in (SOURCES if sources is None else sources)
        for entry in source(context)
    ]
    entries.sort(key=_newest_first)
    return entries


def by_day(entries: Iterable[TimelineEntry]) -> Iterator[TimelineDay]:
    """Consecutive entries of the same day, as days (keeps the given order)."""
    for on, group in itertools.groupby(entries, key=lambda e: e.on):
        yield TimelineDay(on=on, entries=tuple(group))


def _newest_first(entry: TimelineEntry) -> tuple[int, float]:
    # Within a day, timed entries newest first, then those without a time. The
    # sort is stable: ties keep the order of SOURCES and of each source's rows
    # (each yields its own rows newest first).
    stamp = entry.at.timestamp() if entry.at is not None else float("-inf")
    return (-entry.on.toordinal(), -stamp)


def _local(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def _time_on(on: date, at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """`at`, if it falls on the local day `on` (so it may be shown as its time)."""
    return at if at is not None and _local(at, zone) == on else None


# --------------------------------------------------------------------------- sources


def plan_entries(context: TimelineContext) -> Iterator[TimelineEntry]:
    """Each assessment and the plan version made from it, on the assessment day."""
    for plan in context.patient.plans.order_by("-version"):
        detail = _("%(status)s; decision: %(decision)s") % {
            "status": plan.get_status_display(),
            "decision": labels.label(labels.DECISION_LABELS, plan.decision),
        }
        if plan.requires_physician_review:
            detail += "; " + _("needs a physician's review")
        yield TimelineEntry(
            on=plan.assessed_on,
            at=_time_on(plan.assessed_on, plan.created_at, context.zone),
            kind="plan",
            title=_("Assessment and plan, version %(version)s")
            % {"version": plan.version},
            detail=detail,
            url=reverse("plans:detail", args=[plan.pk]),
        )


def appointment_entries(context: TimelineContext) -> Iterator[TimelineEntry]:
    """Appointments, past and booked; short-lived holds made while booking are not
    part of the record. Cancelled ones stay, marked as such."""
    rows = (
        context.patient.appointments.exclude(status=AppointmentStatus.HELD)
        .select_related("service_type", "plan_session", "practitioner")
        .order_by("-starts_at")
    )
    for appointment in rows:
        if appointment.plan_session is not None:
            title = _("%(service)s, session %(number)s") % {
                "service": appointment.service_type.name,
                "number": appointment.plan_session.number,
            }
        else:
            title = appointment.service_type.name
        detail = _("%(status)s, with %(practitioner)s") % {
            "status": appointment.get_status_display(),
            "practitioner": appointment.practitioner.display_name,
        }
        if appointment.cancellation_reason:
            detail += " — " + appointment.cancellation_reason
        yield TimelineEntry(
            on=_local(appointment.starts_at, context.zone),
            at=appointment.starts_at,
            kind="appointment",
            title=title,
            detail=detail,
            url=reverse("appointments:detail", args=[appointment.pk]),
        )


def session_entries(context: TimelineContext) -> Iterator[TimelineEntry]:
    """Charted sessions: areas and depth treated, the immediate reaction; or why
    the session was held at the safety re-check."""
    for chart in patient_session_charts(context.patient):
        plan_session = chart.appointment.plan_session
        number = plan_session.number if plan_session is not None else None
        if chart.status == ChartStatus.COMPLETED:
            title = (
                _("Session %(number)s charted") % {"number": number}
                if number
                else _("Session charted")
            )
            areas = sorted(chart.areas.all(), key=lambda a: a.area)
            deepest = max((a.depth_mm for a in areas), default=Decimal(0))
            detail = _(
                "Treated: %(areas)s; deepest %(depth)s mm; "
                "immediate reaction: %(reaction)s"
            ) % {
                "areas": ", ".join(
                    f"{labels.label(labels.AREA_LABELS, a.area)} {a.depth_mm} mm"
                    for a in areas
                )
                or _("no area recorded"),
                "depth": deepest,
                "reaction": chart.get_reaction_display(),
            }
        elif chart.status == ChartStatus.HELD:
            title = (
                _("Session %(number)s held at the safety re-check") % {"number": number}
                if number
                else _("Session held at the safety re-check")
            )
            detail = _("Held for: %(reasons)s") % {
                "reasons": "; ".join(chart.held_for) or _("see the chart")
            }
        else:
            title = (
                _("Session %(number)s being charted") % {"number": number}
                if number
                else _("Session being charted")
            )
            detail = _("Safety re-check passed; treatment not charted yet.")
        at = chart.completed_at or chart.checked_in_at
        on = chart.performed_on or _local(at, context.zone)
        yield TimelineEntry(
            on=on,
            at=_time_on(on, at, context.zone),
            kind="session",
            title=title,
            detail=detail,
            url=reverse("charting:chart", args=[chart.appointment_id])
            if context.can_open_charts
            else None,
        )


def consent_entries(context: TimelineContext) -> Iterator[TimelineEntry]:
    """Consents signed, and withdrawn (a replaced one shows as the newer signing)."""
    url = reverse("charting:consents", args=[context.patient.pk])
    for consent in patient_consents(context.patient):
        kind = consent.get_kind_display()
        parts = [_("text version %(v)s") % {"v": consent.text_version}]
        if consent.photo_scope:
            parts.append(
                _("may be used for: %(scope)s")
                % {"scope": consent.get_photo_scope_display()}
            )
        if consent.witnessed_by is not None:
            parts.append(
                _("witnessed by %(who)s") % {"who": consent.witnessed_by.display_name}
            )
        yield TimelineEntry(
            on=_local(consent.signed_at, context.zone),
            at=consent.signed_at,
            kind="consent",
            title=_("Consent signed: %(kind)s") % {"kind": kind},
            detail="; ".join(parts),
            url=url,
        )
        if consent.status == ConsentStatus.WITHDRAWN and consent.ended_at:
            parts = []
            if consent.withdrawal_reason:
                parts.append(consent.withdrawal_reason)
            if consent.withdrawn_by is not None:
                parts.append(
                    _("recorded by %(who)s")
                    % {"who": consent.withdrawn_by.display_name}
                )
            yield TimelineEntry(
                on=_local(consent.ended_at, context.zone),
                at=consent.ended_at,
                kind="consent",
                title=_("Consent withdrawn: %(kind)s") % {"kind": kind},
                detail="; ".join(parts),
                url=url,
            )


def intake_entries(context: TimelineContext) -> Iterator[TimelineEntry]:
    """Intake questionnaires the patient answered (online booking), with how many
    answers the clinical rules flag for the practitioner."""
    from skinterval.booking.queries import patient_intakes

    for intake in patient_intakes(context.patient):
        flagged = len(intake.findings or [])
        yield TimelineEntry(
            on=_local(intake.answered_at, context.zone),
            at=intake.answered_at,
            kind="intake",
            title=_("Intake questionnaire answered"),
            detail=ngettext(
                "%(n)d answer flagged for the practitioner",
                "%(n)d answers flagged for the practitioner",
                flagged,
            )
            % {"n": flagged}
            if flagged
            else _("nothing flagged"),
            url=reverse("intake:detail", args=[intake.pk]),
        )


def score_entries(context: TimelineContext) -> Iterator[TimelineEntry]:
    """Scores recorded, one entry per visit (or baseline day) and reporter: each
    area's total on each scale."""
    from skinterval.outcomes.charts import visit_label
    from skinterval.outcomes.queries import scores_for_patient
    from skinterval.outcomes.score_labels import scale_label

    groups: dict[tuple[date, int | None, int | None], list[Any]] = {}
    for score in scores_for_patient(context.patient):
        key = (score.scored_on, score.appointment_id, score.scored_by_id)
        groups.setdefault(key, []).append(score)
    url = reverse("outcomes:patient_scores", args=[context.patient.pk])
    for (on, _visit, _by), rows in sorted(
        groups.items(),
        key=lambda g: (g[0][0], max(s.created_at for s in g[1])),
        reverse=True,
    ):
        first = rows[0]
        title = _("Scores recorded: %(visit)s") % {"visit": visit_label(first)}
        if first.scored_by is None:
            title = _("Scores reported by the patient: %(visit)s") % {
                "visit": visit_label(first)
            }
        detail = "; ".join(
            _("%(area)s, %(scale)s: %(total)s")
            % {
                "area": labels.label(labels.AREA_LABELS, s.area),
                "scale": scale_label(s.scale),
                "total": f"{s.total.normalize():f}",
            }
            for s in rows
        )
        if first.scored_by is not None:
            detail += " — " + _("by %(who)s") % {"who": first.scored_by.display_name}
        latest = max(s.created_at for s in rows)
        yield TimelineEntry(
            on=on,
            at=_time_on(on, latest, context.zone),
            kind="score",
            title=title,
            detail=detail,
            url=url,
        )


SOURCES: tuple[Source, ...] = (
    plan_entries,
    appointment_entries,
    session_entries,
    consent_entries,
    intake_entries,
    score_entries,
)
