"""The input layer (core/inputs.py) and the holes the hostile-input probe found, one test each,
on SQLite and PostgreSQL: NUL bytes, bidi overrides, unchecked lengths, floats for ratings, far
dates, wrong Python types, numbers standing in for ids, and CSV cells a spreadsheet would run.
(The property suite in tests/property covers every write function with generated values.)"""

from __future__ import annotations

import csv
import importlib
import io
import pkgutil
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import pytest
from sqlmodel import select

import core
from core import accounts, alerts, attendance, clinical, diary, export, inputs, practice, program, safety, sharing
from core.access import Action, Category, authorize
from core.errors import AccessDenied, ValidationError
from core.models import (
    Alert,
    AppUser,
    ConsentGrant,
    DiaryCard,
    DiaryTarget,
    FamilyInvitation,
    Homework,
    PracticeEntry,
    Program,
    Role,
    ThoughtRecord,
)
from tests.unit.test_diary import NOV23, NY_EVENING, act, card, fresh_participant

NUL, RLO = "\x00", "\u202e"


# --- the rules, without a database ------------------------------------------------------------------


def test_free_text_loses_only_what_nobody_can_see():
    typed = "Line one\r\nline two\ttabbed \U0001f468\u200d\U0001f469\u200d\U0001f467 \u05e9\u05dc\u05d5\u05dd \u200f!"
    assert inputs.free_text(typed) == typed.replace("\r\n", "\n")  # emoji (ZWJ), Hebrew, RLM kept
    assert inputs.free_text(f" a{NUL}b\x07c\x1b[31m\x7fd\x85e\x9b{RLO}f\u2066g\u2069\ud800 ") == "abc[31mdefg"
    assert inputs.free_text("old\rMac") == "old\nMac"


def test_a_line_is_one_line():
    assert inputs.line_text("  call\n\nmy   sister\t ") == "call my sister"
    assert inputs.line_text(f"Mum{NUL}{RLO}") == "Mum"


class _Sample(inputs.Form):
    note: Annotated[str, inputs.FreeText(10, "The note")]
    name: Annotated[str, inputs.Name(10, "The name", required="Enter a name.")]
    rating: Annotated[int | None, inputs.Whole(0, 5, "A whole number from 0 to 5.")]
    day: Annotated[date | None, inputs.Day("Choose a day.", optional=True)]


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", f"Ann{NUL}"),
        ("name", f"Dr. Ann{RLO}eivaR"),
        ("name", "Ann\u2066x"),
        ("name", "   "),
        ("name", None),
        ("name", 42),
        ("name", "x" * 11),
        ("note", None),
        ("note", b"bytes"),
        ("note", "y" * 11),
        ("note", "z" * 10**6),
        ("rating", 2.0),
        ("rating", 2.5),
        ("rating", True),
        ("rating", "2"),
        ("rating", Decimal(2)),
        ("rating", 6),
        ("rating", float("nan")),
        ("day", datetime(2026, 11, 23, tzinfo=UTC)),
        ("day", "2026-11-23"),
        ("day", 20261123),
    ],
)
def test_a_form_names_the_field_whatever_arrives(field, value):
    values = {"note": "ok", "name": "Ann Lee", "rating": 3, "day": None, field: value}
    with pytest.raises(ValidationError) as refused:
        _Sample.check(**values)
    assert set(refused.value.fields) == {field} and refused.value.fields[field].strip()


def test_a_form_gives_back_what_will_be_stored():
    form = _Sample.check(note=f" hi{NUL}\r\n", name="  Ann   Lee ", rating=0, day=date(2026, 11, 23))
    assert form.values() == {"note": "hi", "name": "Ann Lee", "rating": 0, "day": date(2026, 11, 23)}


