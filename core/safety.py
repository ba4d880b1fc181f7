"""Safety planning (the Stanley-Brown steps, described in our own words), versioned.

Every save adds a version (who, when); the newest is the plan. A save names the version it was
based on, so when two people edit at once the second is told and keeps their text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import i18n, inputs
from core.access import Action, Actor, Category, authorize
from core.errors import ValidationError
from core.i18n import N_
from core.models import AppUser, Role, SafetyPlanVersion, utcnow

# (key, title, what the step asks of you) — in the order a person works through them in a crisis.
STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "warning_signs",
        N_("My warning signs"),
        N_("the thoughts, moods or situations that tell me a crisis may be building."),
    ),
    (
        "coping_alone",
        N_("Things I can do on my own"),
        N_("to take my mind off things for a while: a walk, music, a shower."),
    ),
    (
        "distractions",
        N_("People and places that distract me"),
        N_("company or a setting that helps, without having to explain."),
    ),
    ("help_contacts", N_("People I can ask for help"), N_("someone I trust who I can tell how I really feel.")),
    ("professionals", N_("Professionals and crisis lines"), N_("my therapist, the program's after-hours line, 988.")),
    (
        "safer_environment",
        N_("Making my space safer"),
        N_(
            "putting distance between me and anything I could use to hurt myself: a firearm (locked and unloaded "
            "with the ammunition apart, or kept by someone I trust for now), medicines I've saved up or no longer "
            "need, and alcohol or drugs in the house."
        ),
    ),
    ("reasons_for_living", N_("My reasons for living"), N_("what matters most to me, even on the hardest days.")),
)
SAFETY_PLAN_STEPS = tuple((title, prompt) for _, title, prompt in STEPS)
STEP_TITLES = {key: title for key, title, _ in STEPS}
CONTACT_STEPS = ("help_contacts", "professionals")  # items are {"name", "phone"}
ITEM_MAX_CHARS = 200
ITEMS_PER_STEP = 12
PHONE_RE = re.compile(r"^\+?[\d\s().-]{3,20}$")


class PlanConflict(Exception):
    """Someone saved a newer version since this edit began; `current` is that version."""

    def __init__(self, current: Plan):
        self.current = current
        super().__init__(f"The plan was changed by {current.updated_by} at {current.updated_at:%H:%M}.")


@dataclass(frozen=True)
class Plan:
    version: int
    content: dict
    updated_at: datetime
    updated_by: str

    def items(self, key: str) -> list:
        return list(self.content.get(key, []))


def phone_flag(phone: str) -> str | None:
    """A number that can't be dialled is kept but flagged, so nothing typed is lost."""
    if phone and not PHONE_RE.match(phone.strip()):
        return f"“{phone}” doesn't look like a phone number — check it before you need it."
    return None


def tel(phone: str) -> str:
    return re.sub(r"[^\d+]", "", phone)


SHARED_STEPS = "shared_steps"  # the steps a family member with safety-plan consent may see


CONTACT_NAME_MAX = 60
CONTACT_PHONE_MAX = 30


def _steps(content) -> dict:
    """The plan as it will be stored: every step a list of one-line entries (contacts: name and
    phone), blank lines dropped, invisible characters removed (LINE text, core.inputs)."""
    if not isinstance(content, dict):
        raise inputs.Problem({"plan": "This plan could not be read; open it again."})
    errors, out = {}, {}
    shared = content.get(SHARED_STEPS) or []
    if not isinstance(shared, (list, tuple)) or not all(isinstance(k, str) for k in shared):
        errors[SHARED_STEPS] = "Choose the steps family may see from the list."
        shared = []
    out[SHARED_STEPS] = list(dict.fromkeys(k for k in shared if k in STEP_TITLES))
    for key, title, _prompt in STEPS:
        title = i18n._(title)
        raw = content.get(key) or []
        if not isinstance(raw, (list, tuple)) or len(raw) > ITEMS_PER_STEP * 4:
            errors[key] = i18n._("{title}: up to {n} lines; the most important ones first.").format(
                title=title, n=ITEMS_PER_STEP
            )
            out[key] = []
            continue
        items: list[dict[str, str]] | list[str]
        if key in CONTACT_STEPS:
            contacts: list[dict[str, str]] = []
            for item in raw:
                parts = {part: item.get(part) for part in ("name", "phone")} if isinstance(item, dict) else {}
                if not parts or not all(v is None or isinstance(v, str) for v in parts.values()):
                    errors[key] = i18n._("{title}: each entry is a name and a phone number.").format(title=title)
                    continue
                if any(len(v or "") > 8 * CONTACT_NAME_MAX for v in parts.values()):
                    errors[key] = i18n._(
                        "{title}: keep names under {names} and numbers under {numbers} characters."
                    ).format(title=title, names=CONTACT_NAME_MAX, numbers=CONTACT_PHONE_MAX)
                    continue
                entry = {part: inputs.line_text(v or "") for part, v in parts.items()}
                if entry["name"] or entry["phone"]:
                    contacts.append(entry)
            for i in contacts:
                if not i["name"]:
                    errors[key] = i18n._("{title}: give each number a name.").format(title=title)
                if len(i["name"]) > CONTACT_NAME_MAX or len(i["phone"]) > CONTACT_PHONE_MAX:
                    errors[key] = i18n._(
                        "{title}: keep names under {names} and numbers under {numbers} characters."
                    ).format(title=title, names=CONTACT_NAME_MAX, numbers=CONTACT_PHONE_MAX)
            items = contacts
        else:
            if not all(isinstance(i, str) for i in raw):
                errors[key] = i18n._("{title}: each line must be text.").format(title=title)
                raw = [i for i in raw if isinstance(i, str)]
            lines = [line for line in (inputs.line_text(i) if len(i) <= 8 * ITEM_MAX_CHARS else i for i in raw) if line]
            if any(len(i) > ITEM_MAX_CHARS for i in lines):
                errors[key] = i18n._("{title}: keep each line under {n} characters.").format(
                    title=title, n=ITEM_MAX_CHARS
                )
            items = lines
        if len(items) > ITEMS_PER_STEP:
            errors[key] = i18n._("{title}: up to {n} lines; the most important ones first.").format(
                title=title, n=ITEMS_PER_STEP
            )
        out[key] = items
    if errors:
        raise inputs.Problem(errors)
    return out


