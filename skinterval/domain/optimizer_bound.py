"""A proven lower bound of the objective: series apart, capacity priced in.

Relaxing every resource shared between series leaves one shortest-path problem
per series (`optimizer_dp.chain_paths`), and the sum of their optima bounds
every schedule's cost. That alone ignores that all patients want their
preferred practitioner on the same Tuesdays, so the capacities are put back as
Lagrangian prices: for any prices λ ≥ 0 on

    Σ grid slots of the sessions of practitioner p on day d ≤ cap(p, d)
    Σ grid slots of all sessions on day d             ≤ rooms' cap(d)
    Σ grid slots of device sessions on day d          ≤ devices' cap(d)
    Σ grid slots of p's sessions of ≥ k slots on d    ≤ cap_k(p, d)

each session pays λ × its slots (⌈busy minutes / grid⌉) where it goes, the
series are solved apart again, and Σ optimum − Σ λ × cap is again a lower bound
(weak duality), because every real schedule meets those capacities. Counting
slots rather than minutes sees fragmentation: a 55-minute session blocks four
15-minute starts, and a free run between bookings holds only what the sessions'
sizes can fill (a one-slot hole holds nothing); see `_Runs` for the proof that
every real schedule fits. The same count over the sessions of at least k slots
(`cap_k`) sees that a hole between two consultations may hold a half-hour
session but no hour-long one. The prices come from the LP of this same
relaxation (`optimizer._DayCapacityLP`, column generation over the series
paths), or, without it, from subgradient steps that raise the prices where the
relaxed series pile up. Either way the bound is Σ optimum − Σ λ × cap
evaluated here at prices ≥ 0, so it never depends on the LP being accurate.
The best value seen is kept for every count of placed sessions (`by_count`),
and rounded up, since every cost is an integer.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from skinterval.domain.optimizer_calendar import (
    DAY_MIN,
    Calendar,
    Prepared,
    SessionSpec,
    Span,
    merge,
)
from skinterval.domain.optimizer_dp import (
    INF,
    KEEP,
    Path,
    chain_paths,
    current_start,
    moved_cost,
    placement_table,
    table_lengths,
)
from skinterval.domain.optimizer_model import (
    WEIGHT_MOVE,
    WEIGHT_PRACTITIONER_CHANGE,
    ScheduleInstance,
)


def slots_of(spec: SessionSpec, grid_min: int) -> int:
    """Grid slots a session's busy span reaches into: the next session on the
    same resource cannot start before the end of the last one."""
    s = spec.series
    return -(-(s.duration_min + s.buffer_min) // grid_min)


def _fillable(sizes: set[int], longest: int) -> list[int]:
    """For every run length up to `longest`, the most slots that sessions of
    the given sizes can fill in it (a knapsack with unlimited copies)."""
    reach = [True] + [False] * longest
    for n in range(1, longest + 1):
        reach[n] = any(n >= k and reach[n - k] for k in sizes)
    best, out = 0, []
    for n in range(longest + 1):
        best = n if reach[n] else best
        out.append(best)
    return out


class _Runs:
    """Usable slots of one resource on one day, counted run by run.

    Slot j (minutes [j·g, (j+1)·g)) is usable when its first minute lies in
    `spans` and in no booking of the resource. A session starting on the grid
    at slot s with busy span b covers the first minutes of slots s .. s+n−1
    (n = ⌈b / g⌉), so those slots are usable, consecutive, and covered by no
    other session: the sessions of a day fill disjoint pieces of the runs, and
    each run holds at most what the session sizes can fill in it."""

    def __init__(self, cal: Calendar, sizes: set[int]) -> None:
        self.cal = cal
        self.sizes = sizes
        self.fill = _fillable(sizes, DAY_MIN // cal.grid_min * 2)

    def capacity(
        self, key: str, spans: Sequence[Span], fill: list[int] | None = None
    ) -> int:
        """Slots the runs hold for sessions of every size (`fill` given: of the
        sizes it was made for)."""
        fill = self.fill if fill is None else fill
        g = self.cal.grid_min
        booked = self.cal.busy.get(key, ())  # merged, so sorted by start and end
        total = 0
        for a, b in merge(list(spans)):
            near = []
            for c, e in booked[max(0, bisect_right(booked, (a, a)) - 1) :]:
                if c >= b:
                    break
                if e > a:
                    near.append((c, e))
            run = 0
            for j in range(-(-a // g), -(-b // g)):
                t = j * g
                if any(c <= t < e for c, e in near):
                    total += fill[min(run, len(fill) - 1)]
                    run = 0
                else:
                    run += 1
            total += fill[min(run, len(fill) - 1)]
        return total


@dataclass(frozen=True)
class Capacities:
    """Usable grid slots (`_Runs`), never fewer than any real schedule fills:
    per practitioner-day (`p`), per day over all rooms (`r`) and over all
    devices (`d`), and per practitioner-day for the sessions of at least a
    size (`q`, keyed (slots, practitioner, day)): a hole that only a short
    session fits holds none of the long ones. A `q` row is kept only where it
    is below the practitioner-day's own."""

    p: dict[tuple[str, int], int]
    r: dict[int, int]
    d: dict[int, int]
    q: dict[tuple[int, str, int], int]


