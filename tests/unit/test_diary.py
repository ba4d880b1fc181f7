"""The diary card: validation, one card per day, the late window in the participant's own time
zone, risk triggers at their edges, history and CSV."""

import csv
import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from core import clinical, diary
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, DiaryCard, DiaryTarget, DiaryUrge, Role
from core.program import user_today

# 2026-11-24 03:30 UTC is still the evening of Nov 23 in New York (the demo program's zone).
NY_EVENING = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
NOV23 = date(2026, 11, 23)


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def fresh_participant(session, username="quinn", tz=None) -> Actor:
    """A participant with no history, on dr.rivera's caseload (the demo ones have cards)."""
    from core import accounts

    admin = act(session, "admin")
    accounts.create_account(
        session,
        admin,
        username=username,
        name="Quinn Rivers",
        role="participant",
        password="long enough",
        rounds=4,
        therapist_id=act(session, "dr.rivera").id,
    )
    user = session.exec(select(AppUser).where(AppUser.username == username)).one()
    user.timezone = tz
    session.add(user)
    session.commit()
    return Actor.of(user)


def card(**overrides) -> diary.CardInput:
    values = dict(
        mood=6,
        emotions={"sadness": 2, "joy": 3},
        urges={"suicidal_thoughts": (0, False), "self_harm": (1, False), "substance_use": (2, False)},
        craving=3,
        skills=["wise_mind", "tipp"],
        sleep_hours=7.5,
        medication="yes",
        note="Went for a walk.",
    )
    values.update(overrides)
    return diary.CardInput(**values)


def save(session, who, day=NOV23, now=NY_EVENING, **overrides):
    return diary.save_card(session, who, participant_id=who.id, day=day, card=card(**overrides), now=now)


def test_a_card_round_trips(session, demo):
    quinn = fresh_participant(session)
    result = save(session, quinn)
    assert result.created and not result.late and result.risks == []
    got = diary.card_for_day(session, quinn, quinn.id, NOV23)
    assert got.mood == 6 and got.emotions["sadness"] == 2 and got.emotions["anger"] is None
    assert got.urges["substance_use"] == (2, False)
    assert got.skills == ["wise_mind", "tipp"] and got.note == "Went for a walk."


def test_saving_twice_edits_the_same_card(session, demo):
    quinn = fresh_participant(session)
    save(session, quinn)
    second = save(session, quinn, mood=8, urges={"self_harm": (0, False)})
    assert not second.created
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id == quinn.id)).all()
    assert len(cards) == 1 and cards[0].mood == 8
    assert len(session.exec(select(DiaryUrge).where(DiaryUrge.card_id == cards[0].id)).all()) == 3


def test_two_devices_saving_at_the_same_moment_make_one_card(engine, session, demo):
    quinn = fresh_participant(session)
    barrier, failures = threading.Barrier(4), []

    def tap(mood):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                diary.save_card(own, quinn, participant_id=quinn.id, day=NOV23, card=card(mood=mood), now=NY_EVENING)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=tap, args=(m,)) for m in (3, 4, 5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    session.expire_all()
    cards = session.exec(select(DiaryCard).where(DiaryCard.participant_id == quinn.id)).all()
    assert len(cards) == 1 and cards[0].mood in (3, 4, 5, 6)


def test_the_day_is_the_participants_own(session, demo):
    ny = fresh_participant(session, "quinn")  # program zone: New York
    tokyo = fresh_participant(session, "toshi", tz="Asia/Tokyo")
    assert user_today(session, ny.id, NY_EVENING) == NOV23
    assert user_today(session, tokyo.id, NY_EVENING) == date(2026, 11, 24)
    # At this instant New York may still fill Nov 21 (2 days late); Tokyo may not.
    assert save(session, ny, day=date(2026, 11, 21)).late
    with pytest.raises(ValidationError) as caught:
        save(session, tokyo, day=date(2026, 11, 21))
    assert "2 days late" in caught.value.fields["day"]
    # ...and Tokyo may already fill Nov 24, which for New York is tomorrow.
    assert not save(session, tokyo, day=date(2026, 11, 24)).late
    with pytest.raises(ValidationError, match="hasn't happened"):
        save(session, ny, day=date(2026, 11, 24))


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"mood": None}, "mood"),
        ({"mood": 11}, "mood"),
        ({"mood": -1}, "mood"),
        ({"mood": 5.5}, "mood"),
        ({"emotions": {"sadness": 6}}, "sadness"),
        ({"emotions": {"envy": 2}}, "envy"),
        ({"urges": {"self_harm": (9, False)}}, "urge_self_harm"),
        ({"urges": {"gambling": (1, False)}}, "urge_gambling"),
        ({"craving": 11}, "craving"),
        ({"sleep_hours": 25}, "sleep_hours"),
        ({"medication": "sometimes"}, "medication"),
        ({"skills": ["not_a_skill"]}, "skills"),
        ({"note": "x" * (clinical.NOTE_MAX_CHARS + 1)}, "note"),
        # (a NUL in the note is removed, not refused: tests/unit/test_inputs.py)
        ({"note": None}, "note"),
        ({"urges": {"self_harm": 4}}, "urge_self_harm"),
        ({"urges": {"self_harm": (4.5, False)}}, "urge_self_harm"),
        ({"urges": "lots"}, "urges"),
    ],
)
def test_bad_input_is_refused_in_core_and_nothing_is_saved(session, demo, overrides, field):
    quinn = fresh_participant(session)
    with pytest.raises(ValidationError) as caught:
        save(session, quinn, **overrides)
    assert field in caught.value.fields
    assert session.exec(select(DiaryCard).where(DiaryCard.participant_id == quinn.id)).first() is None


