"""Dual diagnosis on the card (core/recovery.py): use, triggers, MAT, lapse alerts, days in recovery,
the triggers map, the record export and the printable report — and the attacks on each."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from core import clinical, diary, export, recovery, report
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import Alert, AppUser, CardTrigger, DiaryCard, MatDose, Program, RecoveryCounter, Role, SubstanceUse
from core.program import forget_programs

NY_EVENING = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)  # Nov 23, 22:30 in New York
NOV23 = date(2026, 11, 23)


def card(**overrides) -> diary.CardInput:
    values = dict(mood=5, urges={"substance_use": (4, True)})
    values.update(overrides)
    return diary.CardInput(**values)


def save(session, who, day=NOV23, now=NY_EVENING, **overrides):
    return diary.save_card(session, who, participant_id=who.id, day=day, card=card(**overrides), now=now)


def rows(session, model, card_id):
    session.expire_all()
    return session.exec(select(model).where(col(model.card_id) == card_id)).all()


def card_id(session, who, day=NOV23):
    return session.exec(select(DiaryCard.id).where(DiaryCard.participant_id == who.id, DiaryCard.day == day)).one()


# --- the saved card handed back -------------------------------------------------------------------


def _read_back(session, who, day):
    views = diary.cards_between(session, who, who.id, day, day)
    return recovery.with_details(views, recovery.details_between(session, who, who.id, day, day))[0]


def _same_card(a, b) -> bool:
    """Every field the card's form and its draft bookkeeping use (`updated_at` is the save's `now`)."""
    from dataclasses import replace

    return replace(a, updated_at=None) == replace(b, updated_at=None)


def test_the_card_a_save_hands_back_is_the_card_a_read_gives(session, people):
    """The card's run draws from what the save hands back (core.diary.SaveResult.stored), not from a
    read of it: a new card, a late one, a change of it (its `late` kept), use cleared, each as a read
    would give it, with its details (in the read's order) and its urges."""
    people.program.mat_medications = ["buprenorphine", "naltrexone"]
    session.add(people.program)
    session.commit()
    forget_programs()
    quinn = people.participant()
    late_day = NOV23 - timedelta(days=1)
    first = save(
        session,
        quinn,
        day=late_day,
        urges={"suicidal_thoughts": (0, False), "self_harm": (1, False), "substance_use": (4, True)},
        use={"otc": (None, None), "alcohol": (6, "drinks"), "opioids": (2, "pills")},
        triggers=["lonely", "people", "lonely"],
        mat={"naltrexone": "not_prescribed", "buprenorphine": "no"},
        skills=["tipp", "wise_mind", "tipp"],
        note="  spaces around  ",
    )
    assert first.created and first.late and first.stored is not None
    assert _same_card(first.stored, _read_back(session, quinn, late_day))
    assert first.stored.late and first.stored.note == "spaces around" and first.stored.skills == ["tipp", "wise_mind"]

    # (the card's form sends every behaviour on the card; a read also gives a behaviour's answer that a
    # save did not send, which this save left as it was)
    everything = {"suicidal_thoughts": (0, False), "self_harm": (0, False), "substance_use": (1, False)}
    changed = save(session, quinn, day=late_day, mood=2, note="changed", urges=everything, use={}, triggers=[], mat={})
    assert not changed.created and changed.stored is not None
    assert _same_card(changed.stored, _read_back(session, quinn, late_day))
    assert changed.stored.late and changed.stored.mood == 2 and not changed.stored.use  # late kept, use cleared

    today = diary.save_card(
        session, quinn, participant_id=quinn.id, day=NOV23, card=card(), now=NY_EVENING, language="es"
    )
    assert today.created and not today.stored.late and today.stored.language == "es"
    assert _same_card(today.stored, _read_back(session, quinn, NOV23))
    assert today.today == NOV23 and today.days_with_cards == frozenset()  # (no streak asked for)

    # A card made on its day and changed the next day stays on time (the first save's `late`).
    on_time = NOV23 + timedelta(days=1)
    save(session, quinn, day=on_time, now=NY_EVENING + timedelta(days=1))
    next_day = save(session, quinn, day=on_time, now=NY_EVENING + timedelta(days=2), mood=9)
    assert not next_day.created and next_day.late and not next_day.stored.late  # (late as a change, not as a card)
    assert _same_card(next_day.stored, _read_back(session, quinn, on_time))


def test_a_save_asked_for_the_streak_reads_the_days_with_cards_in_its_own_transaction(session, people):
    quinn = people.participant()
    for back in (3, 1):  # (each saved on its own day)
        save(session, quinn, day=NOV23 - timedelta(days=back), now=NY_EVENING - timedelta(days=back))
    result = diary.save_card(
        session, quinn, participant_id=quinn.id, day=NOV23, card=card(), now=NY_EVENING, recent_days=diary.STREAK_DAYS
    )
    assert result.days_with_cards == {NOV23, NOV23 - timedelta(days=1), NOV23 - timedelta(days=3)}
    assert diary.streak(set(result.days_with_cards), NOV23) == 2


# --- use on the card -----------------------------------------------------------------------------


def test_use_triggers_and_mat_round_trip_through_save_read_export_and_report(session, people):
    people.program.mat_medications = ["buprenorphine", "naltrexone"]
    session.add(people.program)
    session.commit()
    forget_programs()
    quinn = people.participant()
    save(
        session,
        quinn,
        use={"alcohol": (6, "drinks"), "opioids": (2, "pills"), "otc": (None, None)},
        triggers=["lonely", "people"],
        mat={"buprenorphine": "no", "naltrexone": "not_prescribed"},
    )
    got = recovery.details_between(session, quinn, quinn.id, NOV23, NOV23)[NOV23]
    assert got.use == {"alcohol": (6, "drinks"), "opioids": (2, "pills"), "otc": (None, "doses")}
    assert got.triggers == ("people", "lonely")  # the list's order, once each
    assert got.mat == {"buprenorphine": "no", "naltrexone": "not_prescribed"}
    # the saved card's form starts from them
    view = recovery.with_details(diary.cards_between(session, quinn, quinn.id, NOV23, NOV23), {NOV23: got})[0]
    assert view.as_input().use["alcohol"] == (6, "drinks") and view.as_input().triggers == ["people", "lonely"]

    therapist = Actor.of(people.therapist)
    archive = zipfile.ZipFile(io.BytesIO(export.record_zip(session, therapist, quinn.id)))
    used = list(csv.reader(io.StringIO(archive.read("substance_use.csv").decode())))
    assert used[0] == ["date", "substance", "amount", "unit"]
    assert sorted(used[1:]) == [
        ["2026-11-23", "alcohol", "6", "drinks"],
        ["2026-11-23", "opioids", "2", "pills"],
        ["2026-11-23", "otc", "", "doses"],
    ]
    assert list(csv.reader(io.StringIO(archive.read("triggers.csv").decode())))[1:] == [
        ["2026-11-23", "people"],
        ["2026-11-23", "lonely"],
    ]
    assert ["2026-11-23", "buprenorphine", "no"] in list(csv.reader(io.StringIO(archive.read("mat.csv").decode())))

    html = report.progress_report(session, therapist, quinn.id, NOV23)
    assert "<h2>Substance use</h2>" in html and "6 drinks" in html and "2 pills" in html
    assert "Lonely" in html and "Buprenorphine: taken as prescribed on 0 of 1 days answered." in html


def test_editing_the_card_replaces_its_details_and_a_double_tap_saves_once(session, people):
    quinn = people.participant()
    save(session, quinn, use={"alcohol": (3, "drinks"), "cannabis": (1, "times")}, triggers=["tired"])
    save(session, quinn, use={"alcohol": (3, "drinks"), "cannabis": (1, "times")}, triggers=["tired"])
    cid = card_id(session, quinn)
    assert len(rows(session, SubstanceUse, cid)) == 2 and len(rows(session, CardTrigger, cid)) == 1
    save(session, quinn, use={"cannabis": (2, "times")}, triggers=["angry", "hungry"])
    assert [(r.substance, r.amount) for r in rows(session, SubstanceUse, cid)] == [("cannabis", 2)]
    assert sorted(r.trigger for r in rows(session, CardTrigger, cid)) == ["angry", "hungry"]
    save(session, quinn, urges={"substance_use": (0, False)}, use={}, triggers=[])
    assert rows(session, SubstanceUse, cid) == [] and rows(session, CardTrigger, cid) == []


@pytest.mark.parametrize(
    ("use", "field", "words"),
    [
        ({"alcohol": (41, "drinks")}, "use_alcohol", "from 1 to 40"),
        ({"alcohol": (0, "drinks")}, "use_alcohol", "from 1 to 40"),
        ({"alcohol": (2.5, "drinks")}, "use_alcohol", "whole number"),
        ({"alcohol": (True, "drinks")}, "use_alcohol", "whole number"),
        ({"alcohol": ("4", "drinks")}, "use_alcohol", "whole number"),
        ({"alcohol": (3, "pills")}, "use_alcohol", "counted in drinks"),
        ({"opioids": (3, "litres")}, "use_opioids", "times or pills"),
        ({"heroin\x00": (1, "times")}, "use", "not on your program's list"),
        ({"alcohol": 3}, "use_alcohol", "roughly how much"),
        (["alcohol"], "use", "Choose what you used"),
    ],
)
def test_bad_amounts_units_and_substances_are_refused_beside_the_field(session, people, use, field, words):
    quinn = people.participant()
    with pytest.raises(ValidationError) as caught:
        save(session, quinn, use=use)
    assert words in caught.value.fields[field]
    assert session.exec(select(DiaryCard).where(DiaryCard.participant_id == quinn.id)).all() == []


def test_a_substance_the_program_took_off_its_list_is_refused(session, people):
    people.program.substances = ["alcohol"]
    session.add(people.program)
    session.commit()
    forget_programs()
    quinn = people.participant()
    with pytest.raises(ValidationError) as caught:
        save(session, quinn, use={"opioids": (1, "times")})
    assert "not on your program's list" in caught.value.fields["use"]
    save(session, quinn, use={"alcohol": (1, "drinks"), "prn": (2, "doses")})  # medicines are always offered


def test_use_needs_acted_and_triggers_and_mat_need_the_program(session, people):
    quinn = people.participant()
    with pytest.raises(ValidationError) as caught:
        save(session, quinn, urges={"substance_use": (3, False)}, use={"alcohol": (2, "drinks")})
    assert "Acted on it" in caught.value.fields["use"]
    with pytest.raises(ValidationError) as caught:
        save(session, quinn, triggers=["bored"], mat={"methadone": "yes"})
    assert "Choose from the list" in caught.value.fields["triggers"]
    assert "not asked about" in caught.value.fields["mat"]  # the program turned no MAT on
    save(session, quinn, urges={"substance_use": (3, False)}, triggers=["places"])  # an urge's triggers are fine


def test_outside_a_substance_use_program_the_details_are_refused(session, people):
    people.program.substance_use_tracking = False
    session.add(people.program)
    session.commit()
    forget_programs()
    quinn = people.participant()
    with pytest.raises(ValidationError) as caught:
        save(session, quinn, use={"alcohol": (2, "drinks")}, triggers=["people"])
    assert "not tracked" in caught.value.fields["use"] and "not tracked" in caught.value.fields["triggers"]


# --- lapses feed the alert rules ----------------------------------------------------------------------


def _alert(session, who):
    session.expire_all()
    return session.exec(select(Alert).where(Alert.participant_id == who.id)).one()


@pytest.mark.parametrize(
    ("use", "severity", "key"),
    [
        ({"alcohol": (2, "drinks")}, "review", "lapse:alcohol"),
        ({"opioids": (1, "times")}, "same_day", "lapse:opioids"),
        ({"benzodiazepines": (2, "pills")}, "same_day", "lapse:benzodiazepines"),
        ({"stimulants": (1, "times")}, "same_day", "lapse:stimulants"),
        ({"opioids": (1, "times"), "benzodiazepines": (1, "pills")}, "urgent", "lapse:benzodiazepines+opioids"),
        ({"opioids": (1, "times"), "alcohol": (4, "drinks")}, "urgent", "lapse:alcohol+opioids"),
    ],
)
def test_a_lapse_opens_the_alert_its_substances_call_for(session, people, use, severity, key):
    quinn = people.participant()
    result = save(session, quinn, use=use)
    alert = _alert(session, quinn)
    assert alert.severity == severity
    assert alert.trigger == key or severity == "review"  # (a review's first reason is the card's own "acted")
    assert {r["key"] for r in alert.reasons} >= {"acted:substance_use", key}
    assert result.risk.risky


def test_a_lapse_is_routed_even_when_the_card_is_refused(session, people):
    quinn = people.participant()
    with pytest.raises(ValidationError):
        save(session, quinn, mood=None, use={"opioids": (1, "times")})
    assert _alert(session, quinn).severity == "same_day"


def test_lapse_rules_are_named_constants():
    assert clinical.LAPSE_SEVERITY["opioids"] is clinical.Severity.SAME_DAY
    assert frozenset({"opioids", "benzodiazepines"}) in clinical.LAPSE_URGENT_COMBINATIONS
    assert clinical.lapse_reasons(set()) == [] and clinical.lapse_reasons({"nonsense"}) == []


def test_twenty_taps_saving_the_same_cards_use_at_once_save_it_once(engine, session, people):
    quinn = people.participant()
    barrier, failures = threading.Barrier(20), []

    def tap(n):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                diary.save_card(
                    own,
                    quinn,
                    participant_id=quinn.id,
                    day=NOV23,
                    card=card(use={"opioids": (1 + n % 3, "times"), "alcohol": (2, "drinks")}, triggers=["lonely"]),
                    now=NY_EVENING,
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    cid = card_id(session, quinn)
    used = rows(session, SubstanceUse, cid)
    assert sorted(r.substance for r in used) == ["alcohol", "opioids"]
    assert len(rows(session, CardTrigger, cid)) == 1
    session.expire_all()
    assert len(session.exec(select(Alert).where(Alert.participant_id == quinn.id)).all()) == 1


# --- days in recovery -----------------------------------------------------------------------------


def test_count_arithmetic():
    start = date(2026, 11, 1)
    assert recovery.count(start, [], start).days == 1  # the first day without is day 1
    fresh = recovery.count(start, [], date(2026, 11, 30))
    assert (fresh.days, fresh.longest, fresh.lapses, fresh.milestone, fresh.next_milestone) == (30, 30, 0, 30, 60)
    lapsed = recovery.count(start, [date(2026, 11, 20)], date(2026, 11, 20))
    assert (lapsed.days, lapsed.last_use, lapsed.longest, lapsed.lapses) == (0, date(2026, 11, 20), 19, 1)
    assert lapsed.milestone is None and lapsed.next_milestone == 1
    after = recovery.count(start, [date(2026, 11, 20), date(2026, 10, 1), date(2026, 12, 9)], date(2026, 11, 27))
    assert (after.days, after.longest, after.lapses) == (7, 19, 1)  # before the start and after today: ignored
    assert recovery.count(start, [], date(2028, 1, 1)).milestone == 365  # then every year
    assert recovery.count(start, [], date(2028, 1, 1)).next_milestone == 730


def test_a_counter_restarts_after_a_lapse_on_the_card_and_follows_an_edit(session, people):
    quinn = people.participant()
    recovery.set_counter(
        session,
        quinn,
        participant_id=quinn.id,
        substance="alcohol",
        start_on=date(2026, 10, 24),
        shown=True,
        now=NY_EVENING,
    )
    before = recovery.counters(session, quinn, quinn.id, now=NY_EVENING)[0]
    assert before.count.days == 31 and not before.restarted
    save(session, quinn, day=date(2026, 11, 22), use={"alcohol": (5, "drinks")})
    after = recovery.counters(session, quinn, quinn.id, now=NY_EVENING)[0]
    assert (after.count.days, after.count.longest, after.restarted) == (1, 29, True)
    assert "information, not failure" in recovery.counter_words(after)
    # a medicine on a card does not touch an alcohol counter; "any" counts every use and every "acted"
    recovery.set_counter(
        session,
        quinn,
        participant_id=quinn.id,
        substance="any",
        start_on=date(2026, 11, 1),
        shown=False,
        now=NY_EVENING,
    )
    save(session, quinn, use={"otc": (1, "doses")})
    counted = {c.substance: c for c in recovery.counters(session, quinn, quinn.id, now=NY_EVENING)}
    assert counted["any"].count.days == 0 and counted["alcohol"].count.days == 1 and not counted["any"].shown
    # the lapse was a mistake: edited away, the count comes back
    save(session, quinn, day=date(2026, 11, 22), urges={"substance_use": (2, False)}, use={})
    assert recovery.counters(session, quinn, quinn.id, now=NY_EVENING)[0].count.days == 31


def test_a_counter_counts_to_the_participants_own_day(session, people):
    # 10:30 UTC on Nov 24: already Nov 25 in Kiritimati (UTC+14), still Nov 23 in Pago Pago (UTC-11).
    now = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    east = people.participant("kiri", tz="Pacific/Kiritimati")
    west = people.participant("pago", tz="Pacific/Pago_Pago")
    for who in (east, west):
        recovery.set_counter(
            session, who, participant_id=who.id, substance="opioids", start_on=date(2026, 11, 20), shown=True, now=now
        )
    assert recovery.counters(session, east, east.id, now=now)[0].count.days == 6
    assert recovery.counters(session, west, west.id, now=now)[0].count.days == 4
    # the therapist sees the participant's count, not one from the therapist's own day
    therapist = Actor.of(people.therapist)
    assert recovery.counters(session, therapist, east.id, now=now)[0].count.days == 6
    # Nov 25 is today in Kiritimati and tomorrow in Pago Pago
    recovery.set_counter(
        session, east, participant_id=east.id, substance="alcohol", start_on=date(2026, 11, 25), shown=True, now=now
    )
    with pytest.raises(ValidationError) as caught:
        recovery.set_counter(
            session, west, participant_id=west.id, substance="alcohol", start_on=date(2026, 11, 25), shown=True, now=now
        )
    assert "hasn't come yet" in caught.value.fields["start_on"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"substance": "gambling"}, "substance"),
        ({"substance": None}, "substance"),
        ({"start_on": datetime(2026, 11, 1, tzinfo=UTC)}, "start_on"),
        ({"start_on": "2026-11-01"}, "start_on"),
        ({"start_on": date(1900, 1, 1)}, "start_on"),
        ({"shown": "yes"}, "shown"),
    ],
)
def test_bad_counter_input_is_refused_beside_the_field(session, people, values, field):
    quinn = people.participant()
    args = {"substance": "alcohol", "start_on": date(2026, 11, 1), "shown": True, **values}
    with pytest.raises(ValidationError) as caught:
        recovery.set_counter(session, quinn, participant_id=quinn.id, now=NY_EVENING, **args)
    assert field in caught.value.fields
    assert session.exec(select(RecoveryCounter)).all() == []


