"""Small, warm words used on home screens."""

from __future__ import annotations

from datetime import datetime


def hello(name: str, now: datetime | None = None) -> str:
    hour = (now or datetime.now()).hour
    part = "morning" if 5 <= hour < 12 else "afternoon" if hour < 17 else "evening"
    return f"Good {part}, {name.split()[0]}"
