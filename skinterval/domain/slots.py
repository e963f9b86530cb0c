"""Free-slot search: where can a service happen, ranked for one patient's session.

Pure and fast. The caller loads, in one query per resource set and date range,
each resource's working time (already expanded to UTC intervals, minus time off and
closures) and its busy blocks (appointments widened by their buffers), and passes
them here. Internally instants are integer minutes since the Unix epoch, so the
inner loop compares ints and bisects sorted lists.

A candidate start `s` is possible when the whole block
`[s - buffer_before, s + duration + buffer_after)` lies inside free time of the
practitioner, of one room at the practitioner's location, of one device there (when
the service needs one) and of the patient. Starts sit on a grid of the clinic's
local clock (every 15 minutes: 09:00, 09:15, …), inside the session's window of
local dates, and not before `not_before` (now plus notice).

Ranking (lower is better): days from the target date dominate (see
`DAY_PENALTY`), then a patient's preferred weekdays and times of day, then keeping
the practitioner of the last session; ties go to the earlier start.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from skinterval.domain import wallclock

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

DAY_PENALTY = 10
OFF_PREFERRED_DAY_PENALTY = 3
OFF_PREFERRED_TIME_PENALTY = 3
OTHER_PRACTITIONER_PENALTY = 4
# The most that anything but the day can add; lets the search stop early.
MAX_NON_DAY_PENALTY = (
    OFF_PREFERRED_DAY_PENALTY + OFF_PREFERRED_TIME_PENALTY + OTHER_PRACTITIONER_PENALTY
)


def to_minutes(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: instants must be timezone-aware")
    return int((instant - EPOCH).total_seconds() // 60)


def to_minutes_at_or_after(instant: datetime) -> int:
    """The first whole minute at or after `instant` (`to_minutes` rounds down:
    at 10:30:05 the 10:30 start has passed)."""
    whole, rest = divmod(instant - EPOCH, timedelta(minutes=1))
    return whole + (1 if rest else 0)


def from_minutes(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Interval:
    """A half-open span of time [start, end) between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("naive datetime: instants must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("an interval must end after it starts")


@dataclass(frozen=True)
class FreeTime:
    """A stretch of a resource's working time at one location."""

    start: datetime
    end: datetime
    location_id: str


@dataclass(frozen=True)
class Resource:
    """A practitioner, room or device: when it works and when it is already taken.

    Rooms and devices sit at one location; a practitioner's location comes with
    each stretch of working time.
    """

    id: str
    free: Sequence[FreeTime]
    busy: Sequence[Interval] = ()
    # The same as `busy`, already in epoch minutes: callers that load thousands
    # of bookings can skip building a datetime for each.
    busy_min: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True)
class SlotRequest:
    duration_min: int
    earliest_on: date
    latest_on: date
    target_on: date | None = None
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    grid_min: int = 15
    not_before: datetime | None = None
    preferred_weekdays: frozenset[int] = frozenset()
    preferred_times: tuple[tuple[time, time], ...] = ()
    last_practitioner_id: str | None = None
    limit: int = 10
    per_day_limit: int | None = None

    def __post_init__(self) -> None:
        if self.duration_min <= 0:
            raise ValueError("duration_min must be positive")
        if self.buffer_before_min < 0 or self.buffer_after_min < 0:
            raise ValueError("buffers cannot be negative")
        if not 1 <= self.grid_min <= 240:
            raise ValueError("grid_min must be between 1 and 240")
        if self.latest_on < self.earliest_on:
            raise ValueError("latest_on is before earliest_on")
        if self.limit < 1:
            raise ValueError("limit must be at least 1")


@dataclass(frozen=True)
class SlotFit:
    """Why a slot ranks where it does; None means "no preference was given"."""

    days_from_target: int
    preferred_day: bool | None
    preferred_time: bool | None
    same_practitioner: bool | None


@dataclass(frozen=True, order=True)
class Slot:
    score: int
    start: datetime
    end: datetime
    practitioner_id: str = field(compare=False)
    room_id: str | None = field(compare=False)
    device_id: str | None = field(compare=False)
    location_id: str = field(compare=False)
    fit: SlotFit = field(compare=False)


class _Free:
    """Sorted, disjoint free spans of one resource in epoch minutes."""

    __slots__ = ("ends", "id", "location_ids", "starts")

    def __init__(self, resource_id: str, spans: Iterable[tuple[int, int, str]]) -> None:
        self.id = resource_id
        ordered = sorted(spans)
        self.starts = [s for s, _, _ in ordered]
        self.ends = [e for _, e, _ in ordered]
        self.location_ids = [loc for _, _, loc in ordered]

    def location_covering(self, start: int, end: int) -> str | None:
        """The location of the free span holding [start, end), if one does."""
        i = bisect_right(self.starts, start) - 1
        if i >= 0 and self.ends[i] >= end:
            return self.location_ids[i]
        return None


