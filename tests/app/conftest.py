"""AppTest fixtures: the real app.py against the test database, with no browser cookies."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.e2e.conftest import DEMO_PASSWORD, ROOT


@pytest.fixture
def app(database_url, demo, monkeypatch):
    """A fresh app session on the seeded demo database; no cookie (AppTest has no browser)."""
    from streamlit_authenticator.models.cookie_model import CookieModel

    monkeypatch.setattr(CookieModel, "get_cookie", lambda self: None)
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    return at


def log_in(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()  # the form's only button: Log in
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.warning,
                               *at.error, *at.success, *at.subheader)]
    return "\n".join(str(p) for p in parts)
