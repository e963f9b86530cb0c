"""The optimizer's time axis: local wall-clock minutes, and who can work when.

Both the CP-SAT model and the greedy baseline count time in *local naive minutes*
since `start_on` 00:00 (`day * 1440 + minute of the local clock`), so working hours,
which are local clock times, repeat exactly every week and a session's local date is
`minute // 1440`. Wall clocks are not monotonic on DST days, so:

- no session (including its buffer) may touch a local minute that does not exist
  (spring gap) or happens twice (autumn fold) — clinics do not work at 01:30 on a
  Sunday night, and refusing those minutes keeps naive order equal to real order;
- a booked appointment touching such a minute blocks the whole gap or fold.

Instants are made with `wallclock.to_utc`, the project's one DST-aware converter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from skinterval.domain import wallclock
from skinterval.domain.optimizer_model import (
    PendingSession,
    ScheduleInstance,
    Series,
    Unscheduled,
    WorkingHours,
    first_target_on,
)

DAY_MIN = 1440
Span = tuple[int, int]  # [start, end) in local naive minutes


def merge(spans: list[Span]) -> tuple[Span, ...]:
    """Sorted, with touching or overlapping spans joined."""
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def intersect(xs: tuple[Span, ...], ys: tuple[Span, ...]) -> tuple[Span, ...]:
    out = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return merge(out)


@dataclass(frozen=True)
class Calendar:
    """Working spans per resource and day, busy spans, and the DST-unsafe minutes."""

    zone: ZoneInfo
    start_on: date
    n_days: int
    grid_min: int
    practitioner_spans: Mapping[str, tuple[tuple[Span, ...], ...]]
    room_spans: Mapping[str, tuple[tuple[Span, ...], ...] | None]
    busy: Mapping[str, tuple[Span, ...]]  # key "p:<id>", "r:<id>", "d:<id>"
    unsafe: tuple[Span, ...]
    _memo: dict[tuple[int, str, str | None, int, int], list[Span]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def day_of(self, on: date) -> int:
        return (on - self.start_on).days

    def date_of(self, day: int) -> date:
        return self.start_on + timedelta(days=day)

    def minute_of(self, instant: datetime, *, ceil: bool = False) -> int:
        local = instant.astimezone(self.zone)
        minute = self.day_of(local.date()) * DAY_MIN + local.hour * 60 + local.minute
        return minute + (1 if ceil and (local.second or local.microsecond) else 0)

    def instant(self, minute: int) -> datetime:
        day, clock = divmod(minute, DAY_MIN)
        at = wallclock.to_utc(
            self.date_of(day), time(clock // 60, clock % 60), self.zone
        )
        return at.astimezone(self.zone)

    def is_safe(self, start: int, end: int) -> bool:
        return all(end <= a or b <= start for a, b in self.unsafe)

    def room_open(self, room: str, start: int, end: int) -> bool:
        days = self.room_spans[room]
        if days is None:
            return True
        return any(a <= start and end <= b for a, b in days[start // DAY_MIN])

    def starts(
        self,
        day: int,
        practitioner: str,
        room: str | None,
        duration_min: int,
        buffer_min: int,
    ) -> list[Span]:
        """Grid indices g (start = g * grid_min) on `day`, as [lo, hi] ranges, at which
        the practitioner (and the room, when given) works for the whole session and
        the busy span avoids DST-unsafe minutes. Bookings are not considered here."""
        key = (day, practitioner, room, duration_min, buffer_min)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._starts(*key)
        return found

    def _starts(
        self,
        day: int,
        practitioner: str,
        room: str | None,
        duration_min: int,
        buffer_min: int,
    ) -> list[Span]:
        spans = self.practitioner_spans[practitioner][day]
        if room is not None:
            room_days = self.room_spans[room]
            if room_days is not None:
                spans = intersect(spans, room_days[day])
        return self.grid_ranges(spans, duration_min, buffer_min)

    def grid_ranges(
        self, spans: tuple[Span, ...], duration_min: int, buffer_min: int
    ) -> list[Span]:
        """Grid indices [lo, hi] whose session fits inside one of `spans` and whose
        busy span (session plus buffer) avoids DST-unsafe minutes."""
        g = self.grid_min
        out: list[Span] = []
        for a, b in spans:
            lo, hi = -(-a // g), (b - duration_min) // g
            for k in range(lo, hi + 1):
                t = k * g
                if not self.is_safe(t, t + duration_min + buffer_min):
                    continue
                if out and out[-1][1] == k - 1:
                    out[-1] = (out[-1][0], k)
                else:
                    out.append((k, k))
        return out


def _day_spans(
    hours: tuple[WorkingHours, ...], weekday: int, day: int
) -> tuple[Span, ...]:
    base = day * DAY_MIN
    return merge(
        [(base + h.start_min, base + h.end_min) for h in hours if h.weekday == weekday]
    )


def _unsafe_minutes(zone: ZoneInfo, first_on: date, n_days: int) -> tuple[Span, ...]:
    out: list[Span] = []
    for day in range(n_days):
        on = first_on + timedelta(days=day)
        start, end = wallclock.day_bounds(on, zone)
        if end - start == timedelta(hours=24):
            continue
        for minute in range(DAY_MIN):
            clock = time(minute // 60, minute % 60)
            if wallclock.is_nonexistent(on, clock, zone) or wallclock.is_ambiguous(
                on, clock, zone
            ):
                out.append((day * DAY_MIN + minute, day * DAY_MIN + minute + 1))
    return merge(out)


def build_calendar(instance: ScheduleInstance) -> Calendar:
    zone = instance.zone
    n_days = (instance.end_on - instance.start_on).days + 1
    dates = [instance.start_on + timedelta(days=d) for d in range(n_days)]
    practitioner_spans = {}
    for p in instance.practitioners:
        per_day = []
        for day, on in enumerate(dates):
            off = any(o.start_on <= on <= o.end_on for o in p.off)
            per_day.append(() if off else _day_spans(p.hours, on.weekday(), day))
        practitioner_spans[p.id] = tuple(per_day)
    room_spans: dict[str, tuple[tuple[Span, ...], ...] | None] = {}
    for r in instance.rooms:
        hours = r.hours
        room_spans[r.id] = (
            None
            if hours is None
            else tuple(_day_spans(hours, on.weekday(), d) for d, on in enumerate(dates))
        )
    unsafe = _unsafe_minutes(zone, instance.start_on, n_days)
    cal = Calendar(
        zone,
        instance.start_on,
        n_days,
        instance.grid_min,
        practitioner_spans,
        room_spans,
        {},
        unsafe,
    )
    busy: dict[str, list[Span]] = {}
    for b in instance.booked:
        a, z = cal.minute_of(b.start_at), cal.minute_of(b.end_at, ceil=True)
        a, z = min(a, z), max(a, z)
        for u0, u1 in unsafe:  # a booking touching a gap or fold blocks all of it
            if a < u1 and u0 < z:
                a, z = min(a, u0), max(z, u1)
        keys = [f"p:{b.practitioner}", f"r:{b.room}"]
        if b.device is not None:
            keys.append(f"d:{b.device}")
        for key in keys:
            busy.setdefault(key, []).append((a, z))
    return Calendar(
        zone,
        instance.start_on,
        n_days,
        instance.grid_min,
        practitioner_spans,
        room_spans,
        {k: merge(v) for k, v in sorted(busy.items())},
        unsafe,
    )


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionSpec:
    """One pending session that may be placed, with the days it could take."""

    series_index: int
    session_index: int
    series: Series
    session: PendingSession
    days: tuple[int, ...]  # candidate local days, ascending
    practitioner_days: Mapping[str, tuple[int, ...]]
    first_target_day: int | None  # fixed target day when first in its chain
    anchor_day: int | None  # last_done_on as a day index, for the first session

    @property
    def key(self) -> tuple[str, int]:
        return (self.series.id, self.session.number)


@dataclass(frozen=True)
class Prepared:
    """Sessions per series (a prefix of each series) and those that cannot be placed
    whatever the rest of the calendar does, with their reasons."""

    calendar: Calendar
    chains: tuple[tuple[SessionSpec, ...], ...]
    impossible: tuple[Unscheduled, ...]


def _workable(
    cal: Calendar, series: Series, practitioner: str, day: int, rooms: list[str]
) -> bool:
    for room in rooms:
        if cal.starts(day, practitioner, room, series.duration_min, series.buffer_min):
            return True
    return False


def prepare(instance: ScheduleInstance, cal: Calendar | None = None) -> Prepared:
    """Candidate days of every session from its window, its chain of windows and the
    working hours; sessions with none go to `impossible` with their series' tail."""
    cal = cal or build_calendar(instance)
    rooms = [r.id for r in instance.rooms]
    chains = []
    impossible = []
    for si, series in enumerate(instance.series):
        iv = series.interval_days
        chain: list[SessionSpec] = []
        lo_prev = hi_prev = None
        if series.last_done_on is not None:
            lo_prev = hi_prev = cal.day_of(series.last_done_on)
        for k, session in enumerate(series.sessions):
            lo = max(cal.day_of(session.earliest_on), 0)
            hi = min(cal.day_of(session.latest_on), cal.n_days - 1)
            reason = None
            if session.latest_on < instance.start_on or (
                session.earliest_on > instance.end_on
            ):
                reason = (
                    f"window {session.earliest_on}..{session.latest_on} is outside "
                    f"the horizon {instance.start_on}..{instance.end_on}"
                )
            elif lo_prev is not None and hi_prev is not None:
                lo, hi = max(lo, lo_prev + iv.min_days), min(hi, hi_prev + iv.max_days)
                if lo > hi:
                    reason = (
                        f"no day of its window {session.earliest_on}.."
                        f"{session.latest_on} inside the horizon is {iv.min_days}-"
                        f"{iv.max_days} days after the previous session"
                    )
            if reason is None and series.needs_device and not instance.devices:
                reason = "needs a device and the instance has none"
            per_practitioner: dict[str, tuple[int, ...]] = {}
            if reason is None:
                for pid in series.practitioners:
                    days = tuple(
                        d
                        for d in range(lo, hi + 1)
                        if _workable(cal, series, pid, d, rooms)
                    )
                    if days:
                        per_practitioner[pid] = days
                if not per_practitioner:
                    reason = (
                        "no eligible practitioner works with an open room on any day "
                        f"of its window {cal.date_of(lo)}..{cal.date_of(hi)}"
                    )
            if reason is not None:
                impossible.append(Unscheduled(series.id, session.number, reason))
                impossible.extend(
                    Unscheduled(
                        series.id,
                        later.number,
                        f"previous session {session.number} cannot be scheduled",
                    )
                    for later in series.sessions[k + 1 :]
                )
                break
            days_all = tuple(
                sorted({d for ds in per_practitioner.values() for d in ds})
            )
            chain.append(
                SessionSpec(
                    series_index=si,
                    session_index=k,
                    series=series,
                    session=session,
                    days=days_all,
                    practitioner_days=per_practitioner,
                    first_target_day=cal.day_of(first_target_on(series))
                    if k == 0
                    else None,
                    anchor_day=cal.day_of(series.last_done_on)
                    if k == 0 and series.last_done_on is not None
                    else None,
                )
            )
            lo_prev, hi_prev = days_all[0], days_all[-1]
        chains.append(tuple(chain))
    return Prepared(cal, tuple(chains), tuple(impossible))