def test_a_counter_is_kept_once_and_can_be_stopped(session, people):
    quinn = people.participant()
    for shown in (True, False):
        recovery.set_counter(
            session, quinn, participant_id=quinn.id, substance="cannabis", start_on=date(2026, 11, 2), shown=shown
        )
    assert [(c.substance, c.shown) for c in recovery.counters(session, quinn, quinn.id)] == [("cannabis", False)]
    assert recovery.remove_counter(session, quinn, participant_id=quinn.id, substance="cannabis")
    assert recovery.counters(session, quinn, quinn.id) == []


# --- access -----------------------------------------------------------------------------------------------


def test_only_the_participant_and_their_therapist_read_it_and_only_the_participant_writes(session, people):
    quinn = people.participant()
    other = people.participant("olive")
    save(session, quinn, use={"alcohol": (2, "drinks")})
    therapist, admin = Actor.of(people.therapist), Actor.of(people.admin)
    assert recovery.details_between(session, therapist, quinn.id, NOV23, NOV23)
    for who in (admin, other):
        with pytest.raises(AccessDenied):
            recovery.details_between(session, who, quinn.id, NOV23, NOV23)
        with pytest.raises(AccessDenied):
            recovery.counters(session, who, quinn.id)
    for who in (therapist, admin, other):
        with pytest.raises(AccessDenied):
            recovery.set_counter(session, who, participant_id=quinn.id, substance="alcohol", start_on=NOV23, shown=True)
    with pytest.raises(AccessDenied):
        recovery.set_program_options(session, therapist, substances=["alcohol"], mat_medications=[])


