"""Small, warm words used on home screens."""

from __future__ import annotations

from datetime import datetime


def hello(name: str, now: datetime | None = None) -> str:
    hour = (now or datetime.now()).hour
    part = "morning" if 5 <= hour < 12 else "afternoon" if hour < 17 else "evening"
    return f"Good {part}, {name.split()[0]}"


def streak_sentence(days_in_a_row: int) -> str:
    """Encouraging, never shaming: a missed day is simply not mentioned."""
    if days_in_a_row >= 7:
        return f"{days_in_a_row} days in a row. That's real, steady work."
    if days_in_a_row >= 2:
        return f"{days_in_a_row} days in a row. Keep going, one day at a time."
    return "Every card counts, and this one is done."


def plain_list(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
