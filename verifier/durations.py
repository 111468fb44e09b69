"""Calendar durations (ISO 8601 years, months, days) as badge definitions and credit rules use them."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import Final, NamedTuple

__all__ = ["DURATION_SCHEMA_PATTERN", "CalendarDuration"]

#: The same language as a JSON Schema pattern; no lookahead, so every JSON Schema engine accepts it.
DURATION_SCHEMA_PATTERN: Final = r"^P(?:[0-9]+Y(?:[0-9]+M)?(?:[0-9]+D)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)$"
_DURATION: Final = re.compile(r"P(?:(?P<y>[0-9]+)Y)?(?:(?P<m>[0-9]+)M)?(?:(?P<d>[0-9]+)D)?")


class CalendarDuration(NamedTuple):
    """An ISO 8601 duration limited to years, months and days (``P3Y``, ``P18M``, ``P1Y6M``)."""

    years: int
    months: int
    days: int

    @classmethod
    def parse(cls, text: str) -> CalendarDuration | None:
        """Parse ``PnYnMnD`` (each part optional, at least one present); None if ``text`` is not one."""
        match = _DURATION.fullmatch(text)
        if match is None or text == "P":
            return None
        return cls(*(int(match[part] or 0) for part in ("y", "m", "d")))

    def describe(self) -> str:
        """In words: ``5 years``, ``1 year 6 months``, ``90 days``."""
        parts = [
            f"{count} {unit}{'' if count == 1 else 's'}"
            for count, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if count
        ]
        return " ".join(parts)

    def after(self, start: datetime) -> datetime | None:
        """XSD 1.1 dateTimePlusDuration restricted to years, months and days; None past year 9999.

        https://www.w3.org/TR/xmlschema11-2/#vp-dt-dateTimePlusDuration: add the months (years x 12) to
        the year-month, pin the day to the length of the resulting month, then add the days.
        """
        months = start.month - 1 + self.years * 12 + self.months
        year, month = start.year + months // 12, months % 12 + 1
        try:
            day = min(start.day, calendar.monthrange(year, month)[1])
            return start.replace(year=year, month=month, day=day) + timedelta(days=self.days)
        except (ValueError, OverflowError):
            return None