def test_the_admin_sets_the_programs_list_and_mat(session, people):
    admin = Actor.of(people.admin)
    with pytest.raises(ValidationError) as caught:
        recovery.set_program_options(session, admin, substances=["alcohol", "krokodil"], mat_medications=[])
    assert "substances" in caught.value.fields
    with pytest.raises(ValidationError):
        recovery.set_program_options(session, admin, substances=[], mat_medications=[])
    recovery.set_program_options(session, admin, substances=["opioids", "alcohol"], mat_medications=["methadone"])
    session.expire_all()
    program = session.get(Program, people.program.id)
    assert program.substances == ["alcohol", "opioids"] and program.mat_medications == ["methadone"]
    forget_programs()
    quinn = people.participant()
    options = recovery.options_for(session, quinn.id)
    assert options.substances == ("alcohol", "opioids", "prn", "otc") and options.mat == ("methadone",)
    assert options.naloxone


# --- triggers map ---------------------------------------------------------------------------------------------


def test_trigger_counts_split_urges_from_lapses_and_the_chart_has_a_table(session, people):
    from core.charts import as_table

    quinn = people.participant()
    save(session, quinn, day=date(2026, 11, 21), urges={"substance_use": (3, False)}, triggers=["lonely", "people"])
    save(session, quinn, day=date(2026, 11, 22), use={"alcohol": (4, "drinks")}, triggers=["lonely"])
    save(session, quinn, day=NOV23, urges={"substance_use": (0, True)}, triggers=["tired"])
    counts = {c.trigger: c for c in recovery.trigger_counts(session, quinn, quinn.id, date(2026, 11, 1), NOV23)}
    assert (counts["lonely"].urges, counts["lonely"].lapses) == (1, 1)
    assert (counts["people"].urges, counts["people"].lapses) == (1, 0)
    assert (counts["tired"].urges, counts["tired"].lapses) == (0, 1)
    figure = recovery.triggers_map(list(counts.values()))
    columns, table = as_table(figure)
    assert len(table) >= 3
    assert "Lonely came up most often (2 times)" in recovery.triggers_sentence(list(counts.values()))
    assert recovery.triggers_map([]).layout.title.text  # the empty state says what to do


