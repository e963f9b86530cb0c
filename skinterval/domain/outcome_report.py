"""A clinic's outcome report: who was treated, how they changed, what went wrong.

`outcome_report(courses, on=, judge_after_days=)` takes one `Course` per treated
patient (sessions as charted, scores as recorded) and returns, for every patient
together and for cohorts by scar type, phototype, protocol, practitioner and device:

- patients and sessions per patient (every patient with a session by the report
  date; a practitioner's or device's cohort holds the sessions they did, and the
  patients who had at least one of them; a patient with two scar types is in both);
- response, judged only where follow-up is long enough: patients whose last session
  is at least `judge_after_days` before the report date (the rules'
  `response_judge_after_days`: improvement keeps accruing for months after a
  session). The others are counted as "follow-up too short" and left out of:
  - the mean change on each scale from baseline to the latest score, with a 95%
    t-interval (none below two patients). A patient's change on a scale is the
    mean over the areas scored at baseline (on or before the first session, the
    latest such) and again later, on the same scale version;
  - the share improving by at least one Goodman & Baron grade (a patient's change
    on ``gb_qualitative`` of -1 or less), with a 95% Wilson interval;
- adverse reactions per session, all sessions (safety needs no follow-up): each
  kind's count, and the share of sessions with any, with 95% Wilson intervals.

Pure Python: no Django, no database, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, stdev

GB_SCALE = "gb_qualitative"
UNREMARKABLE = (None, "", "expected")
Z_95 = 1.959963984540054  # the standard normal's 0.975 quantile

ALL = "all"
SCAR_TYPE = "scar_type"
PHOTOTYPE = "phototype"
PROTOCOL = "protocol"
PRACTITIONER = "practitioner"
DEVICE = "device"
DIMENSIONS: tuple[str, ...] = (
    ALL,
    SCAR_TYPE,
    PHOTOTYPE,
    PROTOCOL,
    PRACTITIONER,
    DEVICE,
)
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    on: date
    practitioner: str
    devices: tuple[str, ...]
    reaction: str | None  # the charting code; None, "" or "expected": none adverse


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    area: str
    scale: str
    version: str
    occasion: str  # baseline | session | review
    on: date
    total: float


@dataclass(frozen=True, slots=True)
class Course:
    """One treated patient. `patient` is an opaque key, never shown."""

    patient: str
    scar_types: tuple[str, ...]
    phototype: int | None
    protocol: str
    sessions: tuple[SessionRecord, ...]
    scores: tuple[ScoreRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Mean:
    n: int
    mean: float | None
    ci: Interval | None  # 95% t-interval; None when n < 2


@dataclass(frozen=True, slots=True)
class Share:
    k: int
    n: int
    ci: Interval | None  # 95% Wilson interval; None when n == 0

    @property
    def share(self) -> float | None:
        return self.k / self.n if self.n else None


@dataclass(frozen=True, slots=True)
class CohortRow:
    dimension: str
    cohort: str
    patients: int
    sessions: int
    judged: int
    follow_up_too_short: int
    changes: tuple[tuple[str, Mean], ...]  # scale id -> change, by scale id
    gb_improved: Share  # judged patients with a GB change; k improved >= 1 grade
    adverse: Share  # sessions with any adverse reaction
    reactions: tuple[tuple[str, Share], ...]  # kind -> sessions with it, by kind

    @property
    def sessions_per_patient(self) -> float | None:
        return self.sessions / self.patients if self.patients else None


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    on: date
    judge_after_days: int
    rows: tuple[CohortRow, ...]  # dimension order, then cohort name

    def by_dimension(self, dimension: str) -> tuple[CohortRow, ...]:
        return tuple(r for r in self.rows if r.dimension == dimension)

    @property
    def scales(self) -> tuple[str, ...]:
        return tuple(sorted({s for r in self.rows for s, _ in r.changes}))

    @property
    def reaction_kinds(self) -> tuple[str, ...]:
        return tuple(sorted({k for r in self.rows for k, _ in r.reactions}))


# --- statistics ---------------------------------------------------------------------


def wilson(k: int, n: int, z: float = Z_95) -> Interval | None:
    """Wilson score interval for k successes in n trials."""
    if n == 0:
        return None
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b)
        - math.lgamma(a)
        - math.lgamma(b)
        + a * math.log(x)
        + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def t_cdf(t: float, df: int) -> float:
    """Student's t distribution function."""
    tail = 0.5 * _regularized_beta(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (0.5 < p < 1),
    by bisection on the distribution function."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2


def mean_with_ci(values: Sequence[float]) -> Mean:
    """Mean with a 95% t-interval (mean ± t(0.975, n-1)·s/√n) when n ≥ 2."""
    n = len(values)
    if n == 0:
        return Mean(0, None, None)
    mean = fmean(values)
    if n < 2:
        return Mean(n, mean, None)
    half = t_quantile(0.975, n - 1) * stdev(values) / math.sqrt(n)
    return Mean(n, mean, Interval(mean - half, mean + half))


# --- the report ---------------------------------------------------------------------


def patient_changes(course: Course, on: date) -> dict[str, float]:
    """Scale id -> the patient's change from baseline to the latest score (the mean
    over areas), from the scores recorded by `on`."""
    if not course.sessions:
        return {}
    first = min(s.on for s in course.sessions)
    baselines: dict[tuple[str, str, str], ScoreRecord] = {}
    latest: dict[tuple[str, str, str], ScoreRecord] = {}
    for s in sorted(course.scores, key=lambda s: s.on):
        if s.on > on:
            continue
        key = (s.scale, s.version, s.area)
        if s.occasion == "baseline":
            if s.on <= first:
                baselines[key] = s
        elif s.on >= first:
            latest[key] = s
    per_scale: dict[str, list[float]] = {}
    for key, base in baselines.items():
        if key in latest:
            per_scale.setdefault(key[0], []).append(latest[key].total - base.total)
    return {scale: fmean(values) for scale, values in per_scale.items()}


def _cohorts(course: Course, dimension: str) -> dict[str, tuple[SessionRecord, ...]]:
    """The cohorts of `dimension` the course belongs to, with its sessions there."""
    sessions = course.sessions
    if dimension == ALL:
        return {ALL: sessions}
    if dimension == SCAR_TYPE:
        return dict.fromkeys(course.scar_types or (UNKNOWN,), sessions)
    if dimension == PHOTOTYPE:
        return {str(course.phototype or UNKNOWN): sessions}
    if dimension == PROTOCOL:
        return {course.protocol or UNKNOWN: sessions}
    out: dict[str, list[SessionRecord]] = {}
    for s in sessions:
        names = (s.practitioner,) if dimension == PRACTITIONER else s.devices
        for name in names or (UNKNOWN,):
            out.setdefault(name, []).append(s)
    return {name: tuple(rows) for name, rows in out.items()}


def _row(
    dimension: str,
    cohort: str,
    members: Sequence[tuple[Course, tuple[SessionRecord, ...]]],
    on: date,
    judge_after_days: int,
) -> CohortRow:
    judge_by = on - timedelta(days=judge_after_days)
    judged = [c for c, _ in members if max(s.on for s in c.sessions) <= judge_by]
    changes: dict[str, list[float]] = {}
    for course in judged:
        for scale, change in patient_changes(course, on).items():
            changes.setdefault(scale, []).append(change)
    gb = changes.get(GB_SCALE, [])
    improved = sum(1 for v in gb if v <= -1)
    sessions = [s for _, rows in members for s in rows]
    adverse = [str(s.reaction) for s in sessions if s.reaction not in UNREMARKABLE]
    return CohortRow(
        dimension=dimension,
        cohort=cohort,
        patients=len(members),
        sessions=len(sessions),
        judged=len(judged),
        follow_up_too_short=len(members) - len(judged),
        changes=tuple(
            (scale, mean_with_ci(values)) for scale, values in sorted(changes.items())
        ),
        gb_improved=_share(improved, len(gb)),
        adverse=_share(len(adverse), len(sessions)),
        reactions=tuple(
            (kind, _share(adverse.count(kind), len(sessions)))
            for kind in sorted(set(adverse))
        ),
    )


def _share(k: int, n: int) -> Share:
    return Share(k, n, wilson(k, n))


def outcome_report(
    courses: Iterable[Course], *, on: date, judge_after_days: int
) -> OutcomeReport:
    """The report as of `on`: sessions and scores after that day are left out."""
    treated: list[Course] = []
    for course in courses:
        sessions = tuple(s for s in course.sessions if s.on <= on)
        if sessions:
            treated.append(
                Course(
                    course.patient,
                    course.scar_types,
                    course.phototype,
                    course.protocol,
                    sessions,
                    course.scores,
                )
            )
    rows: list[CohortRow] = []
    for dimension in DIMENSIONS:
        groups: dict[str, list[tuple[Course, tuple[SessionRecord, ...]]]] = {}
        for course in treated:
            for name, sessions in _cohorts(course, dimension).items():
                groups.setdefault(name, []).append((course, sessions))
        rows.extend(
            _row(dimension, name, groups[name], on, judge_after_days)
            for name in sorted(groups)
        )
    return OutcomeReport(on, judge_after_days, tuple(rows))