def test_pages_read_the_limits_from_the_forms_and_they_are_the_named_constants():
    assert inputs.max_chars(diary.CardForm, "note") == clinical.NOTE_MAX_CHARS
    assert inputs.bounds(diary.CardForm, "mood") == (clinical.MOOD_MIN, clinical.MOOD_MAX)
    assert inputs.max_chars(practice.PracticeForm, "situation") == clinical.PRACTICE_SITUATION_MAX
    assert inputs.max_chars(practice.ThoughtForm, "evidence_for") == clinical.THOUGHT_LIMITS["evidence_for"]
    assert inputs.max_chars(practice.HomeworkForm, "note") == clinical.HOMEWORK_NOTE_MAX
    assert inputs.max_chars(alerts.AcknowledgeForm, "note") == alerts.ACK_NOTE_MAX
    assert inputs.max_chars(accounts.AccountForm, "name") == accounts.NAME_MAX
    assert inputs.max_chars(sharing.InvitationForm, "relationship") == sharing.RELATIONSHIP_MAX
    assert inputs.max_chars(sharing.ConsentForm, "signature") == sharing.SIGNATURE_MAX
    assert inputs.max_chars(diary.TargetForm, "label") == diary.TARGET_LABEL_MAX
    assert inputs.max_chars(program.CrisisLineForm, "detail") == program.CRISIS_DETAIL_MAX


def test_every_form_checks_every_field_itself():
    """No field is left to pydantic's own coercion: each one has a check of this layer (so its
    messages are ours, and nothing like '5' -> 5 slips through)."""
    for info in pkgutil.iter_modules(core.__path__):
        importlib.import_module(f"core.{info.name}")
    assert len(inputs.Form.registry) >= 14
    for name, form in inputs.Form.registry.items():
        for field, info in form.model_fields.items():
            assert any(type(m).__name__ == "Check" for m in info.metadata), f"{name}.{field}"
        assert form.model_config["extra"] == "forbid" and form.model_config["strict"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+2", "@SUM(1)", "\t=1", "\r=1", "\n=1", "\uff1d1"])
def test_a_cell_a_spreadsheet_would_run_is_kept_as_text(cell):
    assert diary.spreadsheet_safe(cell) == "'" + cell
    assert diary.spreadsheet_safe("plain") == "plain" and diary.spreadsheet_safe(-1) == -1


# --- NUL bytes and other invisible characters --------------------------------------------------------


def _no_hidden(value: str) -> bool:
    return not inputs.unseen(value)


def test_a_nul_in_a_diary_note_is_removed_and_the_card_saved(session, demo):
    quinn = fresh_participant(session)
    diary.save_card(
        session, quinn, participant_id=quinn.id, day=NOV23, now=NY_EVENING, card=card(note=f"fine{NUL} day{RLO}\x07")
    )
    stored = session.exec(select(DiaryCard.note).where(DiaryCard.participant_id == quinn.id)).one()
    assert stored == "fine day"


def test_nul_and_overrides_in_the_therapists_notes_are_removed(session, demo):
    rivera, quinn = act(session, "dr.rivera"), fresh_participant(session)
    homework = practice.assign_homework(
        session, rivera, participant_id=quinn.id, skill_id="tipp", note=f"Cold water{NUL} first{RLO}", now=NY_EVENING
    )
    assert session.get(Homework, homework.id).note == "Cold water first"
    saved = diary.save_card(
        session, quinn, participant_id=quinn.id, day=NOV23, now=NY_EVENING, card=card(urges={"self_harm": (5, False)})
    )
    alerts.acknowledge(session, rivera, alert_id=saved.risk.alert_id, note=f"Called{NUL} her;\x1b safe")
    assert session.get(Alert, saved.risk.alert_id).acknowledgement == "Called her; safe"


def test_nul_in_a_practice_entry_and_a_thought_record_is_removed(session, demo):
    quinn = fresh_participant(session)
    practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key="k1",
        now=NY_EVENING,
        entry=practice.PracticeInput("tipp", 8, 4, "yes", f"at{NUL}\nwork", f"cold{NUL} water"),
    )
    practice.save_thought_record(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key="t1",
        now=NY_EVENING,
        record=practice.ThoughtInput(f"a text{NUL}", [(f"anx{NUL}ious", 80, None)], f"they're{RLO} fed up"),
    )
    entry = session.exec(select(PracticeEntry).where(PracticeEntry.participant_id == quinn.id)).one()
    assert (entry.situation, entry.note) == ("at work", "cold water")
    record = session.exec(select(ThoughtRecord).where(ThoughtRecord.participant_id == quinn.id)).one()
    assert (record.situation, record.automatic_thought) == ("a text", "they're fed up")
    assert record.emotions == [{"name": "anxious", "before": 80, "after": None}]


