"""Weekly check-ups: scoring at every band edge, safety alerts, change markers and the schedule."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from core import checkups, clinical
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, Checkup
from core.program import user_zone
from core.skills import CatalogueError

# 17:00 UTC is midday in New York, the demo program's zone.
MONDAY = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "total, expected",
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_bands_at_every_edge(total, expected):
    assert clinical.band("phq9", total) == expected


@pytest.mark.parametrize(
    "total, expected",
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_bands_at_every_edge(total, expected):
    assert clinical.band("gad7", total) == expected


def test_every_band_has_plain_words_and_fits_its_column():
    for bands in clinical.BANDS.values():
        for _, name in bands:
            assert len(name) <= clinical.BAND_MAX_CHARS and clinical.BAND_WORDS[name]


@pytest.mark.parametrize(
    "kind, intake, total, worse, better, response",
    [
        ("phq9", 15, 20, True, False, False),
        ("phq9", 15, 19, False, False, False),
        ("phq9", 15, 10, False, True, False),
        ("phq9", 15, 11, False, False, False),
        ("phq9", 18, 9, False, True, True),
        ("phq9", 16, 9, False, True, False),  # 16 -> 9 drops under 50%
        ("phq9", 10, 5, False, True, True),
        ("phq9", 20, 10, False, True, False),  # 10 > 9: no response
        ("gad7", 10, 14, True, False, False),
        ("gad7", 10, 13, False, False, False),
        ("gad7", 10, 6, False, True, False),
        ("gad7", 10, 7, False, False, False),
    ],
)
def test_reliable_change_and_response(kind, intake, total, worse, better, response):
    change = clinical.change_from_intake(kind, intake, total)
    assert (change.marked_worse, change.marked_better, change.response) == (worse, better, response)
    assert change.from_intake == total - intake


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


@pytest.fixture
def quinn(session, demo) -> Actor:
    from core import accounts

    accounts.create_account(
        session,
        act(session, "admin"),
        username="quinn",
        name="Quinn Rivers",
        role="participant",
        password="long enough",
        rounds=4,
        therapist_id=act(session, "dr.rivera").id,
    )
    return act(session, "quinn")


def answers(total: int, items: int = 9, item9: int = 0) -> list[int]:
    out = [0] * items
    if items == 9:
        out[8] = item9
    rest, i = total - item9, 0
    while rest > 0:
        if i != 8 or items != 9:
            step = min(3 - out[i], rest)
            out[i] += step
            rest -= step
        i += 1
    return out


def take(session, who, kind="phq9", values=None, now=MONDAY, **kw):
    values = values if values is not None else answers(6, 9 if kind == "phq9" else 7)
    return checkups.submit(session, who, participant_id=who.id, kind=kind, answers=values, now=now, **kw)


@pytest.mark.parametrize("item9, alerted", [(0, False), (1, True), (2, True), (3, True)])
def test_item9_alerts_whatever_the_total(session, quinn, item9, alerted):
    result = take(session, quinn, values=answers(item9, item9=item9))
    alerts = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert [a.trigger for a in alerts] == (["phq9_item9"] if alerted else [])
    assert result.words == (clinical.ITEM9_WORDS if alerted else clinical.BAND_WORDS[result.band])
    assert bool(result.risks) is alerted
    if alerted:
        assert alerts[0].severity == "urgent"
        choice = checkups.questionnaires()["phq9"].items[8].choices[item9]
        assert choice in alerts[0].detail


def test_worse_by_five_from_intake_opens_a_worsening_alert(session, quinn):
    take(session, quinn, values=answers(8))
    week2 = MONDAY + timedelta(days=7)
    take(session, quinn, values=answers(12), now=week2)  # +4: no alert
    assert session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all() == []
    result = take(session, quinn, values=answers(13), now=week2 + timedelta(days=7))  # +5
    assert result.change.marked_worse
    alerts = session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()
    assert [a.trigger for a in alerts] == ["phq9_worsening"] and alerts[0].severity == "review"
    assert result.risks == []  # worsening is for the therapist; no crisis screen


def test_schedule_intake_weekly_late_window_and_missed(session, quinn):
    def status(now):
        return next(
            s
            for s in checkups.statuses(session, quinn, quinn.id, (now.astimezone(user_zone(session, quinn.id)).date()))
            if s.kind == "gad7"
        )

    assert status(MONDAY).due_slot == "p0"  # intake: due at once
    take(session, quinn, kind="gad7", values=answers(5, 7))
    assert not status(MONDAY + timedelta(days=3)).is_due
    assert status(MONDAY + timedelta(days=3)).next_day == date(2026, 11, 30)
    on_time = status(MONDAY + timedelta(days=7))
    assert on_time.due_slot == "p1" and not on_time.late
    assert status(MONDAY + timedelta(days=9)).late  # 2 days late: still open
    missed = status(MONDAY + timedelta(days=10))  # 3 days: missed
    assert not missed.is_due and missed.next_day == date(2026, 12, 7)
    with pytest.raises(ValidationError, match="already done this week"):
        take(session, quinn, kind="gad7", values=answers(5, 7), now=MONDAY + timedelta(days=10))
    assert take(session, quinn, kind="gad7", values=answers(5, 7), now=MONDAY + timedelta(days=9)).total == 5


def test_never_twice_in_a_week_unless_the_therapist_asks(session, quinn):
    take(session, quinn)
    with pytest.raises(ValidationError, match="already done"):
        take(session, quinn)
    rivera = act(session, "dr.rivera")
    checkups.request_extra(session, rivera, participant_id=quinn.id, kind="phq9")
    with pytest.raises(ValidationError, match="already waiting"):
        checkups.request_extra(session, rivera, participant_id=quinn.id, kind="phq9")
    take(session, quinn, values=answers(3))
    with pytest.raises(ValidationError):
        take(session, quinn)
    slots = session.exec(select(Checkup.slot_key).where(Checkup.participant_id == quinn.id)).all()
    assert sorted(slots)[0].startswith("extra-") and "p0" in slots
    with pytest.raises(AccessDenied):
        checkups.request_extra(session, act(session, "dr.chen"), participant_id=quinn.id, kind="phq9")


@pytest.mark.parametrize(
    "values, field",
    [
        ([0] * 8, "answers"),
        ([None] + [0] * 8, "item_0"),
        ([0] * 8 + [4], "item_8"),
        ([0] * 8 + [-1], "item_8"),
    ],
)
def test_bad_answers_are_refused_and_nothing_saved(session, quinn, values, field):
    with pytest.raises(ValidationError) as caught:
        take(session, quinn, values=values)
    assert field in caught.value.fields
    assert session.exec(select(Checkup).where(Checkup.participant_id == quinn.id)).first() is None


def test_only_the_participant_answers_their_own(session, quinn):
    for other in ("alex", "dr.rivera", "pat.morgan", "admin"):
        with pytest.raises(AccessDenied):
            checkups.submit(
                session, act(session, other), participant_id=quinn.id, kind="phq9", answers=answers(3), now=MONDAY
            )


def test_history_has_items_for_therapist_and_not_for_family(session, quinn):
    take(session, quinn, values=answers(7, item9=0))
    past = checkups.history(session, act(session, "dr.rivera"), quinn.id, "phq9")
    assert past[0].total == 7 and len(past[0].answers) == 9
    with pytest.raises(AccessDenied):
        checkups.history(session, act(session, "pat.morgan"), quinn.id, "phq9")


def test_definitions_are_verbatim_and_complete():
    q = checkups.questionnaires()
    assert q["phq9"].items[8].text == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert q["gad7"].stem == "Over the last 2 weeks, how often have you been bothered by the following problems?"
    assert [len(q[k].items) for k in ("phq9", "gad7", "pacs")] == [9, 7, 5]
    assert "No permission required" in q["phq9"].attribution and "adapt" in q["pacs"].attribution.lower()


def test_a_malformed_definition_file_names_itself(tmp_path):
    bad = tmp_path / "questionnaires.yaml"
    bad.write_text("phq9: {name: x, items: []}\n")
    with pytest.raises(CatalogueError, match="questionnaires.yaml"):
        checkups.load_questionnaires(bad)


def test_demo_has_an_item9_alert_and_trajectories(session, demo):
    dana = act(session, "dana")
    assert session.exec(select(Alert).where(Alert.participant_id == dana.id, Alert.trigger == "phq9_item9")).first()
    alex = act(session, "alex")
    totals = [p.total for p in checkups.history(session, alex, alex.id, "phq9")]
    assert totals[-1] < totals[0]
