"""ui/theme_once.py: the theme sections of the message that starts every run are worked out once per
process, and are the ones Streamlit builds from the config (and worked out afresh after a reparse)."""

import copy

from streamlit import config
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session

from ui import theme_once

SECTIONS = ("light", "dark", "sidebar", "light.sidebar", "dark.sidebar")


def filled(populate) -> ForwardMsg:
    """The new-session message's theme, filled in as Streamlit's _create_new_session_message does."""
    msg = ForwardMsg()
    theme = msg.new_session.custom_theme
    populate(theme)
    for section in SECTIONS:
        target = theme
        for part in section.split("."):
            target = getattr(target, part)
        populate(target, f"theme.{section}")
    return msg


def test_the_theme_is_streamlits_worked_out_once_and_afresh_after_a_reparse(monkeypatch):
    monkeypatch.setattr(app_session, "_populate_theme_msg", app_session._populate_theme_msg)  # (put back after)
    original = getattr(app_session._populate_theme_msg, "__wrapped__", app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)
    config.get_config_options()  # (the project's .streamlit/config.toml, as the server reads it)
    expected = filled(original)
    assert expected.new_session.custom_theme.primary_color == config.get_option("theme.primaryColor")

    read = []
    monkeypatch.setattr(
        config, "get_options_for_section", lambda s, f=config.get_options_for_section: read.append(s) or f(s)
    )
    assert theme_once.install() and theme_once.install()  # (once: a second install changes nothing)
    patched = app_session._populate_theme_msg
    assert filled(patched) == expected and len(read) == 1 + len(SECTIONS)
    assert filled(patched) == expected and len(read) == 1 + len(SECTIONS)  # the second run reads no option

    # Streamlit parses its config again (a new dict of options): the sections are worked out afresh.
    options = copy.deepcopy(config.get_config_options())
    options["theme.primaryColor"].set_value("#123456", "a test")
    monkeypatch.setattr(config, "_config_options", options)
    again = filled(patched)
    assert again.new_session.custom_theme.primary_color == "#123456"
    assert again == filled(original)