def test_a_safety_plan_line_loses_hidden_characters_and_keeps_the_rest(session, demo):
    dana = act(session, "dana")
    plan = safety.current_plan(session, dana, dana.id)
    content = {
        **plan.content,
        "reasons_for_living": [f"my dog{NUL} Pepper{RLO}"],
        "help_contacts": [{"name": f"Mum{NUL}", "phone": "555\x000100"}],
    }
    safety.save_plan(session, dana, participant_id=dana.id, content=content, base_version=plan.version)
    saved = safety.current_plan(session, dana, dana.id)
    assert saved.items("reasons_for_living") == ["my dog Pepper"]
    assert saved.items("help_contacts") == [{"name": "Mum", "phone": "5550100"}]


@pytest.mark.parametrize("text", [f"Ann{NUL} Lee", f"Ann Lee{RLO}", "Ann \u2067Lee", "Ann\x1bLee", "Ann\ud800"])
def test_a_name_with_hidden_characters_is_refused_everywhere_a_name_is_typed(session, demo, text):
    admin, alex = act(session, "admin"), act(session, "alex")
    pat = act(session, "pat.morgan")
    tries = {
        "account name": (
            lambda: accounts.create_account(
                session, admin, username="ann.lee", name=text, role="participant", password="long enough", rounds=4
            ),
            "name",
        ),
        "invitation name": (lambda: sharing.create_invitation(session, alex, name=text), "name"),
        "relationship": (
            lambda: sharing.create_invitation(session, alex, name="Sam", relationship=text),
            "relationship",
        ),
        "card target": (lambda: diary.add_target(session, admin, label=text), "label"),
        "crisis line": (
            lambda: program.set_local_crisis_resources(session, admin, [{"name": text, "call": "555-0100"}]),
            "name_0",
        ),
        "Part 2 purpose": (
            lambda: sharing.grant(
                session,
                alex,
                family_id=pat.id,
                category=Category.SUBSTANCE_USE,
                until=_today(session, alex) + timedelta(days=30),
                purpose=text,
                signature=alex.name,
                shown_version=sharing.consent_version(Category.SUBSTANCE_USE),
            ),
            "purpose",
        ),
    }
    for what, (call, field) in tries.items():
        with pytest.raises(ValidationError) as refused:
            call()
        assert field in refused.value.fields, what
    assert session.exec(select(AppUser).where(AppUser.username == "ann.lee")).first() is None
    assert all(_no_hidden(n) for n in session.exec(select(FamilyInvitation.name)))
    assert all(_no_hidden(label) for label in session.exec(select(DiaryTarget.label)))
    assert (
        session.exec(select(ConsentGrant).where(ConsentGrant.category == Category.SUBSTANCE_USE.value)).first() is None
    )


def _today(session, who):
    return program.user_today(session, who.id)


# --- lengths the database would have refused (or stored) -----------------------------------------------


def test_keys_tools_and_emails_have_lengths(session, demo):
    quinn, alex = fresh_participant(session), act(session, "alex")
    with pytest.raises(ValidationError) as refused:
        practice.save_thought_record(
            session,
            quinn,
            participant_id=quinn.id,
            entry_key="k" * 1_000_000,
            record=practice.ThoughtInput("a", [("sad", 50, None)], "b"),
            now=NY_EVENING,
        )
    assert set(refused.value.fields) == {"form"}
    for tool in ("x" * 17, "javascript", "thought_record", None):
        with pytest.raises(ValidationError) as refused:
            practice.save_practice(
                session,
                quinn,
                participant_id=quinn.id,
                entry_key="k2",
                now=NY_EVENING,
                entry=practice.PracticeInput("tipp", 5, tool=tool),
            )
        assert set(refused.value.fields) == {"tool"}
    with pytest.raises(ValidationError) as refused:
        sharing.create_invitation(session, alex, name="Sam", email="s" * 250 + "@x.org")
    assert set(refused.value.fields) == {"email"}
    assert session.exec(select(ThoughtRecord).where(ThoughtRecord.participant_id == quinn.id)).first() is None
    assert session.exec(select(PracticeEntry).where(PracticeEntry.participant_id == quinn.id)).first() is None


