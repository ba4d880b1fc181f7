"""A participant's record as CSV files in one zip, for the clinical record or for themselves."""

from __future__ import annotations

import csv
import io
import zipfile

from sqlmodel import Session

from core import aftercare, alerts, attendance, checkups, diary, goals, practice, recovery, safety, screeners
from core.access import Actor
from core.models import AppUser
from core.program import user_today


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([diary.spreadsheet_row(row) for row in rows])
    return out.getvalue()


def record_zip(session: Session, actor: Actor, participant_id: int) -> bytes:
    """diary_cards.csv, checkups.csv, alerts.csv, safety_plan.csv, practice_log.csv, thought_records.csv,
    homework.csv, attendance.csv — each read through the gate."""
    user = session.get(AppUser, participant_id)
    targets = diary.targets_for(session, user.program_id if user else None, include_retired=True)
    files = {"diary_cards.csv": diary.cards_csv(session, actor, participant_id, targets=targets)}
    rows = []
    for kind in checkups.KINDS:
        for p in checkups.history(session, actor, participant_id, kind):
            rows.append(
                [
                    p.day.isoformat(),
                    kind,
                    p.total,
                    p.band,
                    "yes" if p.late else "no",
                    " ".join(map(str, p.answers)),
                    "" if p.function_answer is None else p.function_answer,
                ]
            )
    for kind, past in screeners.histories(session, actor, participant_id).items():  # AUDIT-C, DAST-10
        for p in past:  # item answers as chosen (DAST-10: 0 = No, 1 = Yes; the total scores item 3 reversed)
            rows.append([p.day.isoformat(), kind, p.total, p.band, "no", " ".join(map(str, p.answers)), ""])
    files["checkups.csv"] = _csv(
        ["date", "questionnaire", "total", "band", "late", "item_answers", "difficulty"], sorted(rows)
    )
    files["alerts.csv"] = _csv(
        ["opened_utc", "severity", "what", "acknowledged_by", "acknowledgement", "resolved_utc"],
        [
            [
                a.opened_at.isoformat(timespec="minutes"),
                a.severity,
                a.detail,
                a.acknowledged_by or "",
                a.acknowledgement,
                a.resolved_at.isoformat(timespec="minutes") if a.resolved_at else "",
            ]
            for a in alerts.history(session, actor, participant_id)
        ],
    )
    plan_rows = []
    plan = safety.current_plan(session, actor, participant_id)
    if plan:
        for key, title, _ in safety.STEPS:
            for item in plan.items(key):
                plan_rows.append([plan.version, title, safety.describe(item)])
    files["safety_plan.csv"] = _csv(["version", "step", "entry"], plan_rows)
    files["practice_log.csv"] = practice.practice_csv(session, actor, participant_id)
    files["thought_records.csv"] = _csv(
        [
            "date",
            "situation",
            "emotions_before_after",
            "automatic_thought",
            "evidence_for",
            "evidence_against",
            "balanced_thought",
            "belief_in_balanced",
        ],
        [
            [
                r.day.isoformat(),
                r.situation,
                "; ".join(
                    f"{m['name']} {m['before']}->{'' if m.get('after') is None else m['after']}" for m in r.emotions
                ),
                r.automatic_thought,
                r.evidence_for,
                r.evidence_against,
                r.balanced_thought,
                "" if r.balanced_belief is None else r.balanced_belief,
            ]
            for r in reversed(practice.thought_records(session, actor, participant_id))
        ],
    )
    files["homework.csv"] = _csv(
        ["assigned", "skill", "assigned_by", "due", "note", "done"],
        [
            [
                h.assigned_on.isoformat(),
                h.skill_name,
                h.assigned_by,
                h.due_on.isoformat() if h.due_on else "",
                h.note,
                h.done_on.isoformat() if h.done_on else "",
            ]
            for h in practice.homework_for(session, actor, participant_id)
        ],
    )
    files["attendance.csv"] = _csv(
        ["date", "session", "status"],
        [
            [r.day.isoformat(), r.session_kind, r.status]
            for r in reversed(attendance.history(session, actor, participant_id))
        ],
    )
    files["goals.csv"] = goals.goals_csv(session, actor, participant_id)  # treatment-plan goals, weekly ratings
    files["aftercare_plan.csv"] = aftercare.aftercare_csv(session, actor, participant_id)
    files.update(recovery.export_files(session, actor, participant_id))  # use, triggers, MAT, counters
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(
            "README.txt",
            f"IOP Companion record of {user.name if user else participant_id}, "
            f"exported {user_today(session, actor.id).isoformat()} by {actor.name}.\n",
        )
    return buffer.getvalue()
