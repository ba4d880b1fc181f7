"""Accounts, roles and caseloads: who exists, who is whose therapist, who may log in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import auth, clinical, inputs, notify
from core.access import REFUSED_MESSAGE, Action, Actor, Category, Refusal, authorize, record, require_role
from core.db import hold_rows, unit_of
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, CaseloadAssignment, Program, Role, id_of, saved_id, table_of, utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 80
EMAIL_MAX = 254
SEARCH_MAX = 80  # characters of an account search
ADMIN_CREATABLE_ROLES = (Role.PARTICIPANT, Role.THERAPIST, Role.ADMIN)
# An admin's views of the account list (names and roles, no clinical content) are recorded once
# per admin per hour rather than on every refresh of every admin screen: the trail still shows
# who looked at the list and when (HIPAA 164.312(b) asks that activity be recorded *and*
# examined; a trail flooded by screen refreshes cannot be examined).
ADMIN_LIST_AUDIT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    name: str
    email: str
    role: Role
    is_active: bool
    therapist: str
    last_login_at: datetime | None
    therapist_id: int | None = None  # (names may repeat, or look alike: the screens tell people apart by id)
    therapist_username: str = ""


@dataclass(frozen=True)
class PersonRef:
    id: int
    name: str
    username: str
    started_on: date | None = None


def _username(value) -> str:
    username = value.strip().lower() if isinstance(value, str) and len(value) <= 4 * auth.USERNAME_MAX else ""
    if not USERNAME_RE.fullmatch(username):
        raise inputs.Problem(
            "Use 3–40 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter or digit."
        )
    return username


def _password(value) -> str:
    problem = auth.password_problem(value)
    if problem:
        raise inputs.Problem(problem)
    return value


class AccountForm(inputs.Form):
    """A new account, from the admin's form or a family member's invitation."""

    username: Annotated[str, inputs.Custom(_username, inputs.Limit(max_chars=auth.USERNAME_MAX))]
    name: Annotated[
        str,
        inputs.Name(
            NAME_MAX,
            "The name",
            required="Enter the person's name.",
            too_long=f"Keep the name under {NAME_MAX} characters.",
        ),
    ]
    email: Annotated[str, inputs.Email(EMAIL_RE, EMAIL_MAX)]
    role: Annotated[str, inputs.OneOf([r.value for r in Role], "Choose a role.")]
    password: Annotated[str, inputs.Custom(_password, inputs.Limit(max_chars=auth.PASSWORD_MAX_BYTES))]


def validate_new_account(
    session: Session, *, username: str, name: str, email: str, role: str, password: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    username = AccountForm.value("username", username, errors)
    if username and auth.find_user(session, username):
        errors["username"] = "That username is taken. Try another."
    AccountForm.value("name", name, errors)
    email = AccountForm.value("email", email, errors)
    if email and session.exec(select(AppUser.id).where(func.lower(AppUser.email) == email)).first():
        errors["email"] = "Another account already uses this email."
    AccountForm.value("role", role, errors)
    AccountForm.value("password", password, errors)
    return errors


def create_account(
    session: Session,
    actor: Actor,
    *,
    username: str,
    name: str,
    email: str = "",
    role: str,
    password: str,
    rounds: int,
    therapist_id: int | None = None,
    is_demo: bool = False,
    started_on: date | None = None,
) -> AppUser:
    """Create an account in the admin's program (and, for a participant, their caseload). A
    participant is enrolled from `started_on` (the program's today when not given), and their group
    sessions are made from the program's weekly pattern at once (core/schedule.py)."""
    from core import program as programs

    require_role(session, actor, Role.ADMIN, what="accounts")
    errors = validate_new_account(session, username=username, name=name, email=email, role=role, password=password)
    program_row = session.get(Program, actor.program_id) if actor.program_id else None
    today = programs.program_today(program_row)
    if started_on is None:
        started_on = today
    elif type(started_on) is not date or abs((started_on - today).days) > clinical.ENROLMENT_START_MAX_DAYS:
        errors["started_on"] = f"Choose a start date within {clinical.ENROLMENT_START_MAX_DAYS} days of today."
    if role == Role.FAMILY.value:
        errors["role"] = "Family members join through a participant's invitation."
    if therapist_id is not None and role == Role.PARTICIPANT.value:
        therapist = session.get(AppUser, therapist_id) if inputs.is_id(therapist_id) else None
        if (
            therapist is None
            or therapist.role != Role.THERAPIST.value
            or not therapist.is_active
            or therapist.program_id != actor.program_id  # (as assign_therapist: never another program's)
        ):
            errors["therapist"] = "Choose an active therapist of your program."
    if not isinstance(is_demo, bool):
        errors["is_demo"] = "Say whether this is a demo account."
    if errors:
        raise ValidationError(errors)
    form = AccountForm.check(username=username, name=name, email=email, role=role, password=password)
    username, name, email = form.username, form.name, form.email
    user = AppUser(
        username=username,
        name=name.strip(),
        email=email or None,
        role=role,
        password_hash=auth.hash_password(password, rounds=rounds),
        program_id=actor.program_id,
        is_demo=is_demo,
        must_change_password=True,
        started_on=started_on if role == Role.PARTICIPANT.value else None,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same username or email was saved a moment ago (a double tap)
        session.rollback()
        raise ValidationError.one("username", "That username (or email) was just taken. Try another.") from None
    if therapist_id is not None and role == Role.PARTICIPANT.value:
        session.add(CaseloadAssignment(participant_id=id_of(user), therapist_id=therapist_id, assigned_by_id=actor.id))
    if role == Role.PARTICIPANT.value and program_row is not None:
        from core import schedule

        schedule._sync(session, program_row, [id_of(user)], utcnow())  # their sessions, from the pattern
    record(
        session,
        actor,
        category=Category.PROFILE,
        action="create",
        participant_id=user.id if role == Role.PARTICIPANT.value else None,
        ref=f"user:{user.id}",
    )
    return user


def assign_therapist(session: Session, actor: Actor, *, participant_id: int, therapist_id: int) -> None:
    """Put a participant on a therapist's caseload (moving them off any other).

    The gate lets only the participant's program admin write their profile; the therapist must be
    an active therapist of that same program.
    """
    valid_therapist = inputs.is_id(therapist_id)
    authorize(
        session,
        actor,
        participant_id,
        Category.PROFILE,
        Action.WRITE,
        ref=f"user:{therapist_id}" if valid_therapist else "",
    )
    participant = session.get(AppUser, participant_id)
    therapist = session.get(AppUser, therapist_id) if valid_therapist else None
    if participant is None or participant.role != Role.PARTICIPANT.value:
        raise ValidationError.one("participant", "Choose a participant.")
    if (
        therapist is None
        or therapist.role != Role.THERAPIST.value
        or not therapist.is_active
        or therapist.program_id != participant.program_id
        or therapist.program_id != actor.program_id
    ):
        raise ValidationError.one("therapist", "Choose an active therapist of your program.")
    current = session.exec(
        select(CaseloadAssignment).where(CaseloadAssignment.participant_id == participant_id)
    ).first()
    if current is None:
        current = CaseloadAssignment(participant_id=participant_id, therapist_id=therapist_id)
    moved = current.therapist_id != therapist_id or current.id is None
    current.therapist_id, current.assigned_at, current.assigned_by_id = therapist_id, utcnow(), actor.id
    session.add(current)
    if moved:  # their open urgent alerts are in the new therapist's inbox now: tell them, as the first was told
        notify.caseload_moved(session, participant_id, therapist_id)
    session.commit()


def set_active(session: Session, actor: Actor, *, user_id: int, active: bool) -> AppUser:
    """Deactivate (or reactivate) an account; deactivation ends its logins everywhere."""
    require_role(session, actor, Role.ADMIN, what="accounts")
    user = session.get(AppUser, user_id) if inputs.is_id(user_id) else None
    if user is None or user.program_id != actor.program_id:
        raise ValidationError.one("user", "No such account.")
    if not isinstance(active, bool):
        raise ValidationError.one("active", "Choose whether the account is active.")
    if user.id == actor.id and not active:
        raise ValidationError.one("user", "You can't deactivate your own account.")
    # An admin can't deactivate their own account, so one always remains, one tap at a time; two admins
    # deactivating each other at the same moment both passed the check above and left none. The program's
    # admins are held while the acting admin is read again: the later of the two finds itself deactivated.
    hold_rows(session, AppUser, col(AppUser.program_id) == actor.program_id, col(AppUser.role) == Role.ADMIN.value)
    if not session.exec(
        select(AppUser.is_active).where(col(AppUser.id) == actor.id).execution_options(populate_existing=True)
    ).first():
        if unit_of(session) is None:
            session.rollback()
        record(session, actor, category="accounts", action="denied", allowed=False, reason=Refusal.ACCOUNT_INACTIVE)
        raise AccessDenied(REFUSED_MESSAGE)
    user.is_active = active
    if not active:
        auth.end_all_sessions(session, id_of(user))
    session.add(user)
    record(
        session,
        actor,
        category=Category.PROFILE,
        action="deactivate" if not active else "activate",
        participant_id=user.id if user.role == Role.PARTICIPANT.value else None,
        ref=f"user:{user.id}",
    )
    return user


def list_accounts(session: Session, actor: Actor, *, role: str | None = None, search: str = "") -> list[AccountRow]:
    """Accounts of the admin's program, with each participant's therapist, in one query."""
    require_role(session, actor, Role.ADMIN, what="accounts")
    if role is not None and role != "" and not (isinstance(role, str) and role in Role._value2member_map_):
        raise ValidationError.one("role", "Choose a role from the list.")
    search = inputs.line_text(search)[:SEARCH_MAX] if isinstance(search, str) and len(search) < 10_000 else ""
    therapist = table_of(AppUser).alias("therapist")
    query = (
        select(AppUser, therapist.c.name, therapist.c.id, therapist.c.username)
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == AppUser.id, isouter=True)
        .join(therapist, therapist.c.id == CaseloadAssignment.therapist_id, isouter=True)
        .where(AppUser.program_id == actor.program_id)
        .order_by(AppUser.role, AppUser.name)
    )
    if role:
        query = query.where(AppUser.role == role)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(AppUser.name).like(pattern), col(AppUser.username).like(pattern)))
    rows = [
        AccountRow(
            id=id_of(u),
            username=u.username,
            name=u.name,
            email=u.email or "",
            role=Role(u.role),
            is_active=u.is_active,
            therapist=t or "",
            last_login_at=u.last_login_at,
            therapist_id=t_id,
            therapist_username=t_username or "",
        )
        for u, t, t_id, t_username in session.exec(query)
    ]
    record(session, actor, category="accounts", action="read", collapse=ADMIN_LIST_AUDIT_WINDOW)
    return rows