def capacities(instance: ScheduleInstance, prepared: Prepared) -> Capacities:
    """Every capacity the bound prices (`Capacities`)."""
    cal = prepared.calendar
    specs = [s for chain in prepared.chains for s in chain]
    longest = max((s.series.buffer_min for s in specs), default=0)
    sizes = {slots_of(s, cal.grid_min) for s in specs}
    runs = _Runs(cal, sizes)
    size_classes = {
        k: _fillable({n for n in sizes if n >= k}, len(runs.fill) - 1)
        for k in sorted(sizes)[1:]
    }

    def stretched(spans: tuple[Span, ...]) -> list[Span]:
        return [(a, b + longest) for a, b in spans]

    days = sorted({d for s in specs for d in s.days})
    practitioner: dict[tuple[str, int], int] = {}
    rooms: dict[int, int] = {}
    devices: dict[int, int] = {}
    longer: dict[tuple[int, str, int], int] = {}
    for d in days:
        everyone: list[Span] = []
        for p in instance.practitioners:
            spans = stretched(cal.practitioner_spans[p.id][d])
            everyone.extend(spans)
            whole = practitioner[(p.id, d)] = runs.capacity(f"p:{p.id}", spans)
            for k, fill in size_classes.items():
                held = runs.capacity(f"p:{p.id}", spans, fill) if whole else 0
                if held < whole:
                    longer[(k, p.id, d)] = held
        rooms[d] = 0
        for room in instance.rooms:
            room_days = cal.room_spans[room.id]
            spans = everyone if room_days is None else stretched(room_days[d])
            rooms[d] += runs.capacity(f"r:{room.id}", spans)
        devices[d] = sum(
            runs.capacity(f"d:{dev.id}", everyone) for dev in instance.devices
        )
    return Capacities(practitioner, rooms, devices, longer)


# ("p", practitioner, day), ("r", day), ("d", day), ("q", size, practitioner, day)
Key = tuple[str | int, ...]
Prices = tuple[
    dict[tuple[str, int], float],
    dict[int, float],
    dict[int, float],
    dict[tuple[int, str, int], float],
]


