"""Spanish for participants and family: the login screen offers it, the account keeps it, every
screen they see is drawn from the catalogue, and the crisis lines answered in Spanish come first.

The language check: every catalogue entry whose Spanish differs from its English is looked for, in
its English wording, in everything a Spanish screen draws (labels, options, text, expanders...).
Finding one means a marked string was drawn without `_()` (or its translation is missing)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from google.protobuf.json_format import MessageToDict
from sqlmodel import select

from core import i18n
from core.models import AppUser
from core.seed import demo_today
from tests.app.conftest import log_in, open_page, texts
from ui import risk  # noqa: F401  (imported in English first, as on a server that drew an English page before)
from ui.i18n import LOGIN_LANGUAGE
from ui.text import md

PO = i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po"
PARTICIPANT_PAGES = [
    "pages/today.py",
    "pages/my_cards.py",
    "pages/checkups.py",
    "pages/skills.py",
    "pages/tools.py",
    "pages/practice.py",
    "pages/progress.py",
    "pages/safety_plan.py",
    "pages/sharing.py",
    "pages/notifications.py",
    "pages/account.py",
]
FAMILY_PAGES = ["pages/family.py", "pages/account.py"]


def everything_drawn(at) -> str:
    """Every string of every element and block on the screen (labels, options, help, bodies)."""
    found: list[str] = []

    def strings(value) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                strings(item)
        elif isinstance(value, list):
            for item in value:
                strings(item)

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            strings(MessageToDict(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(found)


def _english_content() -> str:
    """English that is shown as English on purpose: the content files (skill names, questionnaires)
    where no Spanish file exists yet, and the consent wording, which is kept word for word (its
    version is stored with each grant). A catalogue string found inside these proves nothing."""
    from core import sharing

    files = [" ".join(path.read_text(encoding="utf-8").split()) for path in sorted(i18n.CONTENT_DIR.glob("*.*"))]
    return "\n".join([*files, sharing._CONSENT, sharing._PART2_CONSENT, *sharing.CATEGORY_SCOPE.values()])


def _english_fragments() -> list[tuple[str, str]]:
    """(fragment, msgid): the longest fixed piece of each msgid whose Spanish is different, long
    enough that finding it on a screen means the English was drawn (placeholders cut out)."""
    content = _english_content()
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    found = []
    for message in catalogue:
        if not message.id:
            continue
        english = message.id[0] if isinstance(message.id, tuple) else message.id
        spanish = message.string[0] if isinstance(message.string, tuple) else message.string
        pieces = [p.strip(" ·:—*#-") for p in re.split(r"\{[^}]*\}|\*\*|:material/\w+:", english)]
        piece = max(pieces, key=len)
        if len(piece) >= 12 and " " in piece and piece not in spanish and piece not in content:
            found.append((piece, english))
    return found


FRAGMENTS = _english_fragments()


def untranslated(at) -> list[str]:
    drawn = everything_drawn(at)
    return [english for piece, english in FRAGMENTS if piece in drawn]


def choose_spanish_on_login(at):
    at.button_group(key="login_language").set_value("es").run()
    return at


def test_the_fragments_check_would_see_english(app):
    """The check itself: on the English login screen it finds the English it is looking for."""
    assert len(FRAGMENTS) > 200
    assert "Your diary card, skills and check-ups, between sessions." in untranslated(app)


def test_login_offers_english_and_spanish_and_switches_at_once(app):
    picker = app.button_group(key="login_language")
    options = [o["content"] for o in MessageToDict(picker.proto)["options"]]
    assert options == ["English", "Español"] and picker.value == "en"
    assert "Your diary card" in everything_drawn(app)
    choose_spanish_on_login(app)
    drawn = everything_drawn(app)
    assert "Tu tarjeta diaria, tus habilidades y tus controles, entre sesiones." in drawn
    assert "Iniciar sesión" in drawn and "Contraseña" in drawn
    assert untranslated(app) == []
    assert app.session_state[LOGIN_LANGUAGE] == "es"


def test_a_refused_login_says_why_in_the_language_picked_on_the_login_screen(app):
    """Log in's callback checks the password before the run sets the language: core's refusal is
    still in the language picked on the login screen."""
    choose_spanish_on_login(app)
    log_in(app, "bailey", "not-the-password")
    [refused] = [e.value for e in app.error]
    assert refused.startswith("Ese nombre de usuario y esa contraseña no coinciden.")
    assert untranslated(app) == []


def test_the_login_choice_becomes_the_accounts_first_choice(app, session):
    choose_spanish_on_login(app)
    log_in(app, "bailey")
    user = session.exec(select(AppUser).where(AppUser.username == "bailey")).one()
    session.refresh(user)
    assert user.language == "es"  # saved by the login, not by the seed
    assert "Hoy" in everything_drawn(app) and untranslated(app) == []


def test_an_account_that_chose_keeps_its_language_whatever_the_login_screen_says(app, session):
    user = session.exec(select(AppUser).where(AppUser.username == "bailey")).one()
    user.language = "en"
    session.add(user)
    session.commit()
    choose_spanish_on_login(app)
    log_in(app, "bailey")
    session.refresh(user)
    assert user.language == "en"
    assert "Tarjeta diaria de" not in everything_drawn(app)


@pytest.mark.parametrize("page", PARTICIPANT_PAGES)
def test_every_participant_screen_in_spanish_draws_no_english_from_the_catalogue(app, page):
    choose_spanish_on_login(app)
    log_in(app, "alex")  # homework, favourites, check-ups, cards: most of what these screens show
    open_page(app, page)
    assert untranslated(app) == [], page
    assert "Ayuda en crisis: llama o envía un texto ahora" in everything_drawn(app)


@pytest.mark.parametrize("page", FAMILY_PAGES)
def test_every_family_screen_in_spanish_draws_no_english_from_the_catalogue(app, page):
    choose_spanish_on_login(app)
    log_in(app, "pat.morgan")
    open_page(app, page)
    assert untranslated(app) == [], page


def test_choosing_spanish_in_my_account_is_saved_and_applied(app, session):
    log_in(app, "casey")
    open_page(app, "pages/account.py")
    assert "My account" in everything_drawn(app)
    app.radio(key="account_language").set_value("es").run()
    user = session.exec(select(AppUser).where(AppUser.username == "casey")).one()
    session.refresh(user)
    assert user.language == "es"
    drawn = everything_drawn(app)
    assert "Mi cuenta" in drawn and "Guardado. Tus pantallas ahora están en español." in drawn
    assert untranslated(app) == []
    # and back: a language is a choice, not a one-way door
    app.radio(key="account_language").set_value("en").run()
    session.refresh(user)
    assert user.language == "en" and "My account" in everything_drawn(app)


def test_therapists_read_english_even_after_choosing_spanish_on_the_login_screen(app, session):
    choose_spanish_on_login(app)
    log_in(app, "dr.rivera")
    user = session.exec(select(AppUser).where(AppUser.username == "dr.rivera")).one()
    session.refresh(user)
    assert user.language is None  # therapists do not choose; nothing saved
    assert "Caseload" in everything_drawn(app) and "Casos" not in everything_drawn(app)
    open_page(app, "pages/account.py")
    assert not [r for r in app.radio if r.key == "account_language"]


def test_the_spanish_crisis_line_comes_first_for_a_spanish_reader(app):
    def names(at):
        lines = [line for m in at.markdown for line in m.value.split("\n\n")]  # (the list: one paragraph a line)
        return [line.split("**")[1] for line in lines if line.startswith("**") and "tel:" in line]

    english = names(app)
    assert english.index(md("988 Suicide & Crisis Lifeline")) < english.index("988 en español")
    assert english[0] != "988 en español"
    choose_spanish_on_login(app)
    spanish = names(app)
    assert spanish[0] == "988 en español" and len(spanish) == len(english)
    assert md("988 Línea de Prevención del Suicidio y Crisis") in spanish
    panel = "\n".join(m.value for m in app.markdown)
    assert "(sms:988?&body=AYUDA)" in panel and "Llamar al 988, luego marcar 2" in panel


def test_the_therapist_sees_which_language_a_participant_answered_in(app, session):
    """Review stays in English for the therapist, and says which card and check-up were answered in
    Spanish (items are shown in English: the answers are indexes into the same official items)."""
    from core.models import Checkup, DiaryCard

    dana = session.exec(select(AppUser).where(AppUser.username == "dana")).one()
    card = session.exec(
        select(DiaryCard).where(DiaryCard.participant_id == dana.id).order_by(DiaryCard.day.desc())
    ).first()
    card.language = "es"
    card.note = card.note or "Hoy fue difícil."
    latest = session.exec(
        select(Checkup).where(Checkup.participant_id == dana.id, Checkup.kind == "phq9").order_by(Checkup.id.desc())
    ).first()
    latest.language = "es"
    session.add_all([card, latest])
    session.commit()

    log_in(app, "dr.chen")
    app.query_params["p"] = str(dana.id)
    app.query_params["day"] = card.day.isoformat()
    open_page(app, "pages/review.py")
    drawn = everything_drawn(app)
    assert f"Filled in in Spanish: {card.day:%a %b} {card.day.day}" in drawn
    assert "answered in Spanish" in drawn
    app.session_state["review_items_phq9"] = True  # "Latest PHQ-9 item by item", opened (drawn only then)
    assert "The participant answered the official Spanish version" in everything_drawn(app.run())
    assert "Participant review" in drawn and "Ayuda en crisis" not in drawn  # the therapist's screen is English


def _eli_in_spanish(app):
    choose_spanish_on_login(app)
    log_in(app, "eli")  # a substance-use program: counters, a past lapse, naloxone, MAT, goals to rate
    return app


def test_a_substance_use_participants_today_is_spanish_counters_lapse_goals_and_naloxone(app):
    """Eli's Today in Spanish: his alcohol counter (restarted kindly after a lapse), this week's goals to
    rate, the counters' settings, MAT and naloxone (the Spanish family.md's section), the next session."""
    from core.seed import DEMO_LAPSE_DAYS_AGO
    from tests.app.test_diary_card import today_key, widget

    _eli_in_spanish(app)
    assert untranslated(app) == []
    drawn = everything_drawn(app)
    assert f"{DEMO_LAPSE_DAYS_AGO} días desde la última vez que consumiste." in drawn
    assert "Alcohol: días en recuperación" in drawn and "days in recovery" not in drawn
    assert "Un tropiezo es información, no un fracaso" in drawn  # the counter restarted after his lapse
    assert "**Mis metas esta semana**" in drawn and "Cómo lo sabremos:" in drawn
    assert "Días en recuperación: mis contadores" in drawn and "Alcohol y drogas" not in drawn  # folded: not built
    assert "Naloxona: cómo revertir una sobredosis de opioides" in drawn
    assert "Sobredosis y naloxona" in drawn or "naloxona no le hace daño" in drawn  # es/family.md's words
    assert "Medicamento para la adicción tomado como te lo recetaron" in drawn and "No es mío" in drawn
    assert "Not mine" not in drawn and "Naltrexone" not in drawn
    assert "**Próxima sesión:** Grupo" in drawn and "Next session" not in drawn  # the program's schedule
    assert re.search(r"Grupo( · [^\n]+)? — (lun|mar|mié|jue|vie|sáb|dom)\.? \d{1,2} [a-z]{3}", drawn)

    # a lapse on the card: what was used, how much, what was going on — all in Spanish
    day = today_key(app)
    widget(app, "pills", f"mood_{day}").set_value(4)
    widget(app, "segmented_control", f"urge_substance_use_{day}").set_value(4)
    widget(app, "toggle", f"acted_substance_use_{day}").set_value(True)
    app.run()
    widget(app, "pills", f"use_{day}").set_value(["opioids"])
    app.run()
    widget(app, "segmented_control", f"use_unit_opioids_{day}").set_value("pills")
    widget(app, "number_input", f"use_amount_opioids_{day}").set_value(99)  # out of range: refused
    widget(app, "pills", f"triggers_{day}").set_value(["lonely", "places"])
    next(b for b in app.button if b.label == "Guardar mi tarjeta").click()
    app.run()
    assert untranslated(app) == []
    drawn = everything_drawn(app)
    assert "¿Qué consumiste? · opcional" in drawn and "Opioides" in drawn and "Opioids" not in drawn
    assert "Opioides: ¿más o menos cuánto? (en pastillas) · opcional" in drawn
    assert "¿Qué estaba pasando? · opcional" in drawn and "Con soledad" in drawn and "Lonely" not in drawn
    assert any("Opioides: un número entero de pastillas del 1 al 40" in e.value for e in app.error)

    # a counter that starts tomorrow: refused beside the field, in Spanish
    app.session_state["counter_settings_open"] = True  # "Días en recuperación: mis contadores", opened
    app.run()
    assert "Alcohol y drogas" in everything_drawn(app)
    widget(app, "selectbox", "counter_kind").set_value("cannabis")
    app.run()
    from datetime import date, timedelta

    tomorrow = date.fromisoformat(day) + timedelta(days=1)
    widget(app, "date_input", "counter_start_cannabis").set_value(tomorrow)
    next(b for b in app.button if b.label == "Guardar contador").click()
    app.run()
    assert any("Ese día todavía no llega" in e.value for e in app.error)
    assert untranslated(app) == []


def test_a_participant_rates_their_goals_in_spanish(app, session):
    from core.models import GoalRating

    _eli_in_spanish(app)
    before = len(session.exec(select(GoalRating)).all())
    rows = [p for p in app.pills if p.key and p.key.startswith("goal_rating_")]
    assert rows
    for row in rows:
        row.set_value(6)
    next(b for b in app.button if b.label == "Guardar mis puntuaciones").click()
    app.run()
    session.expire_all()
    assert len(session.exec(select(GoalRating)).all()) == before + len(rows)  # saved by this tap
    drawn = everything_drawn(app)
    assert "Tus puntuaciones de metas de esta semana están guardadas." in drawn
    assert f"{len(rows)} de {len(rows)} puntuadas" in drawn
    assert untranslated(app) == []


def test_the_aftercare_page_in_spanish_with_a_plan(app, session):
    """Eli's aftercare plan: the page, its sections and prompts, the plan as read, its printable copy and
    an appointment in the past refused (the date in Spanish too)."""
    from datetime import date, timedelta

    from core import aftercare
    from core.access import Actor
    from core.errors import ValidationError

    eli = Actor.of(session.exec(select(AppUser).where(AppUser.username == "eli")).one())
    aftercare.save_plan(
        session,
        eli,
        participant_id=eli.id,
        content={"triggers": ["Fiestas familiares"], "people": [{"name": "Ana", "phone": "555-0100"}]},
        base_version=None,
    )
    _eli_in_spanish(app)
    open_page(app, "pages/aftercare.py")
    assert untranslated(app) == []
    drawn = everything_drawn(app)
    assert "Mi plan de cuidado continuo" in drawn and "Mis detonantes personales" in drawn
    assert "Personas a las que puedo llamar" in drawn and "Plan de medicamentos" in drawn
    assert "Señales de alerta tempranas" in drawn and "Early warning signs" not in drawn
    assert "Fiestas familiares" in drawn and "Guardar el plan de cuidado continuo" in drawn

    with i18n.using("es"):
        page = aftercare.printable(aftercare.current_plan(session, eli, eli.id), name="Eli")
        past = date(2026, 3, 2)
        try:
            aftercare.save_plan(
                session,
                eli,
                participant_id=eli.id,
                content={"appointments": [{"provider": "Clínica", "date": past, "contact": ""}]},
                base_version=1,
            )
        except ValidationError as refused:
            message = refused.fields["appointments"]
        else:
            raise AssertionError("an appointment in the past was saved")
    assert "Plan de prevención de recaídas y cuidado continuo — Eli" in page and "Versión 1," in page
    assert "Mis detonantes personales" in page and "My personal triggers" not in page
    assert message == "La cita del 2 mar 2026 ya pasó: revisa la fecha."
    assert date.today() - timedelta(days=1) > past  # (the demo's today is after it)


@pytest.mark.parametrize(
    "page", ["pages/today.py", "pages/progress.py", "pages/safety_plan.py", "pages/practice.py", "pages/my_cards.py"]
)
def test_every_screen_of_a_substance_use_participant_in_spanish(app, page):
    """Eli's screens (counters, the triggers map, MAT, naloxone, goals) draw no English from the catalogue."""
    _eli_in_spanish(app)
    open_page(app, page)
    assert untranslated(app) == [], page


