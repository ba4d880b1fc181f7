"""Small, warm words used on home screens."""

from __future__ import annotations

from datetime import datetime

from ui.i18n import _
from ui.i18n import plain_list as plain_list


def hello(name: str, now: datetime | None = None) -> str:
    hour = (now or datetime.now()).hour
    first = name.split()[0] if name.split() else name
    if 5 <= hour < 12:
        return _("Good morning, {name}").format(name=first)
    if hour < 17:
        return _("Good afternoon, {name}").format(name=first)
    return _("Good evening, {name}").format(name=first)


def streak_sentence(days_in_a_row: int) -> str:
    """Encouraging, never shaming: a missed day is simply not mentioned."""
    if days_in_a_row >= 7:
        return _("{n} days in a row. That's real, steady work.").format(n=days_in_a_row)
    if days_in_a_row >= 2:
        return _("{n} days in a row. Keep going, one day at a time.").format(n=days_in_a_row)
    return _("Every card counts, and this one is done.")
