"""On a phone at 390×844, with taps only: Eli records a lapse on today's card — what he used, roughly
how much, what was going on — saves once, sees the crisis response and then his alcohol counter
start again kindly; the therapist's alert is the lapse's (#20)."""

import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core import db
from core.models import Alert, AppUser, CardTrigger, DiaryCard, SubstanceUse
from tests.e2e.conftest import fits, settle, signed_in_at
from tests.e2e.test_diary_card import save, tap, today_of

pytestmark = pytest.mark.e2e


def test_a_card_with_a_lapse_recorded_by_thumb(server, phone, artifacts):
    signed_in_at(phone, server.url, "eli")
    phone.get_by_text("days since you last used").first.wait_for()
    started = time.monotonic()
    day = today_of(phone)
    tap(phone, f"mood_{day}", "4")
    tap(phone, f"urge_substance_use_{day}", "4")
    phone.locator(f".st-key-acted_substance_use_{day} label").click()
    settle(phone)
    tap(phone, f"use_{day}", "Alcohol")
    settle(phone)
    amount = phone.locator(f".st-key-use_amount_alcohol_{day} input")
    amount.fill("6")
    amount.press("Enter")
    settle(phone)
    tap(phone, f"triggers_{day}", "Lonely")
    tap(phone, f"triggers_{day}", "People")
    settle(phone)
    phone.locator(f".st-key-use_box_{day}").scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "recovery-lapse-on-card.png")
    assert fits(phone)
    save(phone)
    phone.get_by_role("dialog").get_by_text("You don't have to get through this alone").wait_for()
    took = time.monotonic() - started
    print(f"\nlapse recorded and saved in {took:.1f} s of taps")
    phone.screenshot(path=artifacts / "recovery-lapse-saved-dialog.png")
    phone.keyboard.press("Escape")
    settle(phone)
    counter = phone.locator(".st-key-counter_alcohol")
    counter.get_by_text("Today is a fresh start").wait_for()
    assert "information, not failure" in counter.inner_text()
    counter.scroll_into_view_if_needed()
    phone.screenshot(path=artifacts / "recovery-counter-restarted.png")
    assert fits(phone)

    engine = db.make_engine(f"sqlite:///{Path(server.env['IOP_DATA_DIR']) / 'iop.db'}")
    with Session(engine) as session:
        eli = session.exec(select(AppUser).where(AppUser.username == "eli")).one()
        card = session.exec(select(DiaryCard).where(DiaryCard.participant_id == eli.id, DiaryCard.day == day)).one()
        used = session.exec(select(SubstanceUse).where(SubstanceUse.card_id == card.id)).all()
        assert [(u.substance, u.amount, u.unit) for u in used] == [("alcohol", 6, "drinks")]
        triggers = session.exec(select(CardTrigger.trigger).where(CardTrigger.card_id == card.id)).all()
        assert sorted(triggers) == ["lonely", "people"]
        alert = session.exec(
            select(Alert).where(Alert.participant_id == eli.id, Alert.source_key == f"diary:{day}")
        ).one()
        assert {r["key"] for r in alert.reasons} >= {"acted:substance_use", "lapse:alcohol"}
    engine.dispose()
