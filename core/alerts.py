"""Risk alerts: opened by what a participant enters, closed by their therapist (inbox: issue 6)."""

from __future__ import annotations

from sqlmodel import Session

from core.access import Actor, Category, record
from core.clinical import CheckupTrigger, UrgeTrigger
from core.db import insert_if_absent
from core.models import Alert, utcnow


def open_alerts(session: Session, actor: Actor, *, participant_id: int, source_key: str,
                fired: list[tuple[UrgeTrigger | CheckupTrigger, str]]) -> list[int]:
    """Open one alert per fired trigger and source; saving the same thing twice opens none more."""
    opened = []
    for trigger, detail in fired:
        alert_id = insert_if_absent(session, Alert, {
            "participant_id": participant_id, "trigger": trigger.key, "severity": trigger.severity.value,
            "source_key": source_key, "detail": detail[:300], "opened_at": utcnow(),
        }, conflict=["participant_id", "trigger", "source_key"])
        if alert_id is not None:
            opened.append(alert_id)
            record(session, actor, category=Category.ALERTS, action="open",
                   participant_id=participant_id, detail=f"{trigger.key} from {source_key}")
    return opened
