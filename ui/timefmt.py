"""Times as the viewer reads them: in their own (or their program's) time zone, with the zone's
short name. Everything is stored in UTC; this is the one place that turns it into local time."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from core.i18n import full_date, month_day


def local_time(moment: datetime | None, zone: tzinfo | None, *, with_year: bool = False, seconds: bool = False) -> str:
    """'Nov 23, 7:05 PM EST' (a stored UTC instant, shown in `zone`); "" for no time at all."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # stored UTC, read back naive by some drivers
        moment = moment.replace(tzinfo=UTC)
    here = moment.astimezone(zone or UTC)
    day = full_date(here) if with_year else month_day(here)  # the viewer's language ("23 nov" in Spanish)
    clock = f"{here:%I:%M:%S %p}" if seconds else f"{here:%I:%M %p}"
    return f"{day}, {clock.lstrip('0')} {here.tzname()}"
