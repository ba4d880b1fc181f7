"""A participant's record as CSV files in one zip, for the clinical record or for themselves."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

from sqlmodel import Session

from core import alerts, checkups, diary, safety
from core.access import Actor
from core.models import AppUser


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[diary.spreadsheet_safe(v) if isinstance(v, str) else v for v in row] for row in rows])
    return out.getvalue()


def record_zip(session: Session, actor: Actor, participant_id: int) -> bytes:
    """diary_cards.csv, checkups.csv, alerts.csv, safety_plan.csv — each read through the gate."""
    user = session.get(AppUser, participant_id)
    targets = diary.targets_for(session, user.program_id if user else None, include_retired=True)
    files = {"diary_cards.csv": diary.cards_csv(session, actor, participant_id, targets=targets)}
    rows = []
    for kind in checkups.KINDS:
        for p in checkups.history(session, actor, participant_id, kind):
            rows.append([p.day.isoformat(), kind, p.total, p.band, "yes" if p.late else "no",
                         " ".join(map(str, p.answers)), "" if p.function_answer is None else p.function_answer])
    files["checkups.csv"] = _csv(["date", "questionnaire", "total", "band", "late", "item_answers",
                                  "difficulty"], sorted(rows))
    files["alerts.csv"] = _csv(["opened_utc", "severity", "what", "acknowledged_by", "acknowledgement", "resolved_utc"],
                               [[a.opened_at.isoformat(timespec="minutes"), a.severity, a.detail, a.acknowledged_by or "",
                                 a.acknowledgement, a.resolved_at.isoformat(timespec="minutes") if a.resolved_at else ""]
                                for a in alerts.history(session, actor, participant_id)])
    plan_rows = []
    plan = safety.current_plan(session, actor, participant_id)
    if plan:
        for key, title, _ in safety.STEPS:
            for item in plan.items(key):
                plan_rows.append([plan.version, title, safety.describe(item)])
    files["safety_plan.csv"] = _csv(["version", "step", "entry"], plan_rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("README.txt", f"IOP Companion record of {user.name if user else participant_id}, "
                                       f"exported {date.today().isoformat()} by {actor.name}.\n")
    return buffer.getvalue()
