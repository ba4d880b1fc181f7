"""The program: its settings and the crisis resources shown on every screen."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from core import clinical, inputs
from core.access import Action, Actor, Category, authorize, known_person, record, require_role
from core.db import on_commit, rerun_memo
from core.errors import ValidationError
from core.i18n import N_, _
from core.models import AppUser, CaseloadAssignment, Program, Role, id_of, table_of


@dataclass(frozen=True)
class CrisisResource:
    name: str
    detail: str
    call: str = ""  # number to dial (shown as written; dialled as digits)
    text: str = ""  # number to text
    sms_body: str = ""  # the keyword to send, e.g. HOME
    call_label: str = ""  # how to say the call, when "Call <number>" is not enough ("…then press 1")
    text_label: str = ""
    language: str = ""  # "es" for a line answered in Spanish: shown first to people reading Spanish


@dataclass(frozen=True)
class CrisisLink:
    label: str  # plain text: escape it before putting it into Markdown
    href: str  # tel:/sms: with digits only
    kind: str  # "call" | "text"


def dial_digits(number: str) -> str:
    """What a phone dials: digits and a leading +, nothing else ("(555) 010-9999" -> "5550109999")."""
    number = str(number or "").strip()
    digits = "".join(c for c in number if c.isdigit())
    return ("+" + digits) if number.startswith("+") and digits else digits


def crisis_links(resource: CrisisResource) -> list[CrisisLink]:
    """The tap-to-call and tap-to-text links of one crisis line. The crisis panel, the safety
    plan's step 5 and the printable plan all draw their links from here, so they never differ."""
    links = []
    call, text = dial_digits(resource.call), dial_digits(resource.text)
    if call:
        label = (
            _(resource.call_label) if resource.call_label else _("Call {number}").format(number=resource.call.strip())
        )
        links.append(CrisisLink(label, f"tel:{call}", "call"))
    if text:
        body = f"?&body={quote(resource.sms_body)}" if resource.sms_body else ""
        label = (
            _(resource.text_label)
            if resource.text_label
            else (
                _("Text {keyword} to {number}").format(keyword=resource.sms_body, number=resource.text.strip())
                if resource.sms_body
                else _("Text {number}").format(number=resource.text.strip())
            )
        )
        links.append(CrisisLink(label, f"sms:{text}{body}", "text"))
    return links


