"""Chart builders on real (seeded) and empty data; the record export round trip."""

import csv
import html
import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlmodel import select

from core import charts, checkups, diary, export
from core.access import Actor
from core.errors import AccessDenied
from core.models import AppUser
from core.program import user_today
from core.seed import demo_today

TODAY = demo_today()  # the day the demo was seeded for, on the program calendar


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


@pytest.fixture
def eli(session, demo):
    who = act(session, "eli")
    cards = diary.cards_between(session, who, who.id, TODAY - timedelta(weeks=12), TODAY)
    past = {k: checkups.history(session, who, who.id, k) for k in checkups.KINDS}
    return cards, past


def test_builders_draw_the_seeded_history(eli):
    cards, past = eli
    fig = charts.mood(cards)
    assert [t.name for t in fig.data] == ["Daily mood", "7-day average"]
    assert len(fig.data[0].x) == len(cards) and max(fig.data[1].y) <= 10
    assert len(charts.emotions(cards).data) == 5
    urges = charts.urges_acted_skills(cards, {"substance_use": "Substance use"})
    assert [t.name for t in urges.data] == ["Strongest urge (0–5)", "Skills used", "Acted on an urge"]
    assert len(urges.data[2].x) >= 1  # the dual-diagnosis demo acted on substance urges sometimes
    assert charts.skills_by_module(cards).layout.barmode == "stack"
    trajectory = charts.checkup_trajectory("phq9", past["phq9"])
    assert trajectory.data[0].y == tuple(p.total for p in past["phq9"])
    assert len(trajectory.layout.shapes) == 5  # the five PHQ-9 severity bands
    weeks = charts.adherence(cards, cards[0].day, TODAY)
    assert sum(weeks.data[0].y) == len(cards)


def test_practice_charts_show_modules_per_week_and_the_drop_in_distress(session, demo):
    from core import practice

    eli = act(session, "eli")
    entries = practice.practice_between(session, eli, eli.id, date.min, TODAY)
    records = practice.thought_records(session, eli, eli.id)
    stacked = charts.practice_by_module(practice.practised_per_day(entries, records))
    assert stacked.layout.barmode == "stack"
    assert sum(sum(t.y) for t in stacked.data) == len(entries) + len(records)
    helped = charts.helpfulness(entries)
    before, after = helped.data[-2], helped.data[-1]
    assert (before.name, after.name) == ("Before", "After") and 1 <= len(before.y) <= 6
    assert all(a <= b for a, b in zip(after.x, before.x, strict=True))  # the demo's practice lowers distress


def test_builders_have_an_empty_state():
    for fig in (
        charts.mood([]),
        charts.emotions([]),
        charts.urges_acted_skills([], {}),
        charts.skills_by_module([]),
        charts.checkup_trajectory("gad7", []),
        charts.practice_by_module([]),
        charts.helpfulness([]),
    ):
        assert not fig.data and fig.layout.annotations[0].text


def test_rolling_average_counts_calendar_days_not_cards():
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 10)]
    assert charts._rolling(days, [2, 4, 9]) == [2, 3, 9]


def test_charts_stay_small_for_a_phone(eli):
    cards, _ = eli
    assert len(charts.mood(cards).to_json()) < 40_000


def test_the_record_zip_round_trips(session, demo):
    dana = act(session, "dana")
    data = export.record_zip(session, act(session, "dr.chen"), dana.id)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert set(archive.namelist()) == {
        "diary_cards.csv",
        "checkups.csv",
        "alerts.csv",
        "safety_plan.csv",
        "practice_log.csv",
        "thought_records.csv",
        "homework.csv",
        "attendance.csv",
        "goals.csv",  # treatment-plan goals and weekly ratings (#19)
        "aftercare_plan.csv",
        "substance_use.csv",  # dual diagnosis (#20): use, triggers, MAT, counters
        "triggers.csv",
        "mat.csv",
        "recovery_counters.csv",
        "README.txt",
    }
    practice_rows = list(csv.DictReader(io.StringIO(archive.read("practice_log.csv").decode())))
    assert practice_rows and all(r["skill"] and r["distress_before"] for r in practice_rows)
    assert "TIPP" in archive.read("homework.csv").decode()  # Dana's homework from the demo
    assert "group,present" in archive.read("attendance.csv").decode()
    cards = list(csv.DictReader(io.StringIO(archive.read("diary_cards.csv").decode())))
    assert len(cards) == len(diary.cards_between(session, dana, dana.id, date.min, date.max))
    rows = list(csv.DictReader(io.StringIO(archive.read("checkups.csv").decode())))
    assert {r["questionnaire"] for r in rows} == {"phq9", "gad7", "pacs"}
    alerts_csv = archive.read("alerts.csv").decode()
    assert "PHQ-9 item 9" in alerts_csv
    assert "Jamie (partner)" in archive.read("safety_plan.csv").decode()


def test_only_the_caseload_therapist_exports(session, demo):
    dana = act(session, "dana")
    for outsider in ("dr.rivera", "pat.morgan", "admin"):
        with pytest.raises(AccessDenied):
            export.record_zip(session, act(session, outsider), dana.id)


def test_printable_report_has_summary_charts_and_escaped_notes(session, demo):
    from core import report

    dana = act(session, "dana")
    chen = act(session, "dr.chen")
    diary.save_card(
        session,
        dana,
        participant_id=dana.id,
        day=user_today(session, dana.id),
        card=diary.CardInput(mood=4, note="<b>not bold</b>"),
    )
    page = report.progress_report(session, chen, dana.id, user_today(session, dana.id))
    assert "Progress report — Dana Okafor" in page and "PHQ-9:" in page
    assert page.count("class='chart'") == 5 and page.count("<svg") == 5  # mood, urges, sleep, PHQ-9, GAD-7
    assert "plotly" not in page.lower() and "<script" not in page.lower()
    assert len(page.encode()) < 100_000  # it was 4.8 MB with plotly.js inside
    assert "Skills practice logged:" in page and "Medication taken as prescribed on" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    with pytest.raises(AccessDenied):
        report.progress_report(session, act(session, "dr.rivera"), dana.id, TODAY)


def test_printable_report_has_the_alert_history_and_item9_over_time(session, demo):
    """#16: the report left out alerts and PHQ-9 item 9; a record needs both."""
    from core import alerts, checkups, report

    dana, chen = act(session, "dana"), act(session, "dr.chen")
    page = report.progress_report(session, chen, dana.id, user_today(session, dana.id))
    history = alerts.history(session, chen, dana.id)
    assert history and "<h2>Alerts</h2>" in page
    assert page.count("<tr><td>") >= len(history)
    for alert in history:
        assert html.escape(alert.reasons[0].text) in page
        assert ("resolved " in page) if alert.resolved_at else ("open" in page)
    assert "Dr. Marcus Chen, " in page  # who acknowledged, when
    phq9 = checkups.history(session, chen, dana.id, "phq9")
    item9 = checkups.questionnaires()["phq9"].items[8]
    assert "<h2>PHQ-9 item 9 over time</h2>" in page
    for p in phq9:
        assert f"<tr><td>{p.day}</td><td>{html.escape(item9.choices[p.answers[8]])}" in page
    assert any(p.answers[8] >= 1 for p in phq9) and "⚠" in page  # Dana's positive answer stands out
    assert " EST" in page or " EDT" in page  # times in the reader's zone, not UTC
