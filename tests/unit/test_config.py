from pathlib import Path

import pytest

from core.config import DEFAULT_COOKIE_KEY, ConfigError, load_settings

KEY = "k" * 40


def test_nothing_configured_means_demo_mode_with_a_sqlite_file(tmp_path):
    s = load_settings({"IOP_DATA_DIR": str(tmp_path)}, secrets_path=tmp_path / "none.toml")
    assert s.demo_mode is True
    assert s.cookie_key == DEFAULT_COOKIE_KEY
    assert s.database_url == f"sqlite:///{tmp_path / 'iop.db'}"


def test_outside_demo_mode_the_default_cookie_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cookie key"):
        load_settings({"IOP_DEMO_MODE": "false"}, secrets_path=tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="cookie key"):
        load_settings(
            {"IOP_DEMO_MODE": "false", "IOP_COOKIE_KEY": DEFAULT_COOKIE_KEY}, secrets_path=tmp_path / "none.toml"
        )


def test_a_short_cookie_key_is_refused_in_production(tmp_path):
    with pytest.raises(ConfigError, match="too short"):
        load_settings({"IOP_COOKIE_KEY": "short"}, secrets_path=tmp_path / "none.toml")


def test_a_configured_key_turns_demo_mode_off(tmp_path):
    s = load_settings({"IOP_COOKIE_KEY": KEY}, secrets_path=tmp_path / "none.toml")
    assert s.demo_mode is False and s.cookie_key == KEY


def test_secrets_file_is_read_and_environment_wins(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'cookie_key = "{KEY}"\ndatabase_url = "postgresql://u@h/db"\ncookie_expiry_days = 3\n')
    s = load_settings({}, secrets_path=secrets)
    assert s.demo_mode is False
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert s.cookie_expiry_days == 3
    s = load_settings({"DATABASE_URL": "sqlite:///x.db"}, secrets_path=secrets)
    assert s.database_url == "sqlite:///x.db"


def test_broken_secrets_file_names_itself(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("cookie_key = ")
    with pytest.raises(ConfigError, match="secrets.toml"):
        load_settings({}, secrets_path=secrets)


@pytest.mark.parametrize(
    "environ",
    [
        {"DATABASE_URL": "postgresql://iop:secret@db.example.org/iop"},  # the first release ran this in demo mode
        {"DATABASE_URL": "sqlite:////srv/iop/iop.db"},
        {"DATABASE_URL": "postgresql://iop@db/iop", "IOP_COOKIE_KEY": ""},
    ],
)
def test_a_configured_database_alone_is_not_demo_mode_and_needs_a_real_key(tmp_path, environ):
    with pytest.raises(ConfigError, match="no cookie key"):
        load_settings(environ, secrets_path=tmp_path / "none.toml")
    s = load_settings({**environ, "IOP_COOKIE_KEY": KEY}, secrets_path=tmp_path / "none.toml")
    assert s.demo_mode is False and not s.uses_demo_key


def test_demo_mode_on_request_with_any_database(tmp_path):
    s = load_settings(
        {"DATABASE_URL": "postgresql://u@h/db", "IOP_DEMO_MODE": "true"}, secrets_path=tmp_path / "none.toml"
    )
    assert s.demo_mode is True and s.uses_demo_key


def test_a_secrets_file_alone_is_configuration_too(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("cookie_expiry_days = 3\n")
    with pytest.raises(ConfigError, match="no cookie key"):
        load_settings({}, secrets_path=secrets)


def test_the_examples_placeholder_key_is_refused(tmp_path):
    example = (Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml.example").read_text()
    placeholder = next(line.split('"')[1] for line in example.splitlines() if line.startswith("cookie_key"))
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings({"IOP_COOKIE_KEY": placeholder}, secrets_path=tmp_path / "none.toml")


@pytest.mark.parametrize("days", ["0", "-1", "nan", "inf", "400"])
def test_cookie_expiry_must_be_a_sensible_number_of_days(tmp_path, days):
    with pytest.raises(ConfigError):
        load_settings({"IOP_COOKIE_EXPIRY_DAYS": days}, secrets_path=tmp_path / "none.toml")


def test_secure_cookies_can_be_forced_behind_a_tls_proxy(tmp_path):
    assert load_settings({}, secrets_path=tmp_path / "none.toml").cookie_secure is False
    assert load_settings({"IOP_COOKIE_SECURE": "true"}, secrets_path=tmp_path / "none.toml").cookie_secure