def test_practice_triggers_count_on_the_map(session, people):
    from core import practice

    quinn = people.participant()
    key = practice.new_entry_key()
    practice.save_practice(
        session,
        quinn,
        participant_id=quinn.id,
        entry_key=key,
        entry=practice.PracticeInput(skill_id="urge_surfing", distress_before=7),
        now=NY_EVENING,
    )
    recovery.set_practice_triggers(session, quinn, participant_id=quinn.id, entry_key=key, triggers=["angry", "angry"])
    counts = recovery.trigger_counts(session, quinn, quinn.id, date(2026, 11, 1), NOV23)
    assert [(c.trigger, c.practice) for c in counts] == [("angry", 1)]
    with pytest.raises(ValidationError):
        recovery.set_practice_triggers(session, quinn, participant_id=quinn.id, entry_key="nope", triggers=["angry"])
    with pytest.raises(ValidationError):
        recovery.set_practice_triggers(session, quinn, participant_id=quinn.id, entry_key=key, triggers=["x"])


def test_the_demo_substance_use_participant_has_a_lapse_and_a_counter(session, demo):
    eli = Actor.of(session.exec(select(AppUser).where(AppUser.username == "eli")).one())
    assert eli.role is Role.PARTICIPANT
    counters = recovery.counters(session, eli, eli.id)
    assert counters and counters[0].shown and counters[0].restarted
    details = recovery.details_between(session, eli, eli.id, date.min, date.max)
    assert any(d.use for d in details.values()) and any(d.triggers for d in details.values())
    assert session.exec(select(MatDose)).first() is not None