def test_a_discharged_participants_today_is_spanish(app):
    """After discharge: the kind word, and until when the record stays readable (the date in Spanish)."""
    from core.seed import COMPLETED

    choose_spanish_on_login(app)
    log_in(app, COMPLETED[0])
    drawn = everything_drawn(app)
    assert "Tu tiempo en el programa terminó. Gracias por todo lo que trabajaste" in drawn
    assert (
        "Todavía puedes leer tus tarjetas, tu progreso, tu plan de seguridad y tu plan de cuidado continuo hasta el "
        in drawn
    )
    assert re.search(r"hasta el [a-záéíóú]+, \d{1,2} de [a-z]+\.", drawn)  # "jueves, 25 de febrero."
    assert "comunícate con" in drawn and "Las habilidades y las herramientas para afrontar siguen aquí" in drawn
    assert untranslated(app) == []


@pytest.mark.parametrize("page", ["pages/checkups.py", "pages/sharing.py", "pages/tools.py", "pages/account.py"])
def test_a_discharged_participant_after_the_period_reads_every_screen_in_spanish(app, database_url, page):
    """Past the access period: any screen opened (by menu or address) is the closing word or one they
    still use, in Spanish; nothing left in English, no refusal."""
    from core.seed import COMPLETED

    _close_the_access_period(database_url, COMPLETED[0])
    choose_spanish_on_login(app)
    log_in(app, COMPLETED[0])
    open_page(app, page)
    drawn = everything_drawn(app)
    if page == "pages/checkups.py":
        assert "Tu tiempo en el programa terminó" in drawn and "Tu terapeuta fue " in drawn
        assert "Todavía puedes leer" not in drawn
    if page == "pages/sharing.py":  # who sees what, and stopping it, stays theirs (nothing new shared)
        assert "Tu programa ha terminado, así que desde aquí ya no se puede compartir nada nuevo" in drawn
    assert "No tienes acceso" not in drawn
    assert untranslated(app) == []
    if page == "pages/tools.py":
        app.session_state["tool_breathing"] = {"started": None, "seconds": 60, "finished": 1.0}
        app.run()
        assert "Tu programa terminó, así que la práctica ya no se anota" in everything_drawn(app)
        assert untranslated(app) == []


