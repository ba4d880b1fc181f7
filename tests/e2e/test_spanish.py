"""A participant who reads Spanish, on a phone (390×844), taps only: Español on the login screen,
logs in, fills in and saves today's diary card, opens the crisis help (988 en español first), and
opens a PHQ-9 their therapist asked for. On a branch without core/content/es/questionnaires.yaml the
PHQ-9 is shown in English under a note saying so; with it, in Spanish. Screenshots in
test-artifacts/screenshots/es-*.png."""

from __future__ import annotations

import pytest
from sqlmodel import Session, create_engine, select

from core import checkups, i18n
from core.access import Actor
from core.models import AppUser, CaseloadAssignment, Checkup
from tests.e2e.conftest import fits, open_app, settle

pytestmark = pytest.mark.e2e
WHO = "harper"


def tap(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} button").get_by_text(option, exact=True).click()


def go_to(page, screen: str) -> None:
    """conftest.go_to, in Spanish: tap "Menú", tap the screen's name."""
    page.locator("[class*='st-key-nav_menu_']").get_by_role("button", name="Menú").click()
    page.get_by_test_id("stPopoverBody").get_by_role("link", name=screen, exact=True).click()
    settle(page)
    page.get_by_test_id("stPopoverBody").wait_for(state="detached")


def _database(server):
    return create_engine(f"sqlite:///{server.data_dir / 'iop.db'}")


def _ask_for_a_phq9(server) -> None:
    """The therapist asks for an extra PHQ-9 (as from Review), so one is waiting whatever the day."""
    with Session(_database(server)) as session:
        who = session.exec(select(AppUser).where(AppUser.username == WHO)).one()
        therapist_id = session.exec(
            select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.participant_id == who.id)
        ).one()
        checkups.request_extra(
            session, Actor.of(session.get(AppUser, therapist_id)), participant_id=who.id, kind="phq9"
        )
        session.commit()


def test_a_spanish_reader_fills_in_a_card_and_opens_a_check_up(server, phone, artifacts):
    _ask_for_a_phq9(server)
    open_app(phone, server.url)
    phone.locator(".st-key-login_language button").get_by_text("Español", exact=True).click()
    settle(phone)
    phone.get_by_text("Tu tarjeta diaria, tus habilidades y tus controles, entre sesiones.").wait_for()
    phone.screenshot(path=artifacts / "es-login.png")
    assert fits(phone)

    phone.get_by_label("Nombre de usuario", exact=True).fill(WHO)
    phone.get_by_label("Contraseña", exact=True).fill("iop-demo-2026")
    button = phone.get_by_role("button", name="Iniciar sesión", exact=True)
    button.click()
    button.wait_for(state="detached")
    settle(phone)

    classes = phone.locator("[class*='st-key-mood_']").first.get_attribute("class")
    day = next(c for c in classes.split() if c.startswith("st-key-mood_")).removeprefix("st-key-mood_")
    phone.get_by_text("Ánimo general hoy").wait_for()
    tap(phone, f"mood_{day}", "6")
    tap(phone, f"sadness_{day}", "3")
    tap(phone, f"medication_{day}", "Sí")
    settle(phone)
    # Each tap reruns the card alone (a fragment, not the script that set the language): still Spanish.
    phone.get_by_text("Actué según el impulso").first.wait_for()
    card = phone.locator("[data-testid='stMain']").inner_text()
    assert "Acted on it" not in card and "Skills I used" not in card and "Habilidades que usé hoy" in card
    phone.screenshot(path=artifacts / "es-diary-card-filled.png")
    phone.get_by_role("button", name="Guardar mi tarjeta").click()
    settle(phone)
    phone.get_by_text("Guardada. Gracias por registrarte hoy.").wait_for()
    phone.get_by_text("verá esta tarjeta al revisar tu semana").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "es-diary-card-saved.png")
    assert fits(phone)
    with Session(_database(server)) as session:
        who = session.exec(select(AppUser).where(AppUser.username == WHO)).one()
        assert who.language == "es"  # the login screen's choice became the account's

    # Crisis help, one tap: the line answered in Spanish first.
    phone.get_by_role("button", name="Ayuda en crisis: llama o envía un texto ahora").click()
    body = phone.get_by_test_id("stPopoverBody")
    body.get_by_text("988 en español").wait_for()
    first = body.locator("strong").first.inner_text()
    assert first == "988 en español"
    hrefs = [a.get_attribute("href") for a in body.locator("a").all()]
    assert "sms:988?&body=AYUDA" in hrefs
    phone.screenshot(path=artifacts / "es-crisis-help.png")
    phone.keyboard.press("Escape")
    body.wait_for(state="detached")

    go_to(phone, "Controles")
    phone.get_by_text("Tu terapeuta pidió este control adicional.").wait_for()
    if i18n.has_content("questionnaires.yaml", "es"):
        phone.get_by_role("button", name="Enviar el control").wait_for()
        assert "solo en inglés" not in phone.locator("[data-testid='stMain']").inner_text()
    else:
        phone.get_by_text("Por ahora este cuestionario está solo en inglés").wait_for()
        phone.get_by_text("Little interest or pleasure in doing things").wait_for()  # the official English item
    phone.screenshot(path=artifacts / "es-checkup.png")
    assert fits(phone)
    # Answer it: nine taps on the first choice, then submit; the check-up records its language.
    for index in range(9):
        phone.locator(f".st-key-phq9_item_{index} [role='radiogroup'] label").first.click()
    phone.locator(".st-key-phq9_function [role='radiogroup'] label").first.click()
    phone.get_by_role("button", name="Enviar el control").click()
    settle(phone)
    phone.locator(".st-key-result_phq9").wait_for()
    phone.locator(".st-key-result_phq9").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "es-checkup-result.png")
    with Session(_database(server)) as session:
        who = session.exec(select(AppUser).where(AppUser.username == WHO)).one()
        taken = session.exec(
            select(Checkup).where(Checkup.participant_id == who.id, Checkup.kind == "phq9").order_by(Checkup.id.desc())
        ).first()
        assert taken.slot_key.startswith("extra-")
        assert taken.language == ("es" if i18n.has_content("questionnaires.yaml", "es") else "en")