def test_a_note_of_exactly_the_limit_is_fine(session, demo):
    quinn = fresh_participant(session)
    save(session, quinn, note="x" * clinical.NOTE_MAX_CHARS)


def test_nobody_writes_another_persons_card(session, demo):
    quinn = fresh_participant(session)
    for intruder in ("alex", "dr.rivera", "pat.morgan", "admin"):
        with pytest.raises(AccessDenied):
            diary.save_card(
                session, act(session, intruder), participant_id=quinn.id, day=NOV23, card=card(), now=NY_EVENING
            )


def test_therapist_reads_the_caseload_card_and_family_does_not(session, demo):
    quinn = fresh_participant(session)
    save(session, quinn)
    assert diary.card_for_day(session, act(session, "dr.rivera"), quinn.id, NOV23).note == "Went for a walk."
    for outsider in ("dr.chen", "pat.morgan", "admin"):
        with pytest.raises(AccessDenied):
            diary.card_for_day(session, act(session, outsider), quinn.id, NOV23)


@pytest.mark.parametrize(
    "urges, expected",
    [
        ({"suicidal_thoughts": (3, False)}, set()),
        ({"suicidal_thoughts": (4, False)}, {"urge:suicidal_thoughts"}),
        ({"suicidal_thoughts": (5, False)}, {"urge:suicidal_thoughts"}),
        ({"self_harm": (3, False)}, set()),
        ({"self_harm": (4, False)}, {"urge:self_harm"}),
        ({"self_harm": (0, True)}, {"acted:self_harm"}),
        ({"self_harm": (5, True)}, {"urge:self_harm", "acted:self_harm"}),
        ({"suicidal_thoughts": (None, True)}, {"acted:suicidal_thoughts"}),
        ({"substance_use": (5, False)}, set()),  # a strong urge, not used: no alert
        ({"substance_use": (0, True)}, {"acted:substance_use"}),  # a lapse: review
    ],
)
def test_risk_triggers_at_their_edges(session, demo, urges, expected):
    quinn = fresh_participant(session)
    result = save(session, quinn, urges=urges)
    alerts = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert {r["key"] for a in alerts for r in a.reasons} == expected
    assert len(alerts) == (1 if expected else 0)  # one save, at most one alert
    assert bool(result.risks) == bool(expected)
    lapse_only = expected == {"acted:substance_use"}
    assert all(a.severity == ("review" if lapse_only else "urgent") and a.resolved_at is None for a in alerts)


def test_saving_a_risky_card_again_does_not_duplicate_the_alert(session, demo):
    quinn = fresh_participant(session)
    assert save(session, quinn, urges={"self_harm": (4, False)}).risk.state == "opened"
    again = save(session, quinn, urges={"self_harm": (5, False)})
    assert again.risk.state == "updated" and again.risks  # still shown the crisis panel
    rows = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert len(rows) == 1 and "5 of 5" in rows[0].detail


def test_streak_counts_days_in_a_row_without_punishing_an_open_today():
    today = NOV23
    days = {today - timedelta(days=n) for n in (1, 2, 3, 5)}
    assert diary.streak(days, today) == 3  # today not yet filled: yesterday's run counts
    assert diary.streak(days | {today}, today) == 4
    assert diary.streak(set(), today) == 0


def test_csv_has_every_card_and_keeps_notes_as_text(session, demo):
    quinn = fresh_participant(session)
    save(session, quinn, day=date(2026, 11, 22), note='=HYPERLINK("x")')
    save(session, quinn)
    targets = diary.targets_for(session, quinn.program_id)
    rows = list(csv.DictReader(io.StringIO(diary.cards_csv(session, quinn, quinn.id, targets=targets))))
    assert [r["date"] for r in rows] == ["2026-11-22", "2026-11-23"]
    assert rows[0]["late"] == "yes" and rows[1]["mood"] == "6"
    assert rows[0]["note"].startswith("'=")
    assert rows[1]["skills"] == "Wise mind; TIPP" and rows[1]["urge_substance_use"] == "2"


def test_retired_targets_keep_their_history(session, demo):
    from core.models import DiaryTarget

    quinn = fresh_participant(session)
    save(session, quinn)
    target = session.exec(select(DiaryTarget).where(DiaryTarget.key == "substance_use")).one()
    target.active = False
    session.add(target)
    session.commit()
    assert "substance_use" not in [t.key for t in diary.targets_for(session, quinn.program_id)]
    assert diary.card_for_day(session, quinn, quinn.id, NOV23).urges["substance_use"] == (2, False)