# --- numbers and dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"emotions": {"sadness": 2.5}}, "sadness"),
        ({"emotions": {"joy": 3.0}}, "joy"),
        ({"craving": 3.5}, "craving"),
        ({"craving": 4.0}, "craving"),
        ({"mood": 5.0}, "mood"),
        ({"urges": {"self_harm": (2.0, False)}}, "urge_self_harm"),
        ({"emotions": {"anger": True}}, "anger"),
        ({"craving": Decimal(3)}, "craving"),
        ({"sleep_hours": float("inf")}, "sleep_hours"),
        ({"sleep_hours": True}, "sleep_hours"),
        ({"urges": {"self_harm": (2, "no")}}, "urge_self_harm"),
    ],
)
def test_ratings_are_whole_numbers_never_rounded_by_the_database(session, demo, overrides, field):
    quinn = fresh_participant(session)
    with pytest.raises(ValidationError) as refused:
        diary.save_card(session, quinn, participant_id=quinn.id, day=NOV23, now=NY_EVENING, card=card(**overrides))
    assert field in refused.value.fields
    assert session.exec(select(DiaryCard).where(DiaryCard.participant_id == quinn.id)).first() is None


def test_a_homework_due_date_is_a_day_within_a_year(session, demo):
    rivera, quinn = act(session, "dr.rivera"), fresh_participant(session)
    for due in (
        date(9999, 12, 31),
        NOV23 + timedelta(days=clinical.HOMEWORK_DUE_MAX_DAYS + 1),
        datetime(2026, 11, 30, tzinfo=UTC),
        "2026-11-30",
        NOV23 - timedelta(days=1),
    ):
        with pytest.raises(ValidationError) as refused:
            practice.assign_homework(
                session, rivera, participant_id=quinn.id, skill_id="tipp", due_on=due, now=NY_EVENING
            )
        assert set(refused.value.fields) == {"due_on"}, due
    latest = NOV23 + timedelta(days=clinical.HOMEWORK_DUE_MAX_DAYS)
    saved = practice.assign_homework(
        session, rivera, participant_id=quinn.id, skill_id="tipp", due_on=latest, now=NY_EVENING
    )
    assert saved.due_on == latest


def test_assigning_a_skill_again_returns_the_new_assignment(session, demo):
    """The seed gave Alex 'opposite_action' earlier; assigning it again shows today's, not that one."""
    rivera, alex = act(session, "dr.rivera"), act(session, "alex")
    today = _today(session, alex)
    assert "opposite_action" in [h.skill_id for h in practice.homework_for(session, rivera, alex.id)]
    due = today + timedelta(days=30)  # later than the first one's: it sorts second
    again = practice.assign_homework(
        session, rivera, participant_id=alex.id, skill_id="opposite_action", due_on=due, note="again"
    )
    assert (again.assigned_on, again.due_on, again.note) == (today, due, "again")


# --- wrong Python types ---------------------------------------------------------------------------