# Region defaults, in our own words, each number checked against the service's own page (or its
# government's) on 2026-11-24. A program adds its local lines on top; an unknown region is refused.
REGION_NAMES = {"US": N_("United States"), "CA": N_("Canada"), "UK": N_("United Kingdom")}
REGION_CRISIS_RESOURCES: dict[str, tuple[CrisisResource, ...]] = {
    "US": (
        # https://988lifeline.org/get-help/what-to-expect — call or text 988; menu: Veterans press 1,
        # Spanish press 2; texts offer Spanish (AYUDA) and the Veterans Crisis Line at 838255.
        CrisisResource(
            N_("988 Suicide & Crisis Lifeline"),
            N_("Call or text 988, any time, day or night. Chat at 988lifeline.org."),
            call="988",
            text="988",
        ),
        # https://www.veteranscrisisline.net — "Dial 988 then Press 1 ... or text 838255".
        CrisisResource(
            N_("Veterans Crisis Line"),
            N_("For veterans, service members and their families: dial 988 and press 1, or text 838255."),
            call="988",
            text="838255",
            call_label=N_("Call 988, then press 1"),
        ),
        # https://988lifeline.org/get-help/what-to-expect — Spanish: press 2, or text AYUDA to 988.
        # The same page: "¡Los servicios de texto y chat de 988 Lifeline ya están disponibles en Español!"
        # (checked 2026-11-26). Written in Spanish for everyone; first on the list for Spanish readers.
        CrisisResource(
            "988 en español",
            "Llama al 988 y marca 2, o envía AYUDA por texto al 988. También hay chat en español en 988lifeline.org.",
            call="988",
            text="988",
            sms_body="AYUDA",
            call_label="Llamar al 988, luego marcar 2",
            text_label="Enviar AYUDA al 988",
            language="es",
        ),
        # Crisis Text Line's own how-it-works text, "Text HOME to 741741 from anywhere in the USA,
        # anytime", as republished by schools and clinics (e.g. sfisd.net); clinical.md cites it too.
        # crisistextline.org itself was not reachable from here: re-check it before release.
        CrisisResource(
            N_("Crisis Text Line"),
            N_("Text HOME to 741741 to reach a trained crisis counselor, 24/7."),
            text="741741",
            sms_body="HOME",
        ),
        # https://www.samhsa.gov/find-help/national-helpline — 1-800-662-HELP (4357), free,
        # confidential, 24/7, English and Spanish, for mental health and substance use.
        CrisisResource(
            N_("SAMHSA National Helpline"),
            N_(
                "Free, confidential, 24/7 help finding treatment for "
                "substance use and mental health, in English and Spanish."
            ),
            call="1-800-662-4357",
        ),
        CrisisResource(N_("Emergency"), N_("If you are in immediate danger, call 911."), call="911"),
    ),
    "CA": (
        # https://www.canada.ca/en/public-health/services/suicide-prevention/about-suicide.html —
        # "call or text 9-8-8", "in immediate danger, please call 9-1-1", Kids Help Phone
        # 1-800-668-6868, Hope for Wellness 1-855-242-3310. Launched 30 Nov 2023 (newswire.ca).
        CrisisResource(
            N_("9-8-8 Suicide Crisis Helpline"),
            N_("Call or text 988, 24/7, in English or French."),
            call="988",
            text="988",
        ),
        CrisisResource(
            N_("Hope for Wellness Help Line"),
            N_("For First Nations, Inuit and Métis people, 24/7."),
            call="1-855-242-3310",
        ),
        # https://kidshelpphone.ca/text-about-it — "text CONNECT to 686868", free, across Canada, 24/7.
        CrisisResource(
            N_("Kids Help Phone"),
            N_("For young people: call, or text CONNECT to 686868, 24/7."),
            call="1-800-668-6868",
            text="686868",
            sms_body="CONNECT",
        ),
        CrisisResource(N_("Emergency"), N_("If you are in immediate danger, call 911."), call="911"),
    ),
    "UK": (
        # https://www.samaritans.org/how-we-can-help/contact-samaritan/ — 116 123, free from any phone.
        CrisisResource(N_("Samaritans"), N_("Call 116 123, free, any time, day or night."), call="116 123"),
        # https://giveusashout.org/about-us/faq/ — text SHOUT to 85258, free, 24/7, UK.
        CrisisResource(
            N_("Shout"), N_("Text SHOUT to 85258 for free, 24/7 support by text."), text="85258", sms_body="SHOUT"
        ),
        # https://www.lpft.nhs.uk/contact-us/need-help-now — NHS 111, the mental health option, 24/7.
        CrisisResource(
            N_("NHS 111, mental health option"),
            N_("Urgent mental health help: call 111 and choose the mental health option."),
            call="111",
            call_label=N_("Call 111 (mental health option)"),
        ),
        # Same NHS page and Shout's FAQ: "call 999" when life is at risk.
        CrisisResource(N_("Emergency"), N_("If your life is at risk now, call 999 or go to A&E."), call="999"),
    ),
}
DEFAULT_REGION = "US"
UNKNOWN_REGION_LINE = CrisisResource(
    N_("Emergency services"),
    N_(
        "If you are in danger now, call your local emergency number. "
        "Ask your program for the crisis lines where you live."
    ),
)
NOT_MONITORED = N_(
    "This app is not watched in real time. Your therapist will see what you "
    "entered, but not right away. If you need help now, call or text a crisis line."
)
MAX_LOCAL_RESOURCES = 8
_PHONE_CHARS = set("0123456789+-() ")