@dataclass
class Lagrangian:
    """Prices on the capacities (`Capacities`) and the best bound found so far."""

    prepared: Prepared
    cap_p: dict[tuple[str, int], int]
    cap_r: dict[int, int]
    cap_d: dict[int, int]
    placed: int  # the bound covers schedules placing at least this many sessions
    constant: int  # moves of sessions that can never be placed
    cap_q: dict[tuple[int, str, int], int] = field(default_factory=dict)
    lowest: int = 0  # `by_count` covers every count from this one up
    price_p: dict[tuple[str, int], float] = field(default_factory=dict)
    price_r: dict[int, float] = field(default_factory=dict)
    price_d: dict[int, float] = field(default_factory=dict)
    price_q: dict[tuple[int, str, int], float] = field(default_factory=dict)
    best: float = -math.inf
    first: float | None = None  # the value without prices: series apart
    steps: int = 0
    best_prices: Prices = field(default_factory=lambda: ({}, {}, {}, {}))
    # price_q by practitioner-day, rebuilt by each evaluation
    _q_index: dict[tuple[str, int], list[tuple[int, float]]] = field(
        default_factory=dict, repr=False
    )
    keeps: list[list[int | None]] = field(default_factory=list)
    by_count: dict[int, float] = field(default_factory=dict)  # best value per count
    paths: list[list[Path | None]] = field(default_factory=list)  # last evaluated

    def _costs(
        self, spec: SessionSpec, keep: int | None
    ) -> dict[int, tuple[float, str]]:
        s = spec.series
        busy = slots_of(spec, self.prepared.calendar.grid_min)
        preferred = s.preferred_practitioner
        moved = moved_cost(spec)
        out: dict[int, tuple[float, str]] = {}
        for pid, days in spec.practitioner_days.items():
            change = WEIGHT_PRACTITIONER_CHANGE * (
                preferred is not None and pid != preferred
            )
            for d in days:
                c = change + moved + busy * self.practitioner_price(pid, d, busy)
                if d not in out or c < out[d][0]:
                    out[d] = (c, pid)
        if keep is not None:
            cur = spec.session.current
            assert cur is not None  # noqa: S101 - keep implies a booking
            d = keep // DAY_MIN
            change = WEIGHT_PRACTITIONER_CHANGE * (
                preferred is not None and cur.practitioner != preferred
            )
            c = change + busy * self.practitioner_price(cur.practitioner, d, busy)
            if c < out[d][0]:
                out[d] = (c, KEEP)
        shared = {d: self.price_r.get(d, 0.0) for d in out}
        if s.needs_device:
            shared = {d: v + self.price_d.get(d, 0.0) for d, v in shared.items()}
        return {d: (c + busy * shared[d], who) for d, (c, who) in out.items()}

    def practitioner_price(self, pid: str, day: int, busy: int) -> float:
        """The practitioner-day's price per slot for a session of `busy` slots:
        its own row's, and that of every size class the session is in."""
        price = self.price_p.get((pid, day), 0.0)
        for k, v in self._q_index.get((pid, day), ()):
            if k <= busy:
                price += v
        return price

    def evaluate(self) -> tuple[float, dict[object, float]]:
        """The dual value at the current prices and the capacity overloads."""
        self._q_index = defaultdict(list)
        for (k, pid, d), v in self.price_q.items():
            if v:
                self._q_index[(pid, d)].append((k, v))
        rows: list[list[float | None]] = []
        paths_by_series = []
        for chain, keeps in zip(self.prepared.chains, self.keeps, strict=True):
            costs = [self._costs(s, k) for s, k in zip(chain, keeps, strict=True)]
            paths = chain_paths(chain, costs)
            rows.append([None if p is None else float(p.cost) for p in paths])
            paths_by_series.append(paths)
        priced = sum(v * self.cap_p[k] for k, v in self.price_p.items())
        priced += sum(v * self.cap_r[k] for k, v in self.price_r.items())
        priced += sum(v * self.cap_d[k] for k, v in self.price_d.items())
        priced += sum(v * self.cap_q[k] for k, v in self.price_q.items())
        offset = self.constant - priced
        total, lengths = self._choose(rows, offset)
        load: dict[object, float] = defaultdict(float)
        for i, (paths, n) in enumerate(zip(paths_by_series, lengths, strict=True)):
            path = paths[n]
            assert path is not None  # noqa: S101 - chosen lengths are possible
            for key, used in self.usage(i, path).items():
                load[key] += used
        self.paths = paths_by_series
        over: dict[object, float] = {}
        for (pid, d), cap in self.cap_p.items():
            over[("p", pid, d)] = load.get(("p", pid, d), 0.0) - cap
        for d, cap in self.cap_r.items():
            over[("r", d)] = load.get(("r", d), 0.0) - cap
        for d, cap in self.cap_d.items():
            over[("d", d)] = load.get(("d", d), 0.0) - cap
        for (k, pid, d), cap in self.cap_q.items():
            over[("q", k, pid, d)] = load.get(("q", k, pid, d), 0.0) - cap
        if total > self.best:
            self.best = total
            self.best_prices = (
                dict(self.price_p),
                dict(self.price_r),
                dict(self.price_d),
                dict(self.price_q),
            )
        self.steps += 1
        if self.first is None:
            self.first = total
        return total, over

    def usage(self, i: int, path: Path) -> dict[Key, int]:
        """Grid slots series `i`'s path takes from each priced capacity, keyed
        ("p", practitioner, day), ("r", day), ("d", day) and, for the size
        classes it is in, ("q", size, practitioner, day)."""
        out: dict[Key, int] = defaultdict(int)
        chain = self.prepared.chains[i]
        for spec, d, who in zip(chain, path.days, path.choices, strict=False):
            busy = slots_of(spec, self.prepared.calendar.grid_min)
            pid = who or spec.session.current.practitioner  # type: ignore[union-attr]
            out[("p", pid, d)] += busy
            for k in self._classes:
                if k <= busy and (k, pid, d) in self.cap_q:
                    out[("q", k, pid, d)] += busy
            out[("r", d)] += busy
            if spec.series.needs_device:
                out[("d", d)] += busy
        return out

    @cached_property
    def _classes(self) -> list[int]:
        """The session sizes (in slots) that start a size class."""
        return sorted({k for k, _, _ in self.cap_q})

    def capacity(self, k: Key) -> int:
        if k[0] == "p":
            return self.cap_p[(str(k[1]), int(k[2]))]
        if k[0] == "q":
            return self.cap_q[(int(k[1]), str(k[2]), int(k[3]))]
        return (self.cap_r if k[0] == "r" else self.cap_d)[int(k[1])]

    def capacity_keys(self) -> list[Key]:
        """Every priced capacity, in a fixed order."""
        out: list[Key] = [("p", pid, d) for pid, d in sorted(self.cap_p)]
        out += [("r", d) for d in sorted(self.cap_r)]
        out += [("d", d) for d in sorted(self.cap_d)]
        out += [("q", k, pid, d) for k, pid, d in sorted(self.cap_q)]
        return out

    def step(self, upper: float, theta: float) -> float:
        """One subgradient step (Polyak's length towards `upper`); returns the
        dual value before the step."""
        value, over = self.evaluate()
        moving = {k: g for k, g in over.items() if g > 0 or self._price(k) > 0}
        norm = sum(g * g for g in moving.values())
        if norm <= 0:
            return value
        t = theta * max(upper - value, 1.0) / norm
        for k, g in moving.items():
            self._set(k, max(0.0, self._price(k) + t * g))
        return value

    def price(self, k: Key) -> float:
        return self._price(k)

    def set_price(self, k: Key, v: float) -> None:
        self._set(k, max(0.0, v))

    def _price(self, k: object) -> float:
        assert isinstance(k, tuple)  # noqa: S101
        if k[0] == "p":
            return self.price_p.get((k[1], k[2]), 0.0)
        if k[0] == "q":
            return self.price_q.get((k[1], k[2], k[3]), 0.0)
        return (self.price_r if k[0] == "r" else self.price_d).get(k[1], 0.0)

    def _set(self, k: object, v: float) -> None:
        assert isinstance(k, tuple)  # noqa: S101
        if k[0] == "p":
            self.price_p[(k[1], k[2])] = v
        elif k[0] == "q":
            self.price_q[(k[1], k[2], k[3])] = v
        else:
            (self.price_r if k[0] == "r" else self.price_d)[k[1]] = v

    def _choose(
        self, rows: list[list[float | None]], offset: float
    ) -> tuple[float, list[int]]:
        """The dual value for `placed` and the prefix lengths that reach it;
        records the value for every count from `lowest` up in `by_count`.

        A schedule placing at least k sessions leaves out at most `most − k` of
        the `most` its series could place, so its relaxed cost is at least the
        least `best[u]` over `u ≤ most − k` (`placement_table`)."""
        most = sum(max(i for i, c in enumerate(r) if c is not None) for r in rows)
        lowest = min(self.lowest, self.placed)
        slack = max(0, most - lowest)
        best, back = placement_table(rows, slack)
        running, arg = float(INF), 0
        at: list[tuple[float, int]] = []  # by u: (least best[≤ u], its argmin)
        for u, value in enumerate(best):
            if value < running:
                running, arg = value, u
            at.append((running, arg))
        for k in range(max(0, most - slack), most + 1):
            value = at[most - k][0] + offset
            if value > self.by_count.get(k, -math.inf):
                self.by_count[k] = value
        value, used = at[min(slack, max(0, most - self.placed))]
        return value + offset, table_lengths(rows, back, used)

    def bound_for(self, placed: int) -> int | None:
        """The best proven bound recorded for schedules placing at least `placed`
        sessions (None if that count was never evaluated)."""
        value = self.by_count.get(placed)
        if value is None:
            return None
        return _rounded(value)

    def retarget(self, placed: int) -> None:
        """Aim further evaluations (loads, `best`) at schedules placing at least
        `placed` sessions; `best` restarts from what is recorded for that count."""
        if placed != self.placed:
            self.placed = placed
            self.best = self.by_count.get(placed, -math.inf)

    def rebound(self, placed: int) -> int:
        """The bound for schedules placing at least `placed` sessions, at the
        best prices found (they were searched for a larger count)."""
        recorded = self.bound_for(placed)
        if recorded is not None:
            return recorded
        if placed != self.placed:
            self.placed, self.best = placed, -math.inf
            p, r, d, q = self.best_prices
            self.price_p, self.price_r, self.price_d, self.price_q = {}, {}, {}, {}
            self.evaluate()  # no prices: the plain series-apart bound
            self.price_p, self.price_r, self.price_d = dict(p), dict(r), dict(d)
            self.price_q = dict(q)
            self.evaluate()
        return self.proven

    @property
    def proven(self) -> int:
        """The best dual value for `placed` rounded up (costs are integers,
        never negative), less a hair for floating-point error."""
        return _rounded(self.best)