def people(session: Session, *, program_id: int | None, role: Role) -> list[PersonRef]:
    """Active people of one role in a program, for pickers (names only, no clinical data)."""
    query = (
        select(AppUser)
        .where(
            AppUser.role == role.value,
            col(AppUser.is_active).is_(True),
            AppUser.program_id == program_id,
        )
        .order_by(AppUser.name)
    )
    return [PersonRef(id_of(u), u.name, u.username) for u in session.exec(query)]


def caseload_for(session: Session, actor: Actor) -> list[PersonRef]:
    """The therapist's own participants, and nobody else's."""
    require_role(session, actor, Role.THERAPIST, what="caseload")
    query = (  # the four columns shown, not whole accounts (Review's picker reads it on every rerun)
        select(col(AppUser.id), col(AppUser.name), col(AppUser.username), col(AppUser.started_on))
        .join(CaseloadAssignment, col(CaseloadAssignment.participant_id) == AppUser.id)
        .where(CaseloadAssignment.therapist_id == actor.id, col(AppUser.is_active).is_(True))
        .order_by(AppUser.name)
    )
    rows = [PersonRef(saved_id(i), name, username, started_on) for i, name, username, started_on in session.exec(query)]
    record(session, actor, category="caseload", action="read")
    return rows


def set_language(session: Session, *, user_id: int, language: str) -> str:
    """A person's own choice of language (My account, or their first login after choosing one on
    the login screen). Only participants and family members choose: therapist and admin screens
    are in English. Returns the language saved."""
    from core import i18n

    user = session.get(AppUser, user_id) if inputs.is_id(user_id) else None
    if user is None or not user.is_active:
        raise ValidationError.one("language", i18n._("Please log in again."))
    if user.role not in (Role.PARTICIPANT.value, Role.FAMILY.value):
        raise ValidationError.one("language", i18n._("Screens for your role are in English."))
    if not i18n.is_language(language):
        raise ValidationError.one("language", i18n._("Choose English or Español."))
    if user.language != language:
        user.language = language
        session.add(user)
    return language