def _close_the_access_period(database_url, username):
    """The program gives no days after discharge: the period is over the day after."""
    from sqlmodel import Session

    from core import db
    from core.models import AppUser, Discharge, Program

    with Session(db.engine_for(database_url)) as session:
        user = session.exec(select(AppUser).where(AppUser.username == username)).one()
        program = session.get(Program, user.program_id)
        program.discharge_access_days = 0
        discharge = session.exec(select(Discharge).where(Discharge.participant_id == user.id)).one()
        assert discharge.day < demo_today()
        session.add(program)
        session.commit()


def test_a_substance_use_participants_progress_tabs_in_spanish(app):
    """My progress's lazily drawn tabs: the triggers map (urges tab) and the goals chart, in Spanish."""
    _eli_in_spanish(app)
    open_page(app, "pages/progress.py")
    app.session_state["progress_tab"] = i18n.translator("es").gettext("Urges & skills")
    app.run()
    drawn = everything_drawn(app)
    # (the chart's spec is JSON: "Qu\\u00e9 estaba pasando: detonantes")
    assert "estaba pasando: detonantes" in drawn and "Veces anotadas" in drawn and "Before a use" not in drawn
    assert "apareció más veces" in drawn and "What was going on" not in drawn
    assert "Viniste a " in drawn and "You came to" not in drawn
    assert untranslated(app) == []
    app.session_state["progress_tab"] = i18n.translator("es").gettext("Goals")
    app.run()
    drawn = everything_drawn(app)
    assert "Cómo lo sabremos:" in drawn and "How we'll know" not in drawn
    assert untranslated(app) == []