def test_start_days_after_today_or_a_datetime_never_reach_the_table(session, people):
    quinn = people.participant()
    tomorrow = NOV23 + timedelta(days=1)
    with pytest.raises(ValidationError):
        recovery.set_counter(
            session, quinn, participant_id=quinn.id, substance="any", start_on=tomorrow, shown=True, now=NY_EVENING
        )
    assert session.exec(select(RecoveryCounter)).all() == []


def test_the_printable_report_has_the_screeners_with_their_totals_and_bands(session, people):
    from core import screeners

    quinn = people.participant()
    screeners.submit(session, quinn, participant_id=quinn.id, kind="auditc", answers=[2, 1, 1], now=NY_EVENING)
    html = report.progress_report(session, Actor.of(people.therapist), quinn.id, NOV23)
    assert "<h2>AUDIT-C and DAST-10</h2>" in html
    assert "<td>AUDIT-C</td><td>4 of 12</td><td>Positive screen</td>" in html
    assert "Not taken yet" not in html


def test_hostile_text_never_reaches_the_report_as_markup(session, people):
    quinn = people.participant()
    with pytest.raises(ValidationError):
        save(session, quinn, use={"<img src=x onerror=alert(1)>": (1, "times")})
    with pytest.raises(ValidationError):
        save(session, quinn, triggers=["![x](http://evil/)"])
    html = report.progress_report(session, Actor.of(people.therapist), quinn.id, NOV23)
    assert "evil" not in html and "onerror" not in html
