"""Small database expressions that Django does not ship."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Func


class EpochMinutes(Func):
    """Whole minutes since 1970-01-01 UTC of a datetime column, computed by the
    database: thousands of busy blocks then arrive as integers instead of being
    parsed into datetimes one by one (the largest cost of a slot search)."""

    output_field = BigIntegerField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            # '%%%%s' survives two rounds of %-formatting (this template, then
            # the SQLite backend's placeholder conversion) as strftime's '%s'.
            template="(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 60)::bigint)",
            **extra,
        )