def test_demo_history_has_distinct_trajectories(session, demo):
    means = {}
    for username in ("alex", "casey", "dana", "eli"):
        who = act(session, username)
        cards = diary.cards_between(session, who, who.id, date.min, date.max)
        assert len(cards) >= 7, username
        half = len(cards) // 2
        means[username] = (
            sum(c.mood for c in cards[:half]) / half,
            sum(c.mood for c in cards[half:]) / (len(cards) - half),
        )
    assert means["alex"][1] > means["alex"][0]  # improving
    assert means["casey"][1] < means["casey"][0]  # worsening
    dana = act(session, "dana")
    assert session.exec(select(Alert).where(Alert.participant_id == dana.id)).first() is not None
    eli = act(session, "eli")
    assert any(c.craving for c in diary.cards_between(session, eli, eli.id, date.min, date.max))


def test_an_admin_outside_any_program_is_told_so_rather_than_a_database_error(session, demo):
    """(mypy found it: DiaryTarget.program_id is NOT NULL and the admin's program was passed as is.)"""
    loose = AppUser(username="admin.loose", name="Lone Admin", role=Role.ADMIN.value, password_hash="x")
    session.add(loose)
    session.commit()
    with pytest.raises(ValidationError) as refused:
        diary.add_target(session, Actor.of(loose), label="Gambling")
    assert "not part of a program" in refused.value.fields["label"]
    session.commit()  # nothing half-made is waiting to be written
    assert session.exec(select(DiaryTarget).where(DiaryTarget.key == "gambling")).first() is None


def test_admin_adds_and_retires_card_targets(session, demo):
    admin = act(session, "admin")
    added = diary.add_target(session, admin, label="  Gambling ")
    assert added.key == "gambling" and added.label == "Gambling"
    quinn = fresh_participant(session)
    save(session, quinn, urges={"gambling": (3, False)})
    with pytest.raises(ValidationError):
        diary.add_target(session, admin, label="gambling")
    with pytest.raises(AccessDenied):
        diary.add_target(session, act(session, "dr.rivera"), label="Shopping")
    diary.set_target_active(session, admin, target_id=added.id, active=False)
    with pytest.raises(ValidationError):  # retired: not on new cards
        save(session, quinn, urges={"gambling": (1, False)})
    assert diary.card_for_day(session, quinn, quinn.id, NOV23).urges["gambling"] == (3, False)


@pytest.mark.parametrize(
    "min_urge, urge_sev, acted_sev, field",
    [
        (6, "review", "none", "min_urge"),
        (0, "review", "none", "min_urge"),
        (True, "review", "none", "min_urge"),
        ("3", "review", "none", "min_urge"),
        (None, "review", "none", "min_urge"),
        (3, "none", "none", "urge_severity"),
        (3, "critical", "none", "urge_severity"),
        (None, "none", "URGENT", "acted_severity"),
        (None, "none", None, "acted_severity"),
    ],
)
def test_a_target_rule_is_checked(session, demo, min_urge, urge_sev, acted_sev, field):
    admin = act(session, "admin")
    gambling = diary.add_target(session, admin, label="Gambling")
    with pytest.raises(ValidationError) as refused:
        diary.set_target_rule(
            session, admin, target_id=gambling.id, min_urge=min_urge, urge_severity=urge_sev, acted_severity=acted_sev
        )
    assert field in refused.value.fields


def test_target_rules_are_the_admins_audited_and_the_safety_rules_are_fixed(session, demo):
    from core.models import AuditEvent, DiaryTarget

    admin = act(session, "admin")
    gambling = diary.add_target(session, admin, label="Purging")
    saved = diary.set_target_rule(
        session, admin, target_id=gambling.id, min_urge=4, urge_severity="urgent", acted_severity="urgent"
    )
    assert saved.rule.describe() == "urge 4+ → urgent; acted → urgent"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "rule")).one()
    assert event.actor_id == admin.id and event.ref == f"target:{gambling.id}"  # a reference, no clinical words
    self_harm = session.exec(select(DiaryTarget).where(DiaryTarget.key == "self_harm")).one()
    with pytest.raises(ValidationError, match="fixed clinical rules"):
        diary.set_target_rule(
            session, admin, target_id=self_harm.id, min_urge=None, urge_severity="none", acted_severity="none"
        )
    with pytest.raises(AccessDenied):
        diary.set_target_rule(
            session,
            act(session, "dr.rivera"),
            target_id=gambling.id,
            min_urge=None,
            urge_severity="none",
            acted_severity="review",
        )
    with pytest.raises(ValidationError):
        diary.set_target_rule(
            session, admin, target_id=999_999, min_urge=None, urge_severity="none", acted_severity="none"
        )
    # a stored rule on a safety target can't weaken it either
    self_harm.alert_urge_severity = self_harm.alert_acted_severity = "none"
    session.add(self_harm)
    session.commit()
    quinn = fresh_participant(session)
    assert save(session, quinn, urges={"self_harm": (5, True)}).risk.reasons