def week_in_program(started_on: date | None, today: date, length_weeks: int | None = None) -> int | None:
    """The one formula for "week N of the program", on every screen that shows it.

    Week 1 is the first seven days from `started_on`. Past the program's planned length
    (`length_weeks`, when known) a participant who is still here is in its last week: a
    10-week program never says "week 11" on one screen and "week 10 of 10" on another.
    None when the start date is unknown.
    """
    if started_on is None:
        return None
    week = max((today - started_on).days // 7 + 1, 1)
    return min(week, length_weeks) if length_weeks and length_weeks > 0 else week


# --- calendar days ---------------------------------------------------------------------------
# The server's clock may be past midnight UTC while an evening group in New York is still on
# Monday: every "today" the app shows or checks is the person's (or program's) own calendar day.


def _first_zone(*names: str | None) -> ZoneInfo:
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def program_today(program: Program | ProgramSettings | None, now: datetime | None = None) -> date:
    """The program's own calendar day, for work that runs per program (the scheduled job)."""
    return (now or datetime.now(UTC)).astimezone(_first_zone(program.timezone if program else None)).date()


def user_zone(session: Session, user_id: int) -> ZoneInfo:
    """A person's own time zone if they set one, else their program's, else UTC (read once per rerun)."""

    def read() -> ZoneInfo:
        known = known_person(session, user_id)  # (the gate read them this rerun: no second round trip)
        if known is not None:
            return _first_zone(known[0], known[1])
        row = session.exec(
            select(AppUser.timezone, Program.timezone)
            .join(Program, col(Program.id) == AppUser.program_id, isouter=True)
            .where(AppUser.id == user_id)
        ).first()
        return _first_zone(*(row or ()))

    return rerun_memo(session, ("zone", user_id), read)


def user_today(session: Session, user_id: int, now: datetime | None = None) -> date:
    """Today on a person's own calendar: the one way the app decides what "today" is for someone
    (a diary card at 11 pm belongs to that evening; a therapist's caseload counts from their day)."""
    return (now or datetime.now(UTC)).astimezone(user_zone(session, user_id)).date()


# --- program settings, cached ----------------------------------------------------------------
# Read on every screen (crisis lines, the card's options), changed a few times a year by the admin:
# kept per process for a short while, and forgotten as soon as the admin's change commits. Other
# app processes see a change within PROGRAM_CACHE_SECONDS.

PROGRAM_CACHE_SECONDS = 30.0
_programs: dict[tuple[str, int | None], tuple[float, ProgramSettings | None]] = {}
_forgotten = [0]  # how many times the cache was emptied: a read begun before the last time is not kept


@dataclass(frozen=True)
class ProgramSettings:
    """A program's settings as read at one moment (never written back: the setters below load
    the row itself)."""

    id: int
    name: str
    timezone: str
    schedule: str
    length_weeks: int
    substance_use_tracking: bool
    checkup_interval_days: int
    crisis_region: str
    local_crisis_resources: tuple[dict, ...]
    substances: tuple[str, ...] = ()  # substance-use programs: the card's list (core/recovery.py)
    mat_medications: tuple[str, ...] = ()  # medications for addiction treatment asked about on the card

    @classmethod
    def of(cls, program: Program) -> ProgramSettings:
        return cls(
            id_of(program),
            program.name,
            program.timezone,
            program.schedule,
            program.length_weeks,
            program.substance_use_tracking,
            program.checkup_interval_days,
            program.crisis_region,
            tuple(dict(item) for item in program.local_crisis_resources or [] if isinstance(item, dict)),
            tuple(program.substances or ()),
            tuple(program.mat_medications or ()),
        )


def program_settings(session: Session, program_id: int | None) -> ProgramSettings | None:
    """The program's settings (the first program's when `program_id` is None: before login)."""
    key = (str(session.get_bind().engine.url), program_id)  # (a process may serve more than one database)
    cached = _programs.get(key)
    if cached is not None and time.monotonic() - cached[0] < PROGRAM_CACHE_SECONDS:
        return cached[1]
    began, generation = time.monotonic(), _forgotten[0]
    program = (
        session.get(Program, program_id)
        if program_id
        else session.exec(select(Program).order_by(col(Program.id))).first()
    )
    found = ProgramSettings.of(program) if program is not None else None
    if generation == _forgotten[0]:  # (an admin's change committed meanwhile: this read may be older)
        _programs[key] = (began, found)
    return found


def program_for(session: Session, participant_id: int) -> Program | ProgramSettings | None:
    """A participant's program: inside a rerun whose gate has read them (every core read authorizes
    first), its cached settings, as the rest of the screen is drawn from; else the row itself."""
    known = known_person(session, participant_id)
    if known is not None:
        return program_settings(session, known[2]) if known[2] is not None else None
    user = session.get(AppUser, participant_id)
    return session.get(Program, user.program_id) if user is not None and user.program_id else None


def forget_programs() -> None:
    """Drop the cached settings (after an admin's change commits; tests)."""
    _forgotten[0] += 1
    _programs.clear()


def _changed(session: Session) -> None:
    on_commit(session, forget_programs)


def program_of(session: Session, actor: Actor) -> ProgramSettings | None:
    """The acting user's program (settings, not participant data)."""
    return program_settings(session, actor.program_id) if actor.program_id else None


def in_language_order(resources: list[CrisisResource], language: str) -> list[CrisisResource]:
    """The lines answered in `language` first (988's Spanish line for a Spanish reader), the rest in
    their usual order; English readers see the usual order."""
    if language == "en":
        return list(resources)
    return [r for r in resources if r.language == language] + [r for r in resources if r.language != language]


def crisis_resources_for(session: Session, program_id: int | None) -> list[CrisisResource]:
    """The lines to show: the program's, or the first program's before anyone logs in."""
    return crisis_resources(program_settings(session, program_id))


def crisis_resources(program: Program | ProgramSettings | None) -> list[CrisisResource]:
    """The program's local lines, then its region's. An unknown region never falls back to another
    country's numbers: the local lines and a plain 'call your local emergency number' instead."""
    region = program.crisis_region if program else DEFAULT_REGION
    regional = REGION_CRISIS_RESOURCES.get(region, (UNKNOWN_REGION_LINE,))
    local = [
        CrisisResource(**{k: str(v) for k, v in item.items() if k in CrisisResource.__annotations__})
        for item in (program.local_crisis_resources if program else [])
        if isinstance(item, dict)
    ]
    return [*local, *regional]


def region_problem(program: Program | ProgramSettings | None) -> str | None:
    """What the admin must fix about the program's region, if anything."""
    if program is not None and program.crisis_region not in REGION_CRISIS_RESOURCES:
        return (
            f"The program's crisis region '{program.crisis_region}' has no crisis lines here, so people see "
            "only your local lines and 'call your local emergency number'. Choose a region below."
        )
    return None


class RegionForm(inputs.Form):
    region: Annotated[
        str,
        inputs.OneOf(
            REGION_CRISIS_RESOURCES,
            "We don't have crisis lines for that region. Choose "
            f"{', '.join(REGION_NAMES.values())} — and add your local lines below.",
        ),
    ]


def _save_setting(session: Session, actor: Actor, **values) -> Program:
    """Write checked values to the admin's own program, audited; other processes forget their
    cached copy once this commits."""
    program = session.get(Program, actor.program_id) if actor.program_id is not None else None
    if program is None:
        raise ValidationError.one("program", "Your account is not attached to a program.")
    for name, value in values.items():
        setattr(program, name, value)
    session.add(program)
    _changed(session)
    record(session, actor, category="program", action="write")
    return program


def set_crisis_region(session: Session, actor: Actor, region: str) -> Program:
    """Which country's crisis lines everyone sees (admin only). Unknown regions are refused."""
    require_role(session, actor, Role.ADMIN, what="program")
    region = RegionForm.check(region=region).region
    return _save_setting(session, actor, crisis_region=region)


CRISIS_NAME_MAX, CRISIS_DETAIL_MAX, CRISIS_NUMBER_MAX = 80, 200, 30


def _phone_number(value) -> str:
    value = "" if value is None else value  # an empty cell of the admin's table
    number = value.strip() if isinstance(value, str) and len(value) <= 4 * CRISIS_NUMBER_MAX else None
    if number is None or (
        number
        and (
            not set(number) <= _PHONE_CHARS
            or sum(c.isdigit() for c in number) < 3
            or "+" in number[1:]
            or len(number) > CRISIS_NUMBER_MAX
        )
    ):
        raise inputs.Problem("Use digits only (spaces, a leading +, - and brackets are fine).")
    return number


class CrisisLineForm(inputs.Form):
    """One local crisis line the admin adds (shown on every screen, login included): NAMEs, so
    hidden characters are refused rather than quietly changed."""

    name: Annotated[
        str,
        inputs.Name(
            CRISIS_NAME_MAX,
            "The name",
            required=f"Give the resource a name (up to {CRISIS_NAME_MAX} characters).",
            too_long=f"Give the resource a name (up to {CRISIS_NAME_MAX} characters).",
        ),
    ]
    detail: Annotated[
        str,
        inputs.Name(
            CRISIS_DETAIL_MAX,
            "The description",
            optional=True,
            too_long=f"Keep the description under {CRISIS_DETAIL_MAX} characters.",
        ),
    ]
    call: Annotated[str, inputs.Custom(_phone_number, inputs.Limit(max_chars=CRISIS_NUMBER_MAX))]
    text: Annotated[str, inputs.Custom(_phone_number, inputs.Limit(max_chars=CRISIS_NUMBER_MAX))]


def _check_resource(index: int, item) -> tuple[dict | None, dict[str, str]]:
    """One line as it will be stored, or None and its errors (keyed name_0, call_0 ...)."""
    if not isinstance(item, dict):
        return None, {f"name_{index}": "Each line needs a name and a number."}
    line, errors = CrisisLineForm.read(**{k: item.get(k, "") for k in ("name", "detail", "call", "text")})
    errors = {f"{key}_{index}": message for key, message in errors.items()}
    if line is not None and not line.call and not line.text:
        errors[f"call_{index}"] = "Give a number to call or to text."
    return (line.values() if line is not None and not errors else None), errors


def set_local_crisis_resources(session: Session, actor: Actor, resources: list[dict]) -> Program:
    """Replace the program's local crisis lines (admin only)."""
    require_role(session, actor, Role.ADMIN, what="program")
    if not isinstance(resources, list):
        raise ValidationError.one("resources", "Crisis lines are a list.")
    if len(resources) > MAX_LOCAL_RESOURCES:
        raise ValidationError.one("resources", f"At most {MAX_LOCAL_RESOURCES} local resources.")
    errors: dict[str, str] = {}
    lines = []
    for index, item in enumerate(resources):
        line, found = _check_resource(index, item)
        errors.update(found)
        if line is not None:
            lines.append(line)
    if errors:
        raise ValidationError(errors)
    return _save_setting(session, actor, local_crisis_resources=[asdict(CrisisResource(**line)) for line in lines])


@dataclass(frozen=True)
class ParticipantOverview:
    name: str
    program_name: str
    schedule: str
    length_weeks: int
    therapist_name: str | None
    started_on: date | None
    first_day: date | None = None  # the first day they can have a card: their start, else the day the account began


@lru_cache(maxsize=1)
def _overview_statement():
    """`participant_overview`'s one statement, built once: the columns it uses, read as a plain row (the
    account and program as ORM objects cost Today's run more to load than the statement costs to run)."""
    user, program = table_of(AppUser), table_of(Program)
    therapist = user.alias("therapist")
    assignment = table_of(CaseloadAssignment)
    return (
        select(
            user.c.name,
            user.c.created_at,
            user.c.timezone,
            user.c.started_on,
            program.c.id.label("program_id"),
            program.c.name.label("program_name"),
            program.c.schedule,
            program.c.length_weeks,
            program.c.timezone.label("program_zone"),
            therapist.c.name.label("therapist_name"),
        )
        .select_from(
            user.outerjoin(program, program.c.id == user.c.program_id)
            .outerjoin(assignment, assignment.c.participant_id == user.c.id)
            .outerjoin(therapist, therapist.c.id == assignment.c.therapist_id)
        )
        .where(user.c.id == bindparam("participant_id"))
    )


def participant_overview(session: Session, actor: Actor, participant_id: int) -> ParticipantOverview:
    """Program, schedule and therapist of one participant, in one query."""
    authorize(session, actor, participant_id, Category.PROFILE, Action.READ)
    row = session.execute(_overview_statement(), {"participant_id": participant_id}).one()
    created = row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC)
    has_program = row.program_id is not None
    joined = created.astimezone(_first_zone(row.timezone, row.program_zone if has_program else None)).date()
    return ParticipantOverview(
        name=row.name,
        program_name=row.program_name if has_program else "",
        schedule=row.schedule if has_program else "",
        length_weeks=row.length_weeks if has_program else 0,
        therapist_name=row.therapist_name,
        started_on=row.started_on,
        first_day=row.started_on or joined,
    )


CHECKUP_INTERVAL_RANGE = clinical.CHECKUP_INTERVAL_RANGE


class IntervalForm(inputs.Form):
    interval: Annotated[
        int,
        inputs.Whole(
            *CHECKUP_INTERVAL_RANGE,
            f"Choose between {CHECKUP_INTERVAL_RANGE[0]} and {CHECKUP_INTERVAL_RANGE[1]} days.",
            optional=False,
        ),
    ]


def set_checkup_interval(session: Session, actor: Actor, days: int) -> Program:
    """How often weekly check-ups fall due (admin only); counts from each participant's intake."""
    require_role(session, actor, Role.ADMIN, what="program")
    days = IntervalForm.check(interval=days).interval
    return _save_setting(session, actor, checkup_interval_days=days)
