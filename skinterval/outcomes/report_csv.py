"""The outcome report as CSV: one row per number, with its count and interval.

Every cell goes through `skinterval.csv_safe`, the one formula neutraliser of all
exports: text a spreadsheet would read as a formula (a practitioner's or a
device's name, say) gets a leading single quote; numbers the report computes are
written as numbers, so a negative mean change stays a number (decision 0013).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from skinterval.csv_safe import FORMULA_STARTS, Cell, safe_cell, safe_row
from skinterval.domain.outcome_report import CohortRow, Mean, OutcomeReport, Share

__all__ = ["FORMULA_STARTS", "HEADER", "report_csv", "safe_cell"]

HEADER = (
    "report_on",
    "judged_after_days",
    "dimension",
    "cohort",
    "measure",
    "scale_or_reaction",
    "k",
    "n",
    "value",
    "ci_low",
    "ci_high",
)


def _mean(measure: str, scale: str, m: Mean) -> tuple[Cell, ...]:
    low, high = (None, None) if m.ci is None else (m.ci.low, m.ci.high)
    return (measure, scale, None, m.n, m.mean, low, high)


def _share(measure: str, what: str, s: Share) -> tuple[Cell, ...]:
    low, high = (None, None) if s.ci is None else (s.ci.low, s.ci.high)
    return (measure, what, s.k, s.n, s.share, low, high)


def _rows(row: CohortRow) -> Iterator[tuple[Cell, ...]]:
    yield ("patients", None, None, None, row.patients, None, None)
    yield ("sessions", None, None, None, row.sessions, None, None)
    yield (
        "sessions_per_patient",
        None,
        None,
        None,
        row.sessions_per_patient,
        None,
        None,
    )
    yield ("judged", None, None, None, row.judged, None, None)
    yield ("follow_up_too_short", None, None, None, row.follow_up_too_short, None, None)
    for scale, mean in row.changes:
        yield _mean("mean_change", scale, mean)
    yield _share("improved_1_gb_grade", "gb_qualitative", row.gb_improved)
    yield _share("adverse_reaction_rate", "any", row.adverse)
    for kind, share in row.reactions:
        yield _share("adverse_reaction_rate", kind, share)


def report_csv(report: OutcomeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in report.rows:
        for cells in _rows(row):
            writer.writerow(
                safe_row(
                    (
                        report.on.isoformat(),
                        report.judge_after_days,
                        row.dimension,
                        row.cohort,
                        *cells,
                    )
                )
            )
    return out.getvalue()
