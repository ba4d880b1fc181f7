"""What a new user hit (#16), through the real app script: one week number on both sides, times in
the viewer's zone on the safety plan's changes, overdose guidance only where substance use is
tracked, and a caseload whose rows open the participant's Review and say what is needed."""

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core import alerts, clinical
from core.auth import hash_password
from core.models import Alert, AppUser, CaseloadAssignment, Homework, Program
from core.program import user_today
from tests.app.conftest import log_in, open_page, texts
from tests.e2e.conftest import DEMO_PASSWORD


def user(session, username) -> AppUser:
    return session.exec(select(AppUser).where(AppUser.username == username)).one()


def test_participant_and_therapist_see_the_same_week(app, new_app, session):
    alex = user(session, "alex")
    alex.started_on = user_today(session, alex.id) - timedelta(days=75)  # past the end of a 10-week program
    session.add(alex)
    session.commit()
    log_in(app, "alex")
    assert any(c.value.startswith("Week 10 of 10 ·") for c in app.caption)
    therapist = new_app().run()
    log_in(therapist, "dr.rivera")
    [card] = [link.value for link in therapist.page_link if link.value.startswith("**Alex Morgan**  \n")]
    assert "Week 10 of 10 · " in card  # was "11" on the caseload
    assert not any("Week 11" in link.value for link in therapist.page_link)


def test_every_caseload_row_opens_that_participants_review(app, session):
    log_in(app, "dr.chen")
    assert [e.label for e in app.expander if e.label.startswith("Discharged")] == ["Discharged (1)"]
    app.session_state["caseload_discharged_open"] = True  # opened (its list is read only then)
    app.run()
    ids = {u.name: u.id for u in session.exec(select(AppUser).where(AppUser.role == "participant"))}
    rows = [link for link in app.page_link if link.proto.page == "review" and link.value != "Review"]  # not the Menu
    # Six active participants, and Sam, discharged, in the Discharged section (still findable).
    assert len(rows) == 7
    assert any(link.value.strip("*").startswith("Sam ") for link in rows)
    for link in rows:
        name = link.value.split("  \n")[0].strip("*").split(" · ")[0]  # a discharged row adds how and when they left
        assert link.proto.query_string == f"p={ids[name]}"


def test_safety_plan_changes_are_in_the_viewers_time_zone(app, session):
    log_in(app, "dana")
    open_page(app, "pages/safety_plan.py")
    changes = [m.value for m in app.markdown if m.value.startswith("**Version ")]
    assert changes and all(m.endswith(("EST", "EDT")) for m in changes), changes  # the demo is in New York


def test_a_therapist_reads_plan_changes_in_their_zone(new_app, session, demo):
    at = new_app().run()
    log_in(at, "dr.chen")
    open_page(at, "pages/safety_plans.py")
    dana = next(o for o in at.selectbox(key="plan_person").options if "Dana" in str(o))
    at.selectbox(key="plan_person").set_value(dana).run()
    changes = [m.value for m in at.markdown if m.value.startswith("**Version ")]
    assert changes and all(m.endswith(("EST", "EDT")) for m in changes), changes
    assert any(c.value.startswith("Version ") and ("EST" in c.value or "EDT" in c.value) for c in at.caption)


from core.program import forget_programs  # noqa: E402


def _tracks_substance_use(session, on: bool) -> None:
    program = session.exec(select(Program)).first()
    program.substance_use_tracking = on
    session.add(program)
    session.commit()
    forget_programs()  # as the admin's own change does (program settings are cached per process)


def test_overdose_guidance_only_for_families_in_a_substance_use_program(app, new_app, session):
    _tracks_substance_use(session, False)
    log_in(app, "pat.morgan")
    titles = [e.label for e in app.expander]
    assert "If you're worried about their safety" in titles
    assert not any("naloxone" in t.lower() for t in titles) and "naloxone" not in texts(app).lower()
    _tracks_substance_use(session, True)
    other = new_app().run()
    log_in(other, "pat.morgan")
    assert any("naloxone" in e.label.lower() for e in other.expander)


def _search(app, words):
    log_in(app, "alex")
    open_page(app, "pages/skills.py")
    app.text_input(key="skill_search").input(words).run()
    return [b.label for b in app.button if b.key and b.key.startswith("found_")]


def test_a_crisis_search_shows_only_the_crisis_panel_and_the_safety_plan(app):
    found = _search(app, "kill myself")
    assert "please reach someone now" in texts(app)
    assert found == []  # no "Non-judgmentally" or "DEAR MAN" under it
    assert any(link.value == "Open my safety plan" for link in app.page_link)


def test_insomnia_finds_the_sleep_skills_with_their_summaries(app):
    found = _search(app, "insomnia")
    assert "PLEASE" in found and "Self-soothe" in found and "TIPP" not in found
    summaries = [c.value for c in app.caption]
    assert any(c.startswith("Care for your body: illness, eating, substances, sleep, exercise.") for c in summaries)


