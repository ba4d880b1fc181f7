"""Red team, wave 15: the whole app attacked as a stranger would, with fresh eyes (SQLite and
PostgreSQL). Each test is an attack that broke the app (and guards its fix) or that guards
something no earlier test did."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from core import alerts, checkups, clinical
from core.errors import ValidationError
from core.models import Alert, Checkup

MONDAY = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # midday in New York, the test program's zone


def _phq9(item9: int) -> list[int]:
    return [1] * 8 + [item9]


def _item9_alerts(session, participant_id: int) -> list[Alert]:
    session.expire_all()
    return list(
        session.exec(select(Alert).where(Alert.participant_id == participant_id, Alert.trigger == "phq9_item9")).all()
    )


def test_a_phq9_sent_again_from_a_second_tab_with_item_9_above_zero_still_alerts(session, people):
    """Two tabs (or two phones) had this week's PHQ-9 open: the first sent with item 9 at 0, the
    second, a moment later, with item 9 at 2. The second cannot be saved (one a week), but its
    item 9 answer is a risk signal: it was dropped with "already done this week" and no crisis
    lines — the therapist never heard of it."""
    quinn = people.participant()
    checkups.submit(session, quinn, participant_id=quinn.id, kind="phq9", answers=_phq9(0), now=MONDAY)
    assert _item9_alerts(session, quinn.id) == []
    with pytest.raises(ValidationError) as refused:
        checkups.submit(session, quinn, participant_id=quinn.id, kind="phq9", answers=_phq9(2), now=MONDAY)
    assert "kind" in refused.value.fields  # still one check-up this week: nothing saved twice
    assert alerts.risk_of(refused.value).risky, "the crisis lines must show for the refused answer too"
    opened = _item9_alerts(session, quinn.id)
    choice = checkups.questionnaires()["phq9"].items[clinical.PHQ9_ITEM9_INDEX].choices[2]
    assert len(opened) == 1 and opened[0].severity == "urgent" and choice in opened[0].detail
    assert session.exec(select(Checkup).where(Checkup.participant_id == quinn.id)).all()[0].answers == _phq9(0)


def test_two_phq9s_sent_at_the_same_moment_the_one_not_saved_still_routes_its_item_9(session, people, monkeypatch):
    """The same race one step later: both sends read "due" before either saved, so the second loses at
    the insert ("already saved — thank you"). Its item 9 answer of 3 must still open the urgent alert
    (on the check-up that was saved) and bring the crisis lines."""
    quinn = people.participant()
    read_before_either_saved = checkups.statuses(session, quinn, quinn.id)
    checkups.submit(session, quinn, participant_id=quinn.id, kind="phq9", answers=_phq9(0), now=MONDAY)
    monkeypatch.setattr(checkups, "statuses", lambda *args, **kwargs: read_before_either_saved)
    with pytest.raises(ValidationError) as refused:
        checkups.submit(session, quinn, participant_id=quinn.id, kind="phq9", answers=_phq9(3), now=MONDAY)
    assert "already saved" in refused.value.fields["kind"]
    assert alerts.risk_of(refused.value).risky
    opened = _item9_alerts(session, quinn.id)
    assert len(opened) == 1 and opened[0].severity == "urgent" and opened[0].source_key == "phq9:p0"
    assert len(session.exec(select(Checkup).where(Checkup.participant_id == quinn.id)).all()) == 1


CRISIS_THOUGHT = "I want to kill myself, nobody would miss me"


def _review_alerts(session, participant_id: int, source_prefix: str) -> list[Alert]:
    session.expire_all()
    rows = session.exec(select(Alert).where(Alert.participant_id == participant_id)).all()
    return [a for a in rows if a.source_key.startswith(source_prefix)]


def test_a_thought_record_refused_for_a_missing_rating_still_routes_the_crisis_words_in_it(session, people):
    """A distressed person writes their automatic thought — crisis words — and skips the 0–100 rating of
    the emotion. The record is refused for the rating (what was typed stays on the form), but the words
    were written: as on the diary card and the PHQ-9, they reach the therapist and bring the crisis
    lines now, not only if the person comes back to fix the rating."""
    from core import practice

    quinn = people.participant()
    record = practice.ThoughtInput("after the call", [("hopeless", None, None)], CRISIS_THOUGHT)
    with pytest.raises(ValidationError) as refused:
        practice.save_thought_record(
            session, quinn, participant_id=quinn.id, entry_key=practice.new_entry_key(), record=record, now=MONDAY
        )
    assert "emotion_0" in refused.value.fields
    assert alerts.risk_of(refused.value).risky
    assert len(_review_alerts(session, quinn.id, "thought:")) == 1
    assert practice.thought_records(session, quinn, quinn.id) == []  # nothing saved


def test_a_practice_log_refused_for_a_missing_skill_still_routes_the_crisis_words_in_it(session, people):
    """The same on the practice log: a note with crisis words and no skill chosen."""
    from core import practice

    quinn = people.participant()
    entry = practice.PracticeInput("", 9, note=CRISIS_THOUGHT)
    with pytest.raises(ValidationError) as refused:
        practice.save_practice(
            session, quinn, participant_id=quinn.id, entry_key=practice.new_entry_key(), entry=entry, now=MONDAY
        )
    assert "skill" in refused.value.fields
    assert alerts.risk_of(refused.value).risky
    assert len(_review_alerts(session, quinn.id, "practice:")) == 1


@pytest.mark.parametrize("how", ["change", "choose"])
def test_a_reset_code_stops_working_once_the_person_sets_their_own_password(session, people, how):
    """The admin gives Quinn a reset code (a slip at the front desk, an e-mail to an old address). Quinn
    remembers the password after all, logs in and changes it — or sets one of their own after a first
    password. The code must die with it: before, anyone holding the slip could still set a password of
    their choosing for a day and take the account, and its new password ended Quinn's logins."""
    from core import auth

    quinn = people.participant()
    user = session.get(type(people.therapist), quinn.id)
    user.password_hash = auth.hash_password("quinns own words", rounds=4)
    session.add(user)
    session.commit()
    slip = auth.issue_reset_code(session, people.actor(people.admin), user_id=quinn.id)
    if how == "change":
        auth.change_password(
            session,
            user_id=quinn.id,
            current="quinns own words",
            new="a newer secret",
            repeat="a newer secret",
            rounds=4,
        )
    else:
        auth.choose_password(session, user_id=quinn.id, new="a newer secret", repeat="a newer secret", rounds=4)
    with pytest.raises(ValidationError) as refused:
        auth.redeem_reset_code(
            session, username="quinn", code=slip.code, new="the takeover", repeat="the takeover", client="x"
        )
    assert "code" in refused.value.fields
    session.expire_all()
    assert auth.check_password("a newer secret", session.get(type(people.therapist), quinn.id).password_hash)


