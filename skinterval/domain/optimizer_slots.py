"""Free time of every practitioner, room and device as bit masks of grid slots.

The path heuristics (`optimizer_dp`) ask "could this session go on day d, and with
whom?" hundreds of thousands of times; walking minute spans per start and room (as
`optimizer_greedy.fits` does) is far too slow for that. Here each (resource, day)
has an int whose bit j says that grid slot j of that day is taken, so the starts
at which a session is free on a resource are a few shifts and ands.

Session starts lie on the grid, so rounding a taken span out to whole slots
(start down, end up) never forbids a start that is really free of another
session; against a booked appointment that does not sit on the grid it may
forbid a start the minute check would allow. So every placement found here is
valid (the validator re-checks all of them), possibly a little conservative.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence

from skinterval.domain.optimizer_calendar import DAY_MIN, Calendar, SessionSpec
from skinterval.domain.optimizer_greedy import Placement

Key = tuple[str, int]
# Extra slots kept after a day's last slot, so a buffer may run past midnight.
SPILL = 24


class Slots:
    """Taken slots per resource and day, and the starts each session may use."""

    def __init__(
        self,
        cal: Calendar,
        rooms: Sequence[str],
        devices: Sequence[str],
    ) -> None:
        self.cal = cal
        self.g = cal.grid_min
        self.rooms = list(rooms)
        self.devices = list(devices)
        self.taken: dict[tuple[str, int], int] = {}
        self.busy = cal.busy
        self._version: dict[int, int] = {}  # per day, bumped by every change
        self._common: dict[tuple[int, int, int, bool], tuple[int, int]] = {}
        self._allowed: dict[tuple[str, int, int, int], int] = {}
        self._ends = {key: [b for _, b in spans] for key, spans in cal.busy.items()}
        for key, spans in cal.busy.items():
            for a, b in spans:
                self._mark(key, a, b, add=True)
        # rooms with office hours first: the all-day rooms stay free for late starts
        self.rooms.sort(key=lambda r: (cal.room_spans[r] is None, r))
        self._room_keys = [f"r:{r}" for r in self.rooms]
        self._device_keys = [f"d:{d}" for d in self.devices]

    # ----------------------------------------------------------------- masks

    def base(self, day: int) -> int:
        """Global grid index of the first slot that starts on `day` or later."""
        return -(-day * DAY_MIN // self.g)

    def _mark(self, key: str, a: int, b: int, *, add: bool) -> None:
        first, last = a // self.g, -(-b // self.g)  # slots [first, last)
        for day in range(max(0, a // DAY_MIN - 1), (b - 1) // DAY_MIN + 1):
            lo = self.base(day)
            hi = lo + DAY_MIN // self.g + SPILL
            s, e = max(first, lo), min(last, hi)
            if s >= e:
                continue
            bits = ((1 << (e - s)) - 1) << (s - lo)
            old = self.taken.get((key, day), 0)
            self.taken[(key, day)] = old | bits if add else old & ~bits
            self._version[day] = self._version.get(day, 0) + 1

    def allowed(self, resource: str, day: int, duration: int, buffer: int) -> int:
        """Starts (bits from the day's base) inside the practitioner's working
        hours (`p:<id>`) or the room's opening hours (`r:<id>`), DST-safe."""
        key = (resource, day, duration, buffer)
        found = self._allowed.get(key)
        if found is not None:
            return found
        kind, rid = resource.split(":", 1)
        if kind == "p":
            ranges = self.cal.starts(day, rid, None, duration, buffer)
        else:
            room_days = self.cal.room_spans[rid]
            if room_days is None:
                self._allowed[key] = -1
                return -1
            ranges = self.cal.grid_ranges(room_days[day], duration, buffer)
        lo = self.base(day)
        mask = 0
        for a, b in ranges:
            mask |= ((1 << (b - a + 1)) - 1) << (a - lo)
        self._allowed[key] = mask
        return mask

    def free_starts(self, key: str, day: int, n: int) -> int:
        """Starts at which `n` slots from there are free on the resource (as a
        mask that is only meaningful where some `allowed` mask is set)."""
        taken = self.taken.get((key, day), 0)
        if not taken:
            return -1
        x = taken
        for i in range(1, n):
            x |= taken >> i
        return ~x

    # ----------------------------------------------------------------- queries

    def _n(self, spec: SessionSpec) -> int:
        s = spec.series
        return -(-(s.duration_min + s.buffer_min) // self.g)

    def common(self, spec: SessionSpec, day: int) -> int:
        """Starts on `day` at which some room and (when needed) some device are
        free for the whole session and its buffer, whoever the practitioner."""
        s = spec.series
        dur, buf, n = s.duration_min, s.buffer_min, self._n(spec)
        key = (day, dur, buf, s.needs_device)
        version = self._version.get(day, 0)
        cached = self._common.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        rooms = 0
        for r in self._room_keys:
            open_ = self.allowed(r, day, dur, buf)
            if open_:
                rooms |= open_ & self.free_starts(r, day, n)
        if rooms and s.needs_device:
            devices = 0
            for d in self._device_keys:
                devices |= self.free_starts(d, day, n)
            rooms &= devices
        self._common[key] = (version, rooms)
        return rooms

    def starts(
        self, spec: SessionSpec, day: int, practitioner: str, common: int | None = None
    ) -> int:
        """Every start on `day` at which the practitioner, some room and (when
        needed) some device are free for the whole session and its buffer."""
        s = spec.series
        mask = self.allowed(f"p:{practitioner}", day, s.duration_min, s.buffer_min)
        if not mask:
            return 0
        mask &= self.free_starts(f"p:{practitioner}", day, self._n(spec))
        if not mask:
            return 0
        return mask & (self.common(spec, day) if common is None else common)

    def place(
        self, spec: SessionSpec, day: int, practitioner: str, start_bit: int
    ) -> Placement | None:
        """A concrete room and device for a start found by `starts`."""
        s = spec.series
        dur, buf, n = s.duration_min, s.buffer_min, self._n(spec)
        bit = 1 << start_bit
        room = next(
            (
                r
                for r in self.rooms
                if self.allowed(f"r:{r}", day, dur, buf)
                & self.free_starts(f"r:{r}", day, n)
                & bit
            ),
            None,
        )
        if room is None:
            return None
        device = None
        if s.needs_device:
            device = next(
                (d for d in self.devices if self.free_starts(f"d:{d}", day, n) & bit),
                None,
            )
            if device is None:
                return None
        start = (self.base(day) + start_bit) * self.g
        return Placement(practitioner, room, device, start)

    def first(self, spec: SessionSpec, day: int, practitioner: str) -> Placement | None:
        """The earliest free start of the practitioner that day, with a room."""
        mask = self.starts(spec, day, practitioner)
        if not mask:
            return None
        return self.place(spec, day, practitioner, self._snug(mask))

    def _snug(self, mask: int) -> int:
        """The earliest start in a hole the session fills exactly, else the
        earliest start: odd holes between consultations are what stop an
        hour-long session from fitting later."""
        best, best_score = -1, -1
        free = mask
        while free:
            low = free & -free
            t = low.bit_length() - 1
            free ^= low
            score = (not (mask >> (t - 1)) & 1 if t else 1) + (
                not (mask >> (t + 1)) & 1
            )
            if score > best_score:
                best, best_score = t, score
                if score == 2:
                    break
        return best

    def current(self, spec: SessionSpec, start: int | None) -> Placement | None:
        """Today's booking (at naive minute `start`) if it is still free."""
        cur = spec.session.current
        if cur is None or start is None:
            return None
        s = spec.series
        dur, buf, n = s.duration_min, s.buffer_min, self._n(spec)
        day = start // DAY_MIN
        if start % self.g:
            return None
        bit = 1 << (start // self.g - self.base(day))
        p_ok = (
            self.allowed(f"p:{cur.practitioner}", day, dur, buf)
            & self.free_starts(f"p:{cur.practitioner}", day, n)
            & bit
        )
        r_ok = (
            cur.room in self.cal.room_spans
            and self.allowed(f"r:{cur.room}", day, dur, buf)
            & self.free_starts(f"r:{cur.room}", day, n)
            & bit
        )
        if not (p_ok and r_ok):
            return None
        device = None
        if s.needs_device:
            order = [cur.device] if cur.device in self.devices else []
            order += [d for d in self.devices if d != cur.device]
            device = next(
                (d for d in order if self.free_starts(f"d:{d}", day, n) & bit), None
            )
            if device is None:
                return None
        return Placement(cur.practitioner, cur.room, device, start)

    # ----------------------------------------------------------------- updates

    def _keys(self, p: Placement) -> list[str]:
        keys = [f"p:{p.practitioner}", f"r:{p.room}"]
        if p.device is not None:
            keys.append(f"d:{p.device}")
        return keys

    def take(self, spec: SessionSpec, p: Placement) -> None:
        end = p.start + self._n(spec) * self.g
        for key in self._keys(p):
            self._mark(key, p.start, end, add=True)

    def release(self, spec: SessionSpec, p: Placement) -> None:
        """Free a session's slots (bookings sharing one of them stay taken)."""
        end = p.start + self._n(spec) * self.g
        for key in self._keys(p):
            self._mark(key, p.start, end, add=False)
            spans = self.busy.get(key, ())  # merged: sorted by start and by end
            first = bisect_left(self._ends.get(key, ()), p.start - self.g + 1)
            for a, b in spans[first:]:  # a booking sharing a rounded slot
                if a >= end + self.g:
                    break
                if p.start - self.g < b:
                    self._mark(key, a, b, add=True)

    def take_all(
        self, specs: Mapping[Key, SessionSpec], placed: Mapping[Key, Placement]
    ) -> None:
        for key in sorted(placed):
            self.take(specs[key], placed[key])