def _calls(session):
    admin, rivera, alex = act(session, "admin"), act(session, "dr.rivera"), act(session, "alex")
    quinn = fresh_participant(session)
    plan = safety.current_plan(session, alex, alex.id)
    new = dict(username="ann.lee", name="Ann Lee", role="participant", password="long enough", rounds=4)
    return {
        "account username": (lambda: accounts.create_account(session, admin, **{**new, "username": 5}), "username"),
        "account role": (lambda: accounts.create_account(session, admin, **{**new, "role": ["participant"]}), "role"),
        "account email": (lambda: accounts.create_account(session, admin, **{**new, "email": ["a@b.co"]}), "email"),
        "account password": (
            lambda: accounts.create_account(session, admin, **{**new, "password": "long\ud800enough"}),
            "password",
        ),
        "account therapist": (lambda: accounts.create_account(session, admin, **new, therapist_id="3"), "therapist"),
        "deactivate": (lambda: accounts.set_active(session, admin, user_id=quinn.id, active="no"), "active"),
        "account id": (lambda: accounts.set_active(session, admin, user_id="4", active=False), "user"),
        "list role": (lambda: accounts.list_accounts(session, admin, role=["admin"]), "role"),
        "favourite": (lambda: practice.set_favourite(session, alex, alex.id, "tipp", "yes"), "on"),
        "favourite skill": (lambda: practice.set_favourite(session, alex, alex.id, ["tipp"], True), "skill"),
        "card": (
            lambda: diary.save_card(session, alex, participant_id=alex.id, day=_today(session, alex), card=None),
            "form",
        ),
        "card day": (
            lambda: diary.save_card(session, alex, participant_id=alex.id, day=datetime.now(UTC), card=card()),
            "day",
        ),
        "medication": (
            lambda: diary.save_card(
                session, alex, participant_id=alex.id, day=_today(session, alex), card=card(medication=["yes"])
            ),
            "medication",
        ),
        "skills": (
            lambda: diary.save_card(
                session, alex, participant_id=alex.id, day=_today(session, alex), card=card(skills=[["tipp"]])
            ),
            "skills",
        ),
        "practice entry": (
            lambda: practice.save_practice(
                session, alex, participant_id=alex.id, entry_key="k", entry={"skill_id": "tipp"}
            ),
            "form",
        ),
        "practice key": (
            lambda: practice.save_practice(
                session, alex, participant_id=alex.id, entry_key=7, entry=practice.PracticeInput("tipp", 4)
            ),
            "form",
        ),
        "thought emotions": (
            lambda: practice.save_thought_record(
                session, alex, participant_id=alex.id, entry_key="t", record=practice.ThoughtInput("a", "sad", "b")
            ),
            "emotions",
        ),
        "homework id": (
            lambda: practice.remove_homework(session, rivera, participant_id=alex.id, homework_id="1"),
            "homework",
        ),
        "alert ids": (lambda: alerts.acknowledge_many(session, rivera, alert_ids="12", note="called"), "alerts"),
        "alert id": (lambda: alerts.resolve(session, rivera, alert_id=2**63), "alert"),
        "search": (lambda: alerts.screen_search(session, alex, query=None, day=_today(session, alex)), "query"),
        "search day": (lambda: alerts.screen_search(session, alex, query="hi", day="today"), "day"),
        "roll today": (
            lambda: attendance.record_session(
                session, rivera, statuses={1: "present"}, today=datetime(2026, 11, 20, 12, tzinfo=UTC)
            ),
            "today",
        ),
        "roll statuses": (
            lambda: attendance.record_session(session, rivera, statuses=[alex.id], today=_today(session, alex)),
            "status",
        ),
        "roll status word": (
            lambda: attendance.record_session(session, rivera, statuses={1: ["present"]}, today=_today(session, alex)),
            "status",
        ),
        "target rule": (
            lambda: diary.set_target_rule(
                session,
                admin,
                target_id=diary.add_target(session, admin, label="Gambling").id,
                min_urge=3,
                urge_severity=["review"],
                acted_severity="none",
            ),
            "urge_severity",
        ),
        "target active": (lambda: diary.set_target_active(session, admin, target_id=1, active="no"), "active"),
        "plan": (
            lambda: safety.save_plan(
                session, alex, participant_id=alex.id, content=["calm"], base_version=plan.version
            ),
            "plan",
        ),
        "plan lines": (
            lambda: safety.save_plan(
                session,
                alex,
                participant_id=alex.id,
                content={"reasons_for_living": "my dog"},
                base_version=plan.version,
            ),
            "reasons_for_living",
        ),
        "plan version": (
            lambda: safety.save_plan(session, alex, participant_id=alex.id, content={}, base_version="2"),
            "base_version",
        ),
        "invitation name": (lambda: sharing.create_invitation(session, alex, name=None), "name"),
        "consent until": (
            lambda: sharing.grant(
                session,
                alex,
                family_id=act(session, "pat.morgan").id,
                category=Category.MOOD_TREND,
                until=datetime.now(UTC),
                shown_version=sharing.consent_version(Category.MOOD_TREND),
            ),
            "until",
        ),
        "check-up interval": (lambda: program.set_checkup_interval(session, admin, 7.0), "interval"),
        "crisis lines": (
            lambda: program.set_local_crisis_resources(session, admin, [{"name": "Line", "call": 5550100}]),
            "call_0",
        ),
    }