def test_an_invitation_code_given_before_a_discharge_no_longer_opens_an_account_after_it(session, people):
    """Quinn gave Mum a code, then was discharged before Mum used it. A discharged participant can no
    longer start sharing (no new invitation, no new consent): the code made before must not start it
    either — before, it made Mum an account linked to Quinn's record after the program had ended."""
    from datetime import timedelta

    from core import enrolment, sharing
    from core.models import AppUser, FamilyLink, utcnow

    today = utcnow().date()
    quinn = people.participant(started_on=today - timedelta(days=30))
    code, _expires = sharing.create_invitation(session, quinn, name="Mum Rivers", relationship="parent")
    enrolment.discharge(
        session,
        people.actor(people.therapist),
        participant_id=quinn.id,
        day=today - timedelta(days=1),
        status="completed",
        today=today,
    )
    with pytest.raises(ValidationError) as refused:
        sharing.redeem_invitation(session, code=code, username="mum", password="long enough pw", rounds=4, client="x")
    assert refused.value.fields["code"] == sharing.DEAD_CODE
    assert session.exec(select(FamilyLink)).all() == []
    assert session.exec(select(AppUser).where(AppUser.username == "mum")).first() is None


@pytest.mark.parametrize("then", ["deactivated", "reassigned"])
def test_a_reset_code_dies_with_its_givers_right_to_give_it(session, people, then):
    """Dr. Ting gives Quinn a reset code, then leaves the program (deactivated) — or Quinn moves to
    another therapist's caseload. The code was Dr. Ting's to give only while Quinn was theirs: before,
    whoever held it (Dr. Ting included) could still set Quinn's password for the rest of the day."""
    from core import accounts, auth
    from core.models import AppUser, Role

    quinn = people.participant()
    slip = auth.issue_reset_code(session, people.actor(people.therapist), user_id=quinn.id)
    admin = people.actor(people.admin)
    if then == "deactivated":
        accounts.set_active(session, admin, user_id=people.therapist.id, active=False)
    else:
        other = AppUser(username="dr.other", name="Dr. Other", role=Role.THERAPIST.value, password_hash="!")
        other.program_id = people.program.id
        session.add(other)
        session.commit()
        accounts.assign_therapist(session, admin, participant_id=quinn.id, therapist_id=other.id)
    session.commit()
    with pytest.raises(ValidationError) as refused:
        auth.redeem_reset_code(
            session, username="quinn", code=slip.code, new="the takeover", repeat="the takeover", client="x"
        )
    assert "code" in refused.value.fields
