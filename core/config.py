"""One settings object, read from the environment first, then `.streamlit/secrets.toml`.

Core never imports Streamlit, so the secrets file is read here with `tomllib`; the keys are the
lower-case forms of the environment variable names without the `IOP_` prefix.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COOKIE_KEY = "iop-companion-demo-cookie-key-not-a-secret"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
PLACEHOLDER_KEY_MARK = "replace-me"  # .streamlit/secrets.toml.example's cookie_key
SMTP_SECURITY = ("starttls", "ssl", "none")


class ConfigError(RuntimeError):
    """The configuration is unsafe or unusable; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    cookie_key: str
    cookie_name: str
    cookie_expiry_days: float
    demo_mode: bool
    bcrypt_rounds: int
    cookie_secure: bool = False  # Secure even when the request looks like plain http (TLS proxy)
    # Email (core/notify.py). No SMTP host: messages go to the mail drop folder, for the admin to read.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    mail_from: str = "IOP Companion <no-reply@iop-companion.invalid>"
    public_url: str = "http://localhost:8501"  # where links in emails and calendar feeds point
    maildrop_dir: str = ""

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_demo_key(self) -> bool:
        """The public demo key signs nothing but demo accounts' cookies."""
        return self.cookie_key == DEFAULT_COOKIE_KEY


def _read_secrets(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def load_settings(environ: dict | None = None, secrets_path: Path | None = None) -> Settings:
    """Build settings; outside demo mode, refuse the default cookie key."""
    env = os.environ if environ is None else environ
    path = secrets_path or Path(env.get("IOP_SECRETS_FILE", PROJECT_ROOT / ".streamlit" / "secrets.toml"))
    secrets = _read_secrets(path)

    def get(env_name: str, key: str, default=None):
        if env.get(env_name) not in (None, ""):
            return env[env_name]
        return secrets.get(key, default)

    cookie_key = get("IOP_COOKIE_KEY", "cookie_key")
    database_url = get("DATABASE_URL", "database_url")
    # Demo mode is never a side effect of a partial configuration: it is on when asked for, or
    # when nothing at all is configured (no secrets, no key, the default SQLite file).
    configured = bool(secrets) or cookie_key not in (None, "") or database_url not in (None, "")
    demo_raw = get("IOP_DEMO_MODE", "demo_mode")
    demo_mode = (not configured) if demo_raw is None else _truthy(demo_raw)

    if cookie_key in (None, "", DEFAULT_COOKIE_KEY):
        if not demo_mode:
            raise ConfigError(
                "Demo mode is off but no cookie key is set. Set IOP_COOKIE_KEY (or cookie_key in "
                ".streamlit/secrets.toml) to a long random string, e.g. the output of "
                'python -c "import secrets; print(secrets.token_urlsafe(48))".'
            )
        cookie_key = DEFAULT_COOKIE_KEY
    elif not demo_mode and (len(str(cookie_key)) < 32 or PLACEHOLDER_KEY_MARK in str(cookie_key)):
        raise ConfigError(
            "The cookie key is too short or still the example's placeholder: use at least 32 random characters."
        )

    if not database_url:
        data_dir = Path(get("IOP_DATA_DIR", "data_dir", DEFAULT_DATA_DIR))
        database_url = f"sqlite:///{data_dir / 'iop.db'}"
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    try:
        expiry = float(get("IOP_COOKIE_EXPIRY_DAYS", "cookie_expiry_days", 7))
        rounds = int(get("IOP_BCRYPT_ROUNDS", "bcrypt_rounds", 12))
    except ValueError as exc:
        raise ConfigError(f"A numeric setting is not a number: {exc}") from exc
    if not 4 <= rounds <= 16:
        raise ConfigError("IOP_BCRYPT_ROUNDS must be between 4 and 16.")
    if not 0 < expiry <= 366:
        raise ConfigError("IOP_COOKIE_EXPIRY_DAYS must be more than 0 and at most 366.")

    security = str(get("IOP_SMTP_SECURITY", "smtp_security", "starttls")).strip().lower()
    if security not in SMTP_SECURITY:
        raise ConfigError(f"IOP_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}.")
    try:
        smtp_port = int(get("IOP_SMTP_PORT", "smtp_port", 465 if security == "ssl" else 587))
    except ValueError as exc:
        raise ConfigError(f"IOP_SMTP_PORT is not a number: {exc}") from exc
    if not 0 < smtp_port < 65536:
        raise ConfigError("IOP_SMTP_PORT must be between 1 and 65535.")
    public_url = str(get("IOP_PUBLIC_URL", "public_url", "http://localhost:8501")).strip().rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError("IOP_PUBLIC_URL must start with http:// or https:// (it is the address in emails).")
    maildrop = (
        get("IOP_MAILDROP_DIR", "maildrop_dir") or Path(get("IOP_DATA_DIR", "data_dir", DEFAULT_DATA_DIR)) / "maildrop"
    )

    return Settings(
        database_url=str(database_url),
        cookie_key=str(cookie_key),
        cookie_name=str(get("IOP_COOKIE_NAME", "cookie_name", "iop_companion_login")),
        cookie_expiry_days=expiry,
        demo_mode=demo_mode,
        bcrypt_rounds=rounds,
        cookie_secure=_truthy(get("IOP_COOKIE_SECURE", "cookie_secure", False)),
        smtp_host=str(get("IOP_SMTP_HOST", "smtp_host", "")).strip(),
        smtp_port=smtp_port,
        smtp_security=security,
        smtp_username=str(get("IOP_SMTP_USERNAME", "smtp_username", "")),
        smtp_password=str(get("IOP_SMTP_PASSWORD", "smtp_password", "")),
        mail_from=str(get("IOP_MAIL_FROM", "mail_from", Settings.mail_from)),
        public_url=public_url,
        maildrop_dir=str(maildrop),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings (tests call `settings.cache_clear()` after changing the env)."""
    return load_settings()
