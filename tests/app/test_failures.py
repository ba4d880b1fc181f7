"""When things break, a person sees a calm message and the crisis lines, never a traceback."""

import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.conftest import texts
from tests.e2e.conftest import ROOT


def test_unreachable_database_gives_a_calm_message_and_crisis_lines(monkeypatch):
    from core import config

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    config.settings.cache_clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert "988" in texts(at)  # the crisis lines never depend on the database
    at.text_input(key="login_username").input("alex")
    at.text_input(key="login_password").input("iop-demo-2026")
    at.button[0].click()
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "can't reach our records" in shown
    assert "988" in shown and "911" in shown
    assert at.text_input(key="login_username").value == "alex"


def test_unsafe_production_config_refuses_to_start(monkeypatch):
    from core import config

    monkeypatch.setenv("IOP_DEMO_MODE", "false")
    config.settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert "not configured safely" in at.error[0].value
    assert not at.text_input  # no login form


def test_a_broken_skills_file_stops_the_app_with_its_name_and_the_crisis_lines(monkeypatch, tmp_path):
    from core import skills

    broken = tmp_path / "skills.yaml"
    broken.write_text("modules:\n  - id: mindfulness\n    name: Mindfulness\n    skills: []\n")
    monkeypatch.setattr(skills, "CATALOGUE_FILE", broken)
    monkeypatch.setattr(skills.load_catalogue, "__defaults__", (broken,))
    skills.catalogue.cache_clear()
    skills.skills_by_id.cache_clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
        assert not at.exception
        assert "skills.yaml: module 'mindfulness' has no skills" in at.error[0].value
        assert "988" in texts(at) and not at.text_input
    finally:
        skills.catalogue.cache_clear()
        skills.skills_by_id.cache_clear()