def test_wrong_python_types_are_a_validation_error_naming_the_field(session, demo):
    for what, (call, field) in _calls(session).items():
        with pytest.raises(ValidationError) as refused:
            call()
            pytest.fail(f"{what}: saved")
        assert field in refused.value.fields, (what, refused.value.fields)


# --- numbers that equal an id are not that id -------------------------------------------------------------


@pytest.mark.parametrize("kind", [float, Decimal, str])
def test_the_gate_refuses_a_number_that_merely_equals_an_id(session, demo, kind):
    """4.0 == 4 and Decimal(4) == 4 in Python (and hash alike): the gate used to find the person and
    allow it, and the write then failed in the database (or stored 4.0)."""
    alex = act(session, "alex")
    with pytest.raises(AccessDenied):
        authorize(session, alex, kind(alex.id), Category.DIARY, Action.WRITE)
    with pytest.raises(AccessDenied):
        practice.set_favourite(session, alex, kind(alex.id), "tipp", True)


# --- a double tap, someone not connected, another program ----------------------------------------------


def test_an_account_taken_a_moment_ago_is_a_message_not_a_database_error(session, demo, monkeypatch):
    """Two admins (or a double tap) create the same username: the second's uniqueness check ran
    before the first committed. Here the check is made to miss, as it would in that race."""
    admin = act(session, "admin")
    accounts.create_account(
        session, admin, username="ann.lee", name="Ann Lee", role="therapist", password="long enough", rounds=4
    )
    monkeypatch.setattr(accounts.auth, "find_user", lambda *_: None)
    with pytest.raises(ValidationError) as refused:
        accounts.create_account(
            session, admin, username="ann.lee", name="Ann Lee", role="therapist", password="long enough", rounds=4
        )
    assert set(refused.value.fields) == {"username"}
    assert len(session.exec(select(AppUser).where(AppUser.username == "ann.lee")).all()) == 1


def test_revoking_for_someone_not_connected_is_refused(session, demo):
    alex = act(session, "alex")
    with pytest.raises(ValidationError) as refused:
        sharing.revoke(session, alex, family_id=act(session, "jamie.okafor").id, category=Category.MOOD_TREND)
    assert set(refused.value.fields) == {"family"}


def test_an_admin_cannot_deactivate_an_account_of_another_program(session, demo):
    other = Program(name="Other IOP")
    session.add(other)
    session.flush()
    stranger = AppUser(
        username="stranger", name="Stranger", role=Role.THERAPIST.value, password_hash="!", program_id=other.id
    )
    session.add(stranger)
    session.commit()
    with pytest.raises(ValidationError):
        accounts.set_active(session, act(session, "admin"), user_id=stranger.id, active=False)
    session.refresh(stranger)
    assert stranger.is_active


# --- every CSV cell is spreadsheet-safe --------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1", "\uff1d1+1"]


def _cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text)))
    return [cell for row in rows[1:] for cell in row]


