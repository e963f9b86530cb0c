"""Cells for CSV files a person opens in a spreadsheet: the one place every
export neutralises formulas (CSV injection, OWASP).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be read as a formula by Excel, LibreOffice or Google Sheets (a device
named ``=HYPERLINK("http://…")`` becomes a link that sends data away). Such text
gets a leading single quote, which spreadsheets show as text and hide.

Only text is neutralised: numbers the code computes (ints and floats) are
written as numbers, so a negative mean change stays the number -1.25 and still
sorts and sums. A column is numeric by its Python type, never by what the text
looks like: text "-1" typed by a person is quoted like any other text.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str:
    """One cell as text for `csv.writer`, neutralised when text would start a
    formula; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: list[Cell] | tuple[Cell, ...]) -> list[str]:
    """A whole row through `safe_cell`: ``writer.writerow(safe_row(cells))``."""
    return [safe_cell(v) for v in values]