def test_a_family_members_aftercare_section_in_spanish(app, session):
    """Pat (Alex's parent), with Alex's consent for the aftercare plan, reads it in Spanish: the section's
    titles, an appointment's date, and no English from the catalogue."""
    from datetime import date, timedelta

    from core import aftercare, sharing
    from core.access import Actor, Category
    from core.program import user_today

    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    pat = session.exec(select(AppUser).where(AppUser.username == "pat.morgan")).one()
    today = user_today(session, alex.id)
    visit = today + timedelta(days=10)
    aftercare.save_plan(
        session,
        alex,
        participant_id=alex.id,
        content={
            "warning_signs": ["Dejo de contestar mensajes"],
            "appointments": [{"provider": "Dra. Ruiz", "date": visit, "contact": ""}],
        },
        base_version=None,
    )
    sharing.grant(
        session,
        alex,
        family_id=pat.id,
        category=Category.AFTERCARE,
        until=today + timedelta(days=30),
        shown_version=sharing.consent_version(Category.AFTERCARE),
    )
    choose_spanish_on_login(app)
    log_in(app, "pat.morgan")
    open_page(app, "pages/family.py")
    drawn = everything_drawn(app)
    assert "Señales de alerta tempranas" in drawn and "Dejo de contestar mensajes" in drawn
    assert "Citas de atención continua" in drawn and "Continuing-care appointments" not in drawn
    with i18n.using("es"):
        assert f"Dra. Ruiz · {i18n.weekday(visit)} {i18n.full_date(visit)}" in drawn
    assert isinstance(visit, date) and untranslated(app) == []


def test_a_family_member_shown_an_empty_aftercare_plan_reads_whose_plan_it_will_be(app, new_app, session):
    """Shared but not yet written: the line speaks of the participant (not "your therapist"), in
    Spanish too."""
    from datetime import timedelta

    from core import sharing
    from core.access import Actor, Category
    from core.program import user_today

    alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
    pat = session.exec(select(AppUser).where(AppUser.username == "pat.morgan")).one()
    sharing.grant(
        session,
        alex,
        family_id=pat.id,
        category=Category.AFTERCARE,
        until=user_today(session, alex.id) + timedelta(days=30),
        shown_version=sharing.consent_version(Category.AFTERCARE),
    )
    log_in(app, "pat.morgan")
    open_page(app, "pages/family.py")
    assert "No aftercare plan yet. Alex builds it with their therapist" in texts(app)
    assert "your therapist" not in texts(app)
    spanish = new_app().run()
    choose_spanish_on_login(spanish)
    log_in(spanish, "pat.morgan")
    open_page(spanish, "pages/family.py")
    assert "Alex lo prepara con su terapeuta" in everything_drawn(spanish) and untranslated(spanish) == []
