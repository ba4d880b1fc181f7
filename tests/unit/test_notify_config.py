"""The email settings in core/config.py: read like every other setting, refused when unusable, and
the SMTP password never printed."""

import pytest

from core.config import ConfigError, load_settings


def test_without_an_smtp_host_mail_goes_to_the_mail_drop_in_the_data_folder(tmp_path):
    s = load_settings({"IOP_DATA_DIR": str(tmp_path)}, secrets_path=tmp_path / "none.toml")
    assert not s.smtp_configured and s.maildrop_dir == str(tmp_path / "maildrop")
    assert (s.smtp_port, s.smtp_security, s.public_url) == (587, "starttls", "http://localhost:8501")


def test_smtp_settings_come_from_the_environment_or_secrets(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        'smtp_host = "smtp.clinic.example.org"\nsmtp_security = "ssl"\nsmtp_password = "hunter2-secret"\n'
        'public_url = "https://iop.clinic.example.org/"\ndemo_mode = true\n'
    )
    s = load_settings({"IOP_SMTP_USERNAME": "iop"}, secrets_path=secrets)
    assert (s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_username) == (
        "smtp.clinic.example.org",
        465,
        "ssl",
        "iop",
    )
    assert s.public_url == "https://iop.clinic.example.org"  # no trailing slash: links join cleanly
    assert "hunter2-secret" not in repr(s)


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"IOP_SMTP_SECURITY": "tls1.0"}, "IOP_SMTP_SECURITY"),
        ({"IOP_SMTP_PORT": "smtp"}, "IOP_SMTP_PORT"),
        ({"IOP_SMTP_PORT": "70000"}, "IOP_SMTP_PORT"),
        ({"IOP_PUBLIC_URL": "iop.clinic.example.org"}, "IOP_PUBLIC_URL"),
        ({"IOP_PUBLIC_URL": "javascript:alert(1)"}, "IOP_PUBLIC_URL"),
    ],
)
def test_unusable_email_settings_are_refused_naming_the_setting(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ, secrets_path=tmp_path / "none.toml")
