"""Whole-series heuristics: build a schedule path by path, then ruin and recreate.

Greedy places one session at a time, so a series whose second session lands on
a full Tuesday has already fixed its first session's day. Here every series is
inserted whole by the exact programme of `optimizer_dp` against the capacity
left, and a local search repeatedly takes a few related series out (those
sharing practitioners and days with a series that costs something) and puts them
back one by one in a random order, keeping the result when it is no worse. The
random choices come from one seeded `random.Random`, and the loop stops on a
count of iterations as well as on the clock, so a run with an iteration budget
is reproducible.

Every series' cost here is computed the way `optimizer_model.solution_cost`
prices it, so the totals match the reported objective exactly.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from skinterval.domain.optimizer_calendar import Prepared, SessionSpec
from skinterval.domain.optimizer_dp import (
    Price,
    best_path,
    current_start,
    moved_cost,
    realise,
)
from skinterval.domain.optimizer_greedy import Placement
from skinterval.domain.optimizer_model import (
    WEIGHT_DAY_FROM_TARGET,
    WEIGHT_MOVE,
    WEIGHT_PRACTITIONER_CHANGE,
    ScheduleInstance,
)
from skinterval.domain.optimizer_slots import Slots

Key = tuple[str, int]


def series_cost(
    chain: Sequence[SessionSpec],
    keeps: Sequence[int | None],
    placed: Mapping[Key, Placement],
) -> tuple[int, int, int]:
    """(sessions placed, cost, sessions off their target day) of one series, the
    cost as `solution_cost` prices it: the placed prefix, then the moves of the
    sessions after it."""
    count = cost = off = 0
    previous: int | None = None
    for spec, keep in zip(chain, keeps, strict=True):
        p = placed.get(spec.key) if count == spec.session_index else None
        if p is None:
            cost += moved_cost(spec)
            continue
        target = (
            spec.first_target_day
            if previous is None
            else previous + spec.series.interval_days.target_days
        )
        if target is not None:
            cost += WEIGHT_DAY_FROM_TARGET * abs(p.day - target)
            off += p.day != target
        cur = spec.session.current
        if cur is not None and not (
            keep == p.start
            and p.practitioner == cur.practitioner
            and p.room == cur.room
        ):
            cost += WEIGHT_MOVE
        preferred = spec.series.preferred_practitioner
        if preferred is not None and p.practitioner != preferred:
            cost += WEIGHT_PRACTITIONER_CHANGE
        previous = p.day
        count += 1
    return count, cost, off


@dataclass
class State:
    """A schedule being improved: placements, capacity, and per-series totals."""

    prepared: Prepared
    slots: Slots
    keeps: list[list[int | None]]
    placed: dict[Key, Placement] = field(default_factory=dict)
    count: list[int] = field(default_factory=list)
    cost: list[int] = field(default_factory=list)
    off: list[int] = field(default_factory=list)

    @property
    def value(self) -> tuple[int, int, int]:
        """(−placed, cost, off target): smaller is better, placement first, and
        on-target days only break ties of the contract's objective."""
        return -sum(self.count), sum(self.cost), sum(self.off)

    def _price(self, i: int) -> None:
        chain = self.prepared.chains[i]
        self.count[i], self.cost[i], self.off[i] = series_cost(
            chain, self.keeps[i], self.placed
        )

    def remove(self, i: int) -> dict[Key, Placement]:
        old = {}
        for spec in self.prepared.chains[i]:
            p = self.placed.pop(spec.key, None)
            if p is not None:
                self.slots.release(spec, p)
                old[spec.key] = p
        return old

    def put(self, i: int, placements: Mapping[Key, Placement]) -> None:
        chain = self.prepared.chains[i]
        for spec in chain:
            p = placements.get(spec.key)
            if p is not None:
                self.slots.take(spec, p)
                self.placed[spec.key] = p
        self._price(i)

    def insert(self, i: int, price: Price | None = None) -> None:
        chain, keeps = self.prepared.chains[i], self.keeps[i]
        path = best_path(self.slots, chain, keeps, price)
        made = realise(self.slots, chain, keeps, path)
        self.placed.update(made)
        self._price(i)