class PlanForm(inputs.Form):
    content: Annotated[dict, inputs.Custom(_steps, inputs.Limit(max_chars=ITEM_MAX_CHARS))]
    base_version: Annotated[
        int | None, inputs.RecordId("This plan changed while you were editing; open it again.", optional=True)
    ]


def clean(content: dict) -> tuple[dict, dict[str, str], list[str]]:
    """Normalise a submitted plan; return (content, errors, flags). Blank lines are dropped."""
    try:
        out = PlanForm.check(content=content, base_version=None).content
    except ValidationError as exc:
        return {}, exc.fields, []
    flags = [flag for key in CONTACT_STEPS for i in out[key] if (flag := phone_flag(i["phone"]))]
    return out, {}, flags


def _plan(row: SafetyPlanVersion, author: str) -> Plan:
    return Plan(row.version, row.content, row.created_at, author)


def current_plan(session: Session, actor: Actor, participant_id: int) -> Plan | None:
    """The newest version. A family member (with consent) gets only the steps marked shareable:
    a summary, so their read is asked for as one and the gate refuses them the whole plan."""
    family = actor.role is Role.FAMILY
    authorize(session, actor, participant_id, Category.SAFETY_PLAN, Action.READ_SUMMARY if family else Action.READ)
    row = session.exec(
        select(SafetyPlanVersion, AppUser.name)
        .join(AppUser, col(AppUser.id) == SafetyPlanVersion.created_by_id)
        .where(SafetyPlanVersion.participant_id == participant_id)
        .order_by(col(SafetyPlanVersion.version).desc())
    ).first()
    if row is None:
        return None
    plan = _plan(*row)
    if family:
        shared = set(plan.content.get(SHARED_STEPS, []))
        return Plan(plan.version, {k: v for k, v in plan.content.items() if k in shared}, plan.updated_at, "")
    return plan


def _conflict(session: Session, actor: Actor, participant_id: int) -> Exception:
    """Why a save on top of `base_version` cannot go ahead: the newer version, or (a base version
    of a plan that does not exist: a stale or forged form) a message instead of a crash."""
    current = current_plan(session, actor, participant_id)
    if current is None:
        return ValidationError.one("plan", "This plan could not be read; open it again.")
    return PlanConflict(current)


@dataclass(frozen=True)
class Saved:
    plan: Plan
    flags: list[str]