def _subtract(
    free: Sequence[FreeTime],
    busy: Sequence[Interval],
    busy_min: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int, str]]:
    """Free spans minus busy blocks, in epoch minutes."""
    blocks = _merged(
        sorted([*((to_minutes(b.start), to_minutes(b.end)) for b in busy), *busy_min])
    )
    result: list[tuple[int, int, str]] = []
    for span in free:
        start, end = to_minutes(span.start), to_minutes(span.end)
        i = max(bisect_right(blocks, (start, start)) - 1, 0)
        cursor = start
        while i < len(blocks) and blocks[i][0] < end:
            b_start, b_end = blocks[i]
            if b_end > cursor:
                if b_start > cursor:
                    result.append((cursor, min(b_start, end), span.location_id))
                cursor = max(cursor, b_end)
            i += 1
        if cursor < end:
            result.append((cursor, end, span.location_id))
    return result


def _merged(blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of sorted blocks, so that starts and ends both ascend and a bisect on
    starts cannot skip a long block that began earlier."""
    merged: list[tuple[int, int]] = []
    for start, end in blocks:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _free(resource: Resource) -> _Free:
    return _Free(
        resource.id, _subtract(resource.free, resource.busy, resource.busy_min)
    )


def find_slots(
    request: SlotRequest,
    *,
    zone: ZoneInfo,
    practitioners: Sequence[Resource],
    rooms: Sequence[Resource] | None,
    devices: Sequence[Resource] | None,
    patient_busy: Sequence[Interval] = (),
) -> list[Slot]:
    """The best `request.limit` slots, best first.

    `rooms=None` / `devices=None` mean the service needs no room / device. Rooms
    and devices must carry their one location in every FreeTime.
    """
    room_free = [_free(r) for r in rooms] if rooms is not None else None
    device_free = [_free(d) for d in devices] if devices is not None else None
    everywhere = FreeTime(_search_start(request, zone), _search_end(request, zone), "")
    patient_free = _Free("patient", _subtract([everywhere], patient_busy))
    prac_free = [_free(p) for p in practitioners]

    before = request.buffer_before_min
    length = request.duration_min
    after = request.buffer_after_min
    not_before = (
        to_minutes_at_or_after(request.not_before) if request.not_before else None
    )
    target = request.target_on or request.earliest_on
    target = min(max(target, request.earliest_on), request.latest_on)

    found: list[Slot] = []
    for day_distance, day in _days_by_distance(request, target):
        if len(found) >= request.limit:
            worst = found[request.limit - 1].score
            if DAY_PENALTY * day_distance > worst:
                break
        day_start, day_end = (to_minutes(x) for x in wallclock.day_bounds(day, zone))
        day_slots: list[Slot] = []
        for prac in prac_free:
            for start in _grid_starts(prac, day_start, day_end, request, zone):
                if not_before is not None and start < not_before:
                    continue
                block_start, block_end = start - before, start + length + after
                location = prac.location_covering(block_start, block_end)
                if location is None:
                    continue
                if patient_free.location_covering(block_start, block_end) is None:
                    continue
                room: str | None = None
                if room_free is not None:
                    room = _first_at(room_free, location, block_start, block_end)
                    if room is None:
                        continue
                device: str | None = None
                if device_free is not None:
                    device = _first_at(device_free, location, block_start, block_end)
                    if device is None:
                        continue
                day_slots.append(
                    _rank(
                        request,
                        zone,
                        day,
                        day_distance,
                        start,
                        prac.id,
                        room,
                        device,
                        location,
                    )
                )
        day_slots.sort()
        if request.per_day_limit is not None:
            day_slots = day_slots[: request.per_day_limit]
        found = sorted(found + day_slots)[: max(request.limit, 1)]
    return found[: request.limit]


def _search_start(request: SlotRequest, zone: ZoneInfo) -> datetime:
    """A day of margin each side covers blocks whose buffers cross midnight."""
    return wallclock.day_bounds(request.earliest_on, zone)[0] - timedelta(days=1)


def _search_end(request: SlotRequest, zone: ZoneInfo) -> datetime:
    return wallclock.day_bounds(request.latest_on, zone)[1] + timedelta(days=1)


def _days_by_distance(request: SlotRequest, target: date) -> list[tuple[int, date]]:
    """Window days nearest the target first; earlier first on equal distance."""
    window = wallclock.days(request.earliest_on, request.latest_on)
    return sorted((abs((d - target).days), d) for d in window)


def _grid_starts(
    prac: _Free, day_start: int, day_end: int, request: SlotRequest, zone: ZoneInfo
) -> Iterable[int]:
    """Starts on the local-clock grid inside the practitioner's free spans today."""
    grid = request.grid_min
    i = max(bisect_right(prac.starts, day_start) - 1, 0)
    while i < len(prac.starts) and prac.starts[i] < day_end:
        span_start = max(prac.starts[i], day_start) + request.buffer_before_min
        span_end = min(prac.ends[i], day_end)
        offset = _offset_minutes(span_start, zone)
        local = span_start + offset
        first = local + (-local % grid) - offset
        latest = span_end - request.duration_min - request.buffer_after_min
        yield from range(first, latest + 1, grid)
        i += 1


def _offset_minutes(minute: int, zone: ZoneInfo) -> int:
    offset = from_minutes(minute).astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _first_at(
    candidates: Sequence[_Free], location: str, start: int, end: int
) -> str | None:
    for resource in candidates:
        if resource.location_covering(start, end) == location:
            return resource.id
    return None


def _rank(
    request: SlotRequest,
    zone: ZoneInfo,
    day: date,
    day_distance: int,
    start: int,
    practitioner_id: str,
    room_id: str | None,
    device_id: str | None,
    location_id: str,
) -> Slot:
    start_at = from_minutes(start)
    local = start_at.astimezone(zone)
    preferred_day = (
        local.weekday() in request.preferred_weekdays
        if request.preferred_weekdays
        else None
    )
    preferred_time = (
        any(lo <= local.time() < hi for lo, hi in request.preferred_times)
        if request.preferred_times
        else None
    )
    same = (
        practitioner_id == request.last_practitioner_id
        if request.last_practitioner_id
        else None
    )
    score = (
        DAY_PENALTY * day_distance
        + (OFF_PREFERRED_DAY_PENALTY if preferred_day is False else 0)
        + (OFF_PREFERRED_TIME_PENALTY if preferred_time is False else 0)
        + (OTHER_PRACTITIONER_PENALTY if same is False else 0)
    )
    return Slot(
        score=score,
        start=start_at,
        end=start_at + timedelta(minutes=request.duration_min),
        practitioner_id=practitioner_id,
        room_id=room_id,
        device_id=device_id,
        location_id=location_id,
        fit=SlotFit(
            days_from_target=(day - (request.target_on or day)).days,
            preferred_day=preferred_day,
            preferred_time=preferred_time,
            same_practitioner=same,
        ),
    )


def _covers(spans: Sequence[FreeTime], start: int, end: int) -> str | None:
    """The location of a raw working span holding [start, end), ignoring busy."""
    return _Free(
        "", ((to_minutes(f.start), to_minutes(f.end), f.location_id) for f in spans)
    ).location_covering(start, end)


def check_slot(
    request: SlotRequest,
    *,
    zone: ZoneInfo,
    start: datetime,
    practitioner: Resource,
    room: Resource | None,
    device: Resource | None,
    patient_busy: Sequence[Interval] = (),
) -> list[str]:
    """Why one specific booking cannot happen, as problem codes; [] when it can.

    The same rules as `find_slots`, for a time someone picked by hand. Codes:
    `in_the_past`, `outside_window`, `practitioner_not_working`,
    `practitioner_busy`, `room_unavailable`, `room_elsewhere`, `room_busy`,
    `device_unavailable`, `device_elsewhere`, `device_busy`,
    `patient_busy`. Conflicts with other bookings end in `_busy`.
    """
    problems: list[str] = []
    begin = to_minutes(start)
    block = (
        begin - request.buffer_before_min,
        begin + request.duration_min + request.buffer_after_min,
    )
    if request.not_before is not None and start < request.not_before:
        problems.append("in_the_past")
    day = wallclock.local_date(start, zone)
    if not request.earliest_on <= day <= request.latest_on:
        problems.append("outside_window")
    location = _covers(practitioner.free, *block)
    if location is None:
        problems.append("practitioner_not_working")
    elif _free(practitioner).location_covering(*block) is None:
        problems.append("practitioner_busy")
    for kind, resource in (("room", room), ("device", device)):
        if resource is None:
            continue
        covered_at = _covers(resource.free, *block)
        if covered_at is None:
            problems.append(f"{kind}_unavailable")
        elif location is not None and covered_at != location:
            problems.append(f"{kind}_elsewhere")
        elif _free(resource).location_covering(*block) is None:
            problems.append(f"{kind}_busy")
    visit = (begin, begin + request.duration_min)
    if any(
        to_minutes(b.start) < visit[1] and visit[0] < to_minutes(b.end)
        for b in patient_busy
    ):
        problems.append("patient_busy")
    return problems