def _rounded(value: float) -> int:
    """A dual value as a proven integer bound: costs are integers, so the
    least integer not below it, after a margin far above the rounding error of
    the sums that made it (a few thousand terms of magnitude ≤ 1e6 err by less
    than 1e-6, the margin is 1e-6 of the value and never below 1e-6)."""
    if value == -math.inf:
        return 0
    return max(0, math.ceil(value - 1e-6 * max(1.0, abs(value))))


def lagrangian(
    instance: ScheduleInstance,
    prepared: Prepared,
    placed: int,
    lowest: int | None = None,
) -> Lagrangian:
    caps = capacities(instance, prepared)
    cal = prepared.calendar
    in_chains = {s.key for chain in prepared.chains for s in chain}
    constant = sum(
        WEIGHT_MOVE
        for series in instance.series
        for session in series.sessions
        if session.current is not None and (series.id, session.number) not in in_chains
    )
    keeps = [[current_start(cal, s) for s in chain] for chain in prepared.chains]
    return Lagrangian(
        prepared,
        caps.p,
        caps.r,
        caps.d,
        placed,
        constant,
        cap_q=caps.q,
        lowest=placed if lowest is None else lowest,
        keeps=keeps,
    )


def improve_bound(
    lag: Lagrangian,
    upper: Callable[[], float],
    should_stop: Callable[[], bool],
    iterations: int,
) -> int:
    """Subgradient iterations until the budget runs out; the proven bound."""
    theta = 1.0
    since = 0
    last_best = lag.best
    for _ in range(iterations):
        if should_stop():
            break
        lag.step(upper(), theta)
        if lag.best > last_best + 1e-9:
            last_best, since = lag.best, 0
        else:
            since += 1
            if since >= 5:
                theta, since = theta / 2, 0
    return lag.proven
