"""Safety details on the skills screens: TIPP's medical caution before its steps, urge surfing's
self-harm caution on the Coping tools page, breathing without holds at about 5–6 a minute, and a
search in crisis words shows the lines and opens a review alert."""

from sqlmodel import select

from core import clinical
from core.models import Alert, AppUser
from core.skills import skill
from tests.app.conftest import log_in, texts


def in_order(app) -> list[str]:
    """The visible text of the main area, top to bottom."""
    found = []

    def walk(node):
        value = getattr(node, "value", None)
        if isinstance(value, str):
            found.append(value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app.main)
    return found


def test_tipps_medical_caution_comes_before_its_steps(app):
    log_in(app, "alex")
    app.switch_page("pages/skills.py")
    app.query_params["skill"] = "tipp"
    app.run()
    shown = in_order(app)
    caution = next(i for i, v in enumerate(shown) if v == skill("tipp").caution)
    assert caution < shown.index("Steps")


def test_urge_surfing_shows_its_self_harm_caution_on_the_coping_tools_page(app):
    log_in(app, "alex")
    app.switch_page("pages/tools.py")
    app.query_params["tool"] = "urge_surfing"
    app.run()
    assert any(skill("urge_surfing").caution == w.value for w in app.warning)


def test_breathing_offers_slow_paced_breathing_without_holds(app):
    for _label, inhale, hold, exhale in clinical.BREATHING_PATTERNS:
        assert hold == 0 and exhale > inhale
        assert 60 / (inhale + exhale) <= clinical.BREATHS_PER_MINUTE_MAX
    assert any(60 / (i + e) in (5, 6) for _, i, _, e in clinical.BREATHING_PATTERNS)
    log_in(app, "alex")
    app.switch_page("pages/tools.py").run()
    rhythm = next(w for w in app.segmented_control if w.label == "Rhythm")
    assert rhythm.options == [p[0] for p in clinical.BREATHING_PATTERNS] and "hold" not in " ".join(rhythm.options)


def test_a_crisis_search_shows_the_lines_and_opens_one_review_alert(app, session):
    log_in(app, "alex")
    app.switch_page("pages/skills.py").run()
    app.text_input(key="skill_search").input("no reason to live").run()
    assert "please reach someone now" in texts(app)
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    session.expire_all()
    rows = session.exec(
        select(Alert).where(Alert.participant_id == alex.id, Alert.source_key.startswith("search:"))
    ).all()
    assert len(rows) == 1 and rows[0].severity == "review" and "reason to live" not in rows[0].detail


def test_crisis_words_in_a_practice_note_show_the_crisis_response_and_alert_without_quoting(app, session):
    log_in(app, "alex")
    app.switch_page("pages/skills.py")
    app.query_params["skill"] = "halt"
    app.run()
    app.text_input(key=next(t.key for t in app.text_input if t.key.startswith("situation_log_halt"))).input(
        "honestly I want to end it all"
    )
    next(p for p in app.get("button_group") if p.label.startswith("**Distress before**")).set_value(9)
    next(b for b in app.button if b.label == "Save practice").click().run()
    assert not app.exception
    shown = texts(app)
    assert "You don't have to get through this alone" in shown and "not watched in real time" in shown
    alex = session.exec(select(AppUser).where(AppUser.username == "alex")).one()
    session.expire_all()
    rows = session.exec(
        select(Alert).where(Alert.participant_id == alex.id, Alert.source_key.startswith("practice:"))
    ).all()
    assert len(rows) == 1 and "end it all" not in rows[0].detail + str(rows[0].reasons)