def test_a_new_participants_charts_all_say_nothing_yet_instead_of_empty_axes(app, session, demo):
    therapist = user(session, "dr.chen")
    newcomer = AppUser(
        username="new.person",
        name="New Person",
        role="participant",
        program_id=demo.id,
        password_hash=hash_password(DEMO_PASSWORD, rounds=4),
    )
    session.add(newcomer)
    session.flush()
    session.add(CaseloadAssignment(participant_id=newcomer.id, therapist_id=therapist.id))
    session.commit()
    log_in(app, "new.person")
    open_page(app, "pages/progress.py")
    seen = 0
    for tab in ("Mood", "Urges & skills", "Check-ups", "Sleep & days"):
        app.session_state["progress_tab"] = tab
        app.run()
        for chart in app.get("plotly_chart"):
            spec = json.loads(chart.proto.spec)
            values = [v for trace in spec["data"] for v in (trace.get("y") or []) if v not in (None, 0)]
            assert values or spec["layout"].get("annotations"), spec["layout"]["title"]  # words, not bare axes
            seen += 1
    assert seen >= 9


def test_a_long_acknowledgement_pasted_by_the_therapist_is_kept_and_says_how_much_to_cut(app, session):
    dana = user(session, "dana")
    log_in(app, "dr.chen")
    app.switch_page("pages/alerts.py").run()
    pasted = "Called Dana; reviewed the plan. " * 40  # 1,280 characters
    over = len(pasted) - alerts.ACK_NOTE_MAX
    app.text_area(key=f"note_{dana.id}").input(pasted)  # input() drops it, as a browser does, if max_chars
    next(b for b in app.button if b.form_id == f"ack_{dana.id}").click()
    app.run()
    assert app.text_area(key=f"note_{dana.id}").value == pasted  # never an empty box
    assert any(f"Please cut {over} characters" in e.value for e in app.error)
    session.expire_all()
    assert not session.exec(select(Alert).where(Alert.participant_id == dana.id, Alert.acknowledgement == pasted)).all()


def test_a_long_homework_note_is_kept_and_says_how_much_to_cut(app, session):
    log_in(app, "dr.chen")
    open_page(app, "pages/review.py")
    pasted = "After work, before the drive home. " * 10  # 350 characters
    over = len(pasted) - clinical.HOMEWORK_NOTE_MAX
    next(b for b in app.button if b.label == "Assign a skill as homework").click().run()  # opens the form
    app.selectbox(key="hw_skill").select("halt")
    app.text_input(key="hw_note").input(pasted)
    app.button(key="FormSubmitter:assign_homework-Assign").click().run()
    assert app.text_input(key="hw_note").value == pasted
    assert any(f"Please cut {over} characters" in e.value for e in app.error)
    bailey = app.selectbox[0].value.id
    session.expire_all()
    assert not session.exec(
        select(Homework).where(Homework.participant_id == bailey, Homework.skill_id == "halt")
    ).all()


def test_an_acknowledgement_with_no_acknowledger_never_says_none(app, session):
    """An alert whose acknowledger is not known (an account since removed, an imported record):
    the inbox and the alert history say who in words, never "None"."""
    dana = user(session, "dana")
    now = datetime.now(UTC)
    session.add(
        Alert(
            participant_id=dana.id,
            trigger="self_harm",
            severity="urgent",
            source_key="test:none",
            detail="Self-harm urge 5",
            acknowledged_at=now,
            acknowledgement="Called her at once.",
        )
    )
    session.add(
        Alert(
            participant_id=dana.id,
            trigger="self_harm",
            severity="urgent",
            source_key="test:none2",
            detail="Self-harm urge 4",
            acknowledged_at=now,
            acknowledgement="Saw her in group.",
            resolved_at=now,
        )
    )
    session.commit()
    log_in(app, "dr.chen")
    app.switch_page("pages/alerts.py").run()
    inbox = texts(app)
    assert "Called her at once." in [t.value for t in app.text] and "None" not in inbox
    open_page(app, "pages/review.py")
    picker = app.selectbox[0]
    picker.select_index(next(i for i, o in enumerate(picker.options) if o.startswith("Dana"))).run()
    history = texts(app)
    assert "Saw her in group." in history and "None" not in history


def test_the_caseload_states_its_order_and_windows_with_the_clinical_numbers(app):
    log_in(app, "dr.chen")
    captions = " ".join(c.value for c in app.caption)
    assert f"no card for {clinical.MISSED_CARD_DAYS}+ days" in captions
    assert f"PHQ-9 up {clinical.PHQ9_RELIABLE_CHANGE}+ from intake" in captions
    cards = " ".join(link.value for link in app.page_link)  # each person's card is their link to Review
    assert f"cards {clinical.ADHERENCE_DAYS}d " in cards and f"mood {clinical.MOOD_WINDOW_DAYS}d " in cards
