"""The relapse-prevention and aftercare plan, built with the therapist before discharge.

Versioned the way the safety plan is (core/safety.py): every save adds a version (who, when), the
newest is the plan, and a save names the version it was based on, so when two people edit at once the
second is told (`safety.PlanConflict`, with the newer version) and keeps their text. The plan's
shape — `safety.Plan`, the change list `safety.Change`, contacts as name and phone with
`safety.phone_flag` — is the safety plan's, reused rather than copied.

What it holds: personal triggers, early warning signs, coping steps, people to call, continuing-care
appointments (provider, date, contact), the medication plan and mutual-help meetings.

A family member sees it only with a consent the participant gives for this category
(`Category.AFTERCARE`, asked for as a summary): everything but the medication plan (and, in a
program that tracks substance use, the mutual-help meetings unless that consent carries the 42 CFR
Part 2 elements: see PART2_SECTIONS). Never by default.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta
from typing import Annotated

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize
from core.errors import ValidationError
from core.i18n import N_, _, full_date, weekday
from core.models import AftercarePlanVersion, AppUser, ConsentGrant, Program, Role, utcnow
from core.program import user_today
from core.safety import CONTACT_NAME_MAX, CONTACT_PHONE_MAX, Change, Plan, PlanConflict, describe, phone_flag

# (key, title, what it asks) in the order the plan is read.
LISTS: tuple[tuple[str, str, str], ...] = (
    (
        "triggers",
        N_("My personal triggers"),
        N_("people, places, feelings and times that make using or a setback more likely."),
    ),
    (
        "warning_signs",
        N_("Early warning signs"),
        N_("what I (or the people close to me) notice first when things slide."),
    ),
    ("coping_steps", N_("What I'll do"), N_("the steps that work for me, in the order I'll try them.")),
    (
        "meetings",
        N_("Mutual-help meetings"),
        N_("which meetings, where and when (e.g. SMART Recovery, Tue 7 pm, library)."),
    ),
)
PEOPLE = ("people", N_("People I can call"), N_("who I'll call when a warning sign shows up."))
APPOINTMENTS = (
    "appointments",
    N_("Continuing-care appointments"),
    N_("who I'll see after the program, when, and how to reach them."),
)
MEDICATION = (
    "medication",
    N_("Medication plan"),
    N_("what I take, who prescribes it, and what to do if I miss a dose."),
)
TITLES = {k: t for k, t, _ in (*LISTS, PEOPLE, APPOINTMENTS, MEDICATION)}
NOT_FOR_FAMILY = frozenset({"medication"})  # the family view is the rest of the plan
# In a program that tracks substance use, the medication plan and mutual-help meetings (AA, NA, SMART…)
# reveal substance-use disorder treatment: 42 CFR Part 2 data. They leave the app only with a consent
# carrying Part 2's elements (purpose, typed signature): never in the FHIR hand-off (core/fhir.py),
# and the family summary shows the meetings only when the aftercare consent carries them.
PART2_SECTIONS = frozenset({"medication", "meetings"})
PROVIDER_MAX = 120
CONTACT_MAX = 120


def _lines(key: str, raw, errors: dict) -> list[str]:
    title = _(TITLES[key])
    if not isinstance(raw, (list, tuple)) or len(raw) > clinical.AFTERCARE_ITEMS_MAX * 4:
        errors[key] = _("{title}: up to {n} lines; the most important ones first.").format(
            title=title, n=clinical.AFTERCARE_ITEMS_MAX
        )
        return []
    if not all(isinstance(i, str) for i in raw):
        errors[key] = _("{title}: each line must be text.").format(title=title)
        return []
    if any(len(i) > 8 * clinical.AFTERCARE_ITEM_MAX for i in raw):
        errors[key] = _("{title}: keep each line under {n} characters.").format(
            title=title, n=clinical.AFTERCARE_ITEM_MAX
        )
        return []
    items = [line for line in map(inputs.line_text, raw) if line]
    if any(len(i) > clinical.AFTERCARE_ITEM_MAX for i in items):
        errors[key] = _("{title}: keep each line under {n} characters.").format(
            title=title, n=clinical.AFTERCARE_ITEM_MAX
        )
    if len(items) > clinical.AFTERCARE_ITEMS_MAX:
        errors[key] = _("{title}: up to {n} lines; the most important ones first.").format(
            title=title, n=clinical.AFTERCARE_ITEMS_MAX
        )
    return items


def _records(key: str, raw, parts: dict[str, int], errors: dict) -> list[dict]:
    """Entries of one-line parts (people: name and phone; appointments: provider and contact, plus a
    date checked by the caller). A blank entry is dropped."""
    title = _(TITLES[key])
    if not isinstance(raw, (list, tuple)) or len(raw) > clinical.AFTERCARE_ITEMS_MAX * 4:
        errors[key] = _("{title}: up to {n} entries.").format(title=title, n=clinical.AFTERCARE_ITEMS_MAX)
        return []
    out = []
    for item in raw:
        allowed = set(parts) | ({"date"} if key == "appointments" else set())
        if not isinstance(item, dict) or set(item) - allowed:
            errors[key] = _("{title}: this form is out of date; open it again.").format(title=title)
            return []
        values = {p: item.get(p) for p in parts}
        if not all(v is None or isinstance(v, str) for v in values.values()) or any(
            len(v or "") > 8 * limit for v, limit in zip(values.values(), parts.values(), strict=True)
        ):
            errors[key] = _("{title}: each entry is a few words of text.").format(title=title)
            return []
        entry = {p: inputs.line_text(v or "") for p, v in values.items()}
        if key == "appointments":
            when = item.get("date")
            if when is not None and not inputs.is_day(when):
                errors[key] = _("{title}: choose each appointment's date from the calendar.").format(title=title)
                return []
            entry["date"] = when.isoformat() if when else ""
        if not any(entry.values()):
            continue
        too_long = [p for p, limit in parts.items() if len(entry[p]) > limit]
        if too_long:
            errors[key] = _("{title}: keep each part under {n} characters.").format(title=title, n=parts[too_long[0]])
        out.append(entry)
    if len(out) > clinical.AFTERCARE_ITEMS_MAX:
        errors[key] = _("{title}: up to {n} entries.").format(title=title, n=clinical.AFTERCARE_ITEMS_MAX)
    return out


def _content(content) -> dict:
    """The plan as it will be stored (LINE text everywhere but the medication plan, which is FREE
    text; dates as ISO days). Raises inputs.Problem naming each section that is wrong."""
    if not isinstance(content, dict) or set(content) - set(TITLES):
        raise inputs.Problem({"plan": _("This plan could not be read; open it again.")})
    errors: dict[str, str] = {}
    out: dict = {key: _lines(key, content.get(key) or [], errors) for key, _, _ in LISTS}
    out["people"] = _records(
        "people", content.get("people") or [], {"name": CONTACT_NAME_MAX, "phone": CONTACT_PHONE_MAX}, errors
    )
    for person in out["people"]:
        if not person["name"]:
            errors["people"] = _("People I can call: give each number a name.")
    out["appointments"] = _records(
        "appointments", content.get("appointments") or [], {"provider": PROVIDER_MAX, "contact": CONTACT_MAX}, errors
    )
    for visit in out["appointments"]:
        if not visit["provider"] or not visit["date"]:
            errors["appointments"] = _("Continuing-care appointments: give each one a provider and a date.")
    out["medication"] = AftercareForm.value("medication", content.get("medication"), errors) or ""
    if errors:
        raise inputs.Problem(errors)
    return out


class AftercareForm(inputs.Form):
    content: Annotated[dict, inputs.Custom(_content, inputs.Limit(max_chars=clinical.AFTERCARE_ITEM_MAX))]
    base_version: Annotated[
        int | None, inputs.RecordId("This plan changed while you were editing; open it again.", optional=True)
    ]
    medication: Annotated[
        str,
        inputs.FreeText(
            clinical.AFTERCARE_MEDICATION_MAX,
            "The medication plan",
            optional=True,
            too_long=(
                f"Keep the medication plan under {clinical.AFTERCARE_MEDICATION_MAX:,} characters (it has {{n:,}})."
            ),
        ),
    ]


def _latest(session: Session, participant_id: int):
    return session.exec(
        select(AftercarePlanVersion, AppUser.name)
        .join(AppUser, col(AppUser.id) == col(AftercarePlanVersion.created_by_id))
        .where(AftercarePlanVersion.participant_id == participant_id)
        .order_by(col(AftercarePlanVersion.version).desc())
    ).first()


def tracks_substance_use(session: Session, participant_id: int) -> bool:
    """Whether the participant's program tracks substance use (its aftercare plan's PART2_SECTIONS are
    then Part 2 data)."""
    return bool(
        session.exec(
            select(Program.substance_use_tracking)
            .join(AppUser, col(AppUser.program_id) == Program.id)
            .where(AppUser.id == participant_id)
        ).first()
    )


def _part2_consent(session: Session, family_id: int, participant_id: int) -> bool:
    """The family member's current aftercare consent carries the 42 CFR Part 2 elements (purpose,
    typed signature, when signed) that the substance-use category requires."""
    now = utcnow()
    return (
        session.exec(
            select(ConsentGrant.id).where(
                ConsentGrant.participant_id == participant_id,
                ConsentGrant.family_id == family_id,
                ConsentGrant.category == Category.AFTERCARE.value,
                col(ConsentGrant.revoked_at).is_(None),
                ConsentGrant.expires_at > now,
                ConsentGrant.purpose != "",
                ConsentGrant.signature != "",
                col(ConsentGrant.signed_at).is_not(None),
            )
        ).first()
        is not None
    )


def current_plan(session: Session, actor: Actor, participant_id: int) -> Plan | None:
    """The newest version. A family member (with this category's consent) gets a summary: the plan
    without the medication plan and without who wrote it."""
    family = actor.role is Role.FAMILY
    authorize(session, actor, participant_id, Category.AFTERCARE, Action.READ_SUMMARY if family else Action.READ)
    row = _latest(session, participant_id)
    if row is None:
        return None
    version, author = row
    if family:
        hidden = NOT_FOR_FAMILY
        if tracks_substance_use(session, participant_id) and not _part2_consent(session, actor.id, participant_id):
            hidden = NOT_FOR_FAMILY | PART2_SECTIONS
        shared = {k: v for k, v in version.content.items() if k not in hidden}
        return Plan(version.version, shared, version.created_at, "")
    return Plan(version.version, version.content, version.created_at, author)


def save_plan(session: Session, actor: Actor, *, participant_id: int, content: dict, base_version: int | None) -> Plan:
    """Save a new version (participant or their therapist). Raises safety.PlanConflict when someone
    saved since `base_version`; ValidationError naming each wrong section. A continuing-care
    appointment must not be in the past when it is added (one kept from an earlier version may be)."""
    authorize(session, actor, participant_id, Category.AFTERCARE, Action.WRITE)
    errors = AftercareForm.errors(content=content, base_version=base_version, medication=None)
    cleaned: dict | None = (
        None if errors else AftercareForm.check(content=content, base_version=None, medication=None).content
    )
    if cleaned is not None:
        today = user_today(session, participant_id)
        row = _latest(session, participant_id)
        before = {(a["provider"], a["date"]) for a in row[0].content.get("appointments", [])} if row else set()
        for visit in cleaned["appointments"]:
            day = date.fromisoformat(visit["date"])
            if day < today and (visit["provider"], visit["date"]) not in before:
                errors["appointments"] = _("The appointment on {day} is in the past: check the date.").format(
                    day=full_date(day)
                )
            elif day > today + timedelta(days=clinical.AFTERCARE_APPOINTMENT_MAX_DAYS):
                errors["appointments"] = _("The appointment on {day} is more than a year away.").format(
                    day=full_date(day)
                )
    if errors:
        raise ValidationError(errors)
    latest = row[0].version if row else None
    if latest is None and base_version is not None:  # a version that never existed: no newer plan to show
        raise ValidationError.one("base_version", _("This plan changed while you were editing; open it again."))
    if latest != base_version:
        raise PlanConflict(current_plan(session, actor, participant_id))  # type: ignore[arg-type]
    version = AftercarePlanVersion(
        participant_id=participant_id,
        version=(latest or 0) + 1,
        content=cleaned or {},
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(version)
    try:
        session.commit()
    except IntegrityError:  # the same version was saved a moment ago by someone else
        session.rollback()
        raise PlanConflict(current_plan(session, actor, participant_id)) from None  # type: ignore[arg-type]
    return Plan(version.version, version.content, version.created_at, actor.name)


def has_content(plan: Plan | None) -> bool:
    """Whether the plan holds anything a person wrote (a saved plan may be all blank): nothing to print
    or to show before then."""
    if plan is None:
        return False
    return any((plan.content.get(key) or "").strip() if key == "medication" else any(plan.items(key)) for key in TITLES)


def flags(plan: Plan | None) -> list[str]:
    """Numbers that don't look diallable, kept but pointed out (as on the safety plan)."""
    return [f for p in (plan.items("people") if plan else []) if (f := phone_flag(p.get("phone", "")))]


def entry(key: str, item) -> str:
    """One entry as a line of text."""
    if key == "appointments" and isinstance(item, dict):
        when = date.fromisoformat(item["date"]) if item.get("date") else None
        day = f"{weekday(when)} {full_date(when)}" if when else ""
        return " · ".join(part for part in (item.get("provider", ""), day, item.get("contact", "")) if part)
    return describe(item)


def history(session: Session, actor: Actor, participant_id: int) -> list[Change]:
    """Every version, newest first, with what changed from the one before (never for family)."""
    authorize(session, actor, participant_id, Category.AFTERCARE, Action.READ)
    rows = session.exec(
        select(AftercarePlanVersion, AppUser.name)
        .join(AppUser, col(AppUser.id) == col(AftercarePlanVersion.created_by_id))
        .where(AftercarePlanVersion.participant_id == participant_id)
        .order_by(col(AftercarePlanVersion.version))
    ).all()
    changes: list[Change] = []
    before: dict = {}
    for row, author in rows:
        summary = []
        for key, english in TITLES.items():
            title = _(english)
            if key == "medication":
                if row.content.get(key, "") != before.get(key, ""):
                    summary.append(_("{title}: changed").format(title=title))
                continue
            old = [entry(key, i) for i in before.get(key, [])]
            new = [entry(key, i) for i in row.content.get(key, [])]
            summary += [_("{title}: added “{item}”").format(title=title, item=i) for i in new if i not in old]
            summary += [_("{title}: removed “{item}”").format(title=title, item=i) for i in old if i not in new]
        changes.append(Change(row.version, row.created_at, author, summary or [_("No changes")]))
        before = row.content
    return list(reversed(changes))


def aftercare_csv(session: Session, actor: Actor, participant_id: int) -> str:
    """aftercare_plan.csv for the record: the current version, one row per entry."""
    from core.diary import spreadsheet_row

    authorize(session, actor, participant_id, Category.AFTERCARE, Action.READ)  # the record: never family
    plan = current_plan(session, actor, participant_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["version", "section", "entry"])
    if plan:
        for key, title in TITLES.items():
            values = [plan.content.get(key, "")] if key == "medication" else plan.items(key)
            for item in values:
                if item:
                    writer.writerow(spreadsheet_row([plan.version, title, entry(key, item)]))
    return out.getvalue()


def printable(plan: Plan | None, *, name: str) -> str:
    """A self-contained page to print or keep (every typed word escaped); people's numbers are
    tap-to-call links, as on the printable safety plan."""
    from core.program import dial_digits

    e = html.escape
    heading = _("Relapse-prevention and aftercare plan — {name}").format(name=name)
    page_title = _("Aftercare plan")
    parts = [f"<h1>{e(heading)}</h1>"]
    sections = [*LISTS[:3], PEOPLE, APPOINTMENTS, MEDICATION, LISTS[3]]
    for number, (key, title, prompt) in enumerate(sections, start=1):
        if key == "medication":
            text = plan.content.get(key, "") if plan else ""
            body = f"<p class='free'>{e(text)}</p>" if text else "<ul><li class='blank'>&nbsp;</li></ul>"
        else:
            items = plan.items(key) if plan else []
            lines = []
            for item in items:
                if key == "people" and isinstance(item, dict):
                    number_ = dial_digits(item.get("phone", ""))
                    link = f" — <a href='tel:{number_}'>{e(item.get('phone', ''))}</a>" if number_ else ""
                    lines.append(f"<li>{e(item.get('name', ''))}{link}</li>")
                else:
                    lines.append(f"<li>{e(entry(key, item))}</li>")
            body = "<ul>" + ("".join(lines) or "<li class='blank'>&nbsp;</li>" * 3) + "</ul>"
        parts.append(f"<h2>{number}. {e(_(title))}</h2><p class='prompt'>{e(_(prompt))}</p>{body}")
    when = (
        _("Version {version}, {day}.").format(version=plan.version, day=full_date(plan.updated_at))
        if plan
        else _("Blank plan.")
    )
    danger = _("If you are in danger now, call your emergency number or 988.")
    parts.append(f"<p class='prompt'>{e(when)} {e(danger)}</p>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#1f2a2e}"
        "h1{font-size:1.5rem}h2{font-size:1.1rem;margin-bottom:.2rem}.prompt{color:#5b6b6d;margin-top:0}"
        "li.blank{border-bottom:1px solid #999;list-style:none;height:1.6rem}.free{white-space:pre-wrap}"
        "a{color:#1a56a8}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        f"<title>{e(page_title)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def report_section(session: Session, actor: Actor, participant_id: int) -> str:
    """The printable progress report's aftercare section (HTML, every typed word escaped)."""
    authorize(session, actor, participant_id, Category.AFTERCARE, Action.READ)  # the record: never family
    plan = current_plan(session, actor, participant_id)
    if plan is None:
        return "<h2>Aftercare plan</h2><p>Not written yet.</p>"
    e = html.escape
    parts = [f"<h2>Aftercare plan (version {plan.version})</h2><ul>"]
    for key, title in TITLES.items():
        values = [plan.content.get(key, "")] if key == "medication" else plan.items(key)
        values = [entry(key, v) if key != "medication" else v for v in values if v]
        if values:
            parts.append(f"<li><b>{e(title)}</b>: {e('; '.join(values))}</li>")
    return "".join(parts) + "</ul>"
