"""When things break, a person sees a calm message and the crisis lines, never a traceback."""

import pytest

from tests.app.conftest import texts


def test_unreachable_database_gives_a_calm_message_and_crisis_lines(monkeypatch, new_app):
    from core import config
    from ui import layout

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    config.settings.cache_clear()
    at = new_app()
    at.calm_error_expected = True
    at.run()
    assert "988" in texts(at)  # the crisis lines never depend on the database
    assert at.routed == ["login_screen"]
    at.router_expected = False  # the login check itself fails: app.py stops before routing
    at.text_input(key="login_username").input("alex")
    at.text_input(key="login_password").input("iop-demo-2026")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == [layout.DB_DOWN]
    shown = texts(at)
    assert "can't reach our records" in shown
    assert "988" in shown and "911" in shown
    assert at.text_input(key="login_username").value == "alex"


def test_unsafe_production_config_refuses_to_start(monkeypatch, new_app):
    from core import config

    monkeypatch.setenv("IOP_DEMO_MODE", "false")
    config.settings.cache_clear()
    at = new_app()
    at.router_expected = False
    at.run()
    assert "not configured safely" in at.error[0].value
    assert not at.text_input and at.routed == []  # no login form: app.py stopped before routing


def _break(monkeypatch, tmp_path, module, constant, text):
    broken = tmp_path / getattr(module, constant).name
    broken.write_text(text, encoding="utf-8")
    monkeypatch.setattr(module, constant, broken)


BROKEN = {
    "skills.yaml": (
        "skills",
        "CATALOGUE_FILE",
        "modules:\n  - id: mindfulness\n    name: Mindfulness\n    intro: Noticing.\n    skills: []\n",
        "skills.yaml: module 'mindfulness' has no skills",
    ),
    "questionnaires.yaml": (
        "checkups",
        "QUESTIONNAIRE_FILE",
        "phq9: {name: PHQ-9, items: []}\n",
        "questionnaires.yaml: phq9 needs 'title'",
    ),
    "family.md": (
        "content",
        "FAMILY_FILE",
        "Welcome!\n## Only a title\n",
        "family.md: line 1: text before the first '## ' heading",
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_content_file_stops_the_app_with_its_name_and_the_crisis_lines(monkeypatch, tmp_path, new_app, name):
    import importlib

    from core import checkups, content, skills
    from ui import layout

    module_name, constant, text, message = BROKEN[name]
    _break(monkeypatch, tmp_path, importlib.import_module(f"core.{module_name}"), constant, text)
    caches = (
        skills.catalogue,
        skills.skills_by_id,
        checkups.questionnaires,
        content.family_sections,
        layout.check_content,
    )
    for cache in caches:
        cache.cache_clear()
    try:
        at = new_app()
        at.router_expected = False
        at.run()
        assert at.error[0].value.startswith(f"IOP Companion's content has a problem, so it will not start: {message}")
        assert "988" in texts(at) and not at.text_input and at.routed == []
    finally:
        for cache in caches:
            cache.cache_clear()