def test_every_text_cell_of_every_export_is_spreadsheet_safe(session, demo):
    """Rows already in the database (from before these checks) carry formula payloads in every text
    column the exports write; no cell of any CSV may start the way a formula does."""
    alex, rivera = act(session, "alex"), act(session, "dr.rivera")
    today = _today(session, alex)
    payload = iter(FORMULAS * 10)
    therapist = session.get(AppUser, rivera.id)
    therapist.name = next(payload)
    session.add(therapist)
    session.add(
        PracticeEntry(
            participant_id=alex.id,
            entry_key="legacy",
            skill_id="tipp",
            day=today,
            situation=next(payload),
            distress_before=5,
            note=next(payload),
            tool=next(payload),
        )
    )
    session.add(
        PracticeEntry(participant_id=alex.id, entry_key="legacy2", skill_id=next(payload), day=today, distress_before=5)
    )
    session.add(
        ThoughtRecord(
            participant_id=alex.id,
            entry_key="legacy",
            day=today,
            situation=next(payload),
            emotions=[{"name": next(payload), "before": 5, "after": None}],
            automatic_thought=next(payload),
            evidence_for=next(payload),
            evidence_against=next(payload),
            balanced_thought=next(payload),
        )
    )
    session.add(
        Homework(
            participant_id=alex.id, skill_id="tipp", assigned_by_id=rivera.id, assigned_on=today, note=next(payload)
        )
    )
    old_card = DiaryCard(
        participant_id=alex.id,
        day=today - timedelta(days=400),
        mood=5,
        note=next(payload),
        medication=None,
        skills=[next(payload)],
    )
    session.add(old_card)
    session.flush()
    from core.models import CardTrigger, MatDose, RecoveryCounter, SubstanceUse

    session.add_all(  # the dual-diagnosis files (#20): closed sets and numbers only, checked all the same
        [
            SubstanceUse(card_id=old_card.id, substance="alcohol", amount=3, unit="drinks"),
            CardTrigger(card_id=old_card.id, trigger="people"),
            MatDose(card_id=old_card.id, medication="naltrexone", taken="yes"),
            RecoveryCounter(participant_id=alex.id, substance="alcohol", start_on=today - timedelta(days=30)),
        ]
    )
    alert = session.exec(select(Alert).where(Alert.participant_id == alex.id)).first() or Alert(
        participant_id=alex.id, trigger="x", severity="review", source_key="legacy"
    )
    alert.detail, alert.acknowledgement, alert.acknowledged_by_id = next(payload), next(payload), rivera.id
    alert.acknowledged_at = datetime.now(UTC)
    session.add(alert)
    plan = safety.current_plan(session, alex, alex.id)
    session.commit()
    safety.save_plan(
        session,
        alex,
        participant_id=alex.id,
        base_version=plan.version,
        content={**plan.content, "coping_alone": ["=1+1 is maths homework"]},
    )
    from core import aftercare

    aftercare.save_plan(  # the aftercare plan's file too (#19): typed lines, people, appointments
        session,
        rivera,
        participant_id=alex.id,
        base_version=None,  # alex has no aftercare plan in the demo
        content={
            "triggers": [next(payload)],
            "people": [{"name": "+Sam", "phone": "555 0100"}],
            "appointments": [{"provider": "@clinic", "date": today + timedelta(days=7), "contact": "-1"}],
            "medication": "=2+2 as prescribed",
        },
    )

    files = {
        "practice.csv": practice.practice_csv(session, alex, alex.id),
        "cards.csv": diary.cards_csv(session, alex, alex.id, targets=diary.targets_for(session, alex.program_id)),
    }
    with zipfile.ZipFile(io.BytesIO(export.record_zip(session, rivera, alex.id))) as archive:
        files |= {name: archive.read(name).decode() for name in archive.namelist() if name.endswith(".csv")}
    for name, text in files.items():
        cells = _cells(text)
        assert cells, name
        dangerous = [c for c in cells if c.startswith(diary.FORMULA_STARTS)]
        assert dangerous == [], (name, dangerous[:3])
    assert "'=HYPERLINK" in files["homework.csv"] or "'=HYPERLINK" in files["practice.csv"]