def save_plan(session: Session, actor: Actor, *, participant_id: int, content: dict, base_version: int | None) -> Saved:
    """Save a new version. Raises PlanConflict if someone saved since `base_version`."""
    authorize(session, actor, participant_id, Category.SAFETY_PLAN, Action.WRITE)
    cleaned, errors, flags = clean(content)
    errors.update(PlanForm.errors(content={}, base_version=base_version))
    if errors:
        raise ValidationError(errors)
    latest = session.exec(
        select(SafetyPlanVersion.version)
        .where(SafetyPlanVersion.participant_id == participant_id)
        .order_by(col(SafetyPlanVersion.version).desc())
    ).first()
    if latest != base_version:
        raise _conflict(session, actor, participant_id)
    if actor.id != participant_id:  # only the participant decides what family may see
        previous = current_plan(session, actor, participant_id)
        cleaned[SHARED_STEPS] = previous.content.get(SHARED_STEPS, []) if previous else []
    row = SafetyPlanVersion(
        participant_id=participant_id,
        version=(latest or 0) + 1,
        content=cleaned,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same version was saved a moment ago by someone else
        session.rollback()
        raise _conflict(session, actor, participant_id) from None
    return Saved(_plan(row, actor.name), flags)


@dataclass(frozen=True)
class Change:
    version: int
    at: datetime
    by: str
    summary: list[str]  # "Reasons for living: added “my dog Pepper”"


def describe(item) -> str:
    return f"{item['name']} {item['phone']}".strip() if isinstance(item, dict) else str(item)


def history(session: Session, actor: Actor, participant_id: int) -> list[Change]:
    """Every version, newest first, with what changed from the one before (never for family: the
    gate gives them the shared steps of the current plan only)."""
    authorize(session, actor, participant_id, Category.SAFETY_PLAN, Action.READ)
    rows = session.exec(
        select(SafetyPlanVersion, AppUser.name)
        .join(AppUser, col(AppUser.id) == SafetyPlanVersion.created_by_id)
        .where(SafetyPlanVersion.participant_id == participant_id)
        .order_by(col(SafetyPlanVersion.version))
    ).all()
    changes: list[Change] = []
    before: dict = {}
    for row, author in rows:
        summary = []
        for key, title, _prompt in STEPS:
            old = [describe(i) for i in before.get(key, [])]
            new = [describe(i) for i in row.content.get(key, [])]
            summary += [
                i18n._("{title}: added “{item}”").format(title=i18n._(title), item=i) for i in new if i not in old
            ]
            summary += [
                i18n._("{title}: removed “{item}”").format(title=i18n._(title), item=i) for i in old if i not in new
            ]
        changes.append(Change(row.version, row.created_at, author, summary or [i18n._("No changes to the steps")]))
        before = row.content
    return list(reversed(changes))


def _OUR_LINES() -> frozenset:
    from core.program import REGION_CRISIS_RESOURCES, UNKNOWN_REGION_LINE

    return frozenset(line for lines in REGION_CRISIS_RESOURCES.values() for line in lines) | {UNKNOWN_REGION_LINE}


def printable(plan: Plan | None, *, name: str, resources: list) -> str:
    """A self-contained page to print or keep in the phone's files (all text escaped). The crisis
    lines print with their numbers and tap-to-call links, the same links as the crisis panel."""
    from core.program import crisis_links, dial_digits, in_language_order

    e = html.escape

    def contact(item) -> str:
        if not isinstance(item, dict):
            return e(describe(item))
        number = dial_digits(item.get("phone", ""))
        link = f" — <a href='tel:{number}'>{e(item.get('phone', ''))}</a>" if number else ""
        return f"{e(item.get('name', ''))}{link}"

    heading = i18n._("Safety plan — {name}").format(name=name)
    parts = [f"<h1>{e(heading)}</h1>"]
    for number, (key, title, prompt) in enumerate(STEPS, start=1):
        title, prompt = i18n._(title), i18n._(prompt)
        items = plan.items(key) if plan else []
        lines = (
            "".join(f"<li>{contact(i)}</li>" for i in items)
            if key in CONTACT_STEPS
            else "".join(f"<li>{e(describe(i))}</li>" for i in items)
        ) or "<li class='blank'>&nbsp;</li>" * 3
        parts.append(f"<h2>{number}. {e(title)}</h2><p class='prompt'>{e(prompt)}</p><ul>{lines}</ul>")

    def line(resource) -> str:
        links = " · ".join(f"<a href='{e(link.href)}'>{e(link.label)}</a>" for link in crisis_links(resource))
        ours = resource in _OUR_LINES()
        name, detail = (i18n._(resource.name), i18n._(resource.detail)) if ours else (resource.name, resource.detail)
        return f"<li><b>{e(name)}</b> — {e(detail)}" + (f"<br>{links}" if links else "") + "</li>"

    parts.append(
        "<h2>"
        + e(i18n._("Crisis lines"))
        + "</h2><ul class='lines'>"
        + "".join(line(r) for r in in_language_order(list(resources), i18n.current()))
        + "</ul>"
    )
    when = (
        i18n._("Version {version}, {day}. If you are in danger now, call your emergency number.").format(
            version=plan.version, day=i18n.full_date(plan.updated_at)
        )
        if plan
        else i18n._("Blank plan. If you are in danger now, call your emergency number.")
    )
    parts.append(f"<p class='prompt'>{e(when)}</p>")
    page_title = i18n._("Safety plan")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#1f2a2e}"
        "h1{font-size:1.5rem}h2{font-size:1.1rem;margin-bottom:.2rem}.prompt{color:#5b6b6d;margin-top:0}"
        "li.blank{border-bottom:1px solid #999;list-style:none;height:1.6rem}ul.lines li{margin-bottom:.5rem}"
        "a{color:#1a56a8}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width'><title>{e(page_title)}</title><style>{style}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