def new_state(instance: ScheduleInstance, prepared: Prepared) -> State:
    cal = prepared.calendar
    slots = Slots(cal, [r.id for r in instance.rooms], [d.id for d in instance.devices])
    keeps = [[current_start(cal, s) for s in chain] for chain in prepared.chains]
    n = len(prepared.chains)
    return State(prepared, slots, keeps, count=[0] * n, cost=[0] * n, off=[0] * n)


def construct(
    instance: ScheduleInstance,
    prepared: Prepared,
    order: Sequence[int],
    price: Price | None = None,
) -> State:
    """Insert whole series in `order`. Today's bookings that are still free are
    held for their series until it is inserted, so a series processed earlier
    cannot take them."""
    state = new_state(instance, prepared)
    held: dict[int, dict[Key, Placement]] = {}
    for i, chain in enumerate(prepared.chains):
        for spec, keep in zip(chain, state.keeps[i], strict=True):
            p = state.slots.current(spec, keep)
            if p is not None:
                state.slots.take(spec, p)
                held.setdefault(i, {})[spec.key] = p
    for i in order:
        for key, p in held.get(i, {}).items():
            spec = next(s for s in prepared.chains[i] if s.key == key)
            state.slots.release(spec, p)
        state.insert(i, price)
    return state


def from_placements(
    instance: ScheduleInstance, prepared: Prepared, placed: Mapping[Key, Placement]
) -> State:
    """A state holding an existing schedule (the greedy one, say)."""
    state = new_state(instance, prepared)
    for i in range(len(prepared.chains)):
        state.put(i, placed)
    return state


def search(
    state: State,
    *,
    rng: random.Random,
    iterations: int,
    should_stop: Callable[[], bool],
    on_improve: Callable[[State], None] | None = None,
    size: int = 8,
) -> State:
    """Ruin and recreate: take `size` related series out, insert them again one by
    one in a random order, keep the result when no worse (else undo)."""
    chains = state.prepared.chains
    owner: dict[Key, int] = {}
    for i, chain in enumerate(chains):
        for spec in chain:
            owner[spec.key] = i
    by_day: dict[tuple[str, int], set[int]] = defaultdict(set)

    def index(i: int) -> None:
        for spec in chains[i]:
            p = state.placed.get(spec.key)
            if p is not None:
                by_day[(p.practitioner, p.day)].add(i)

    def unindex(i: int) -> None:
        for spec in chains[i]:
            p = state.placed.get(spec.key)
            if p is not None:
                by_day[(p.practitioner, p.day)].discard(i)

    for i in range(len(chains)):
        index(i)
    candidates = [i for i in range(len(chains)) if chains[i]]
    for _ in range(iterations):
        if should_stop():
            break
        costly = [i for i in candidates if state.cost[i] > 0 or not state.count[i]]
        if not costly:
            break
        seed = rng.choice(costly)
        near: set[int] = set()
        for spec in chains[seed]:
            p = state.placed.get(spec.key)
            centre = p.day if p is not None else spec.days[len(spec.days) // 2]
            for pid in spec.practitioner_days:
                for d in range(centre - 2, centre + 3):
                    near |= by_day.get((pid, d), set())
        near.discard(seed)
        others = sorted(near)
        rng.shuffle(others)
        group = [seed, *others[: size - 1]]
        before = state.value
        saved = {}
        for i in group:
            unindex(i)
            saved[i] = state.remove(i)
        rng.shuffle(group)
        for i in group:
            state.insert(i)
        if state.value <= before:
            for i in group:
                index(i)
            if state.value < before and on_improve is not None:
                on_improve(state)
            continue
        for i in group:
            state.remove(i)
        for i in group:
            state.put(i, saved[i])
            index(i)
    return state
