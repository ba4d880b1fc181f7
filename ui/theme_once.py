"""The theme's part of the message that starts every script run, worked out once per process.

Streamlit 1.67 sends a "new session" message at the start of every run (every tap, every save) and fills
its six theme sections (`[theme]`, `[theme.light]`, `[theme.dark]` and their sidebars) from the config
each time: `_populate_theme_msg` reads every config option of the process once per section, about 1,200
option reads a run. Under `bench/crowd_probe.py`'s saves (yappi, every thread) that was 6% of a save's
server CPU (the agent API's save starts two runs) and 1-2% of a login. The config is read once at the
server's start (no file watcher here: `server.fileWatcherType none`) and a theme option cannot be set
while the server runs, so each section's message is the same in every run: this works it out once and
copies it in.

Should Streamlit reparse its config (its options become a new dict), the sections are worked out afresh.
This reaches into Streamlit's internals (`streamlit.runtime.app_session._populate_theme_msg`);
tests/unit/test_theme_once.py checks that the message is the one Streamlit builds, and `install()` leaves
Streamlit as it is (and logs why) if that function is not there.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("iop")

_INSTALLED = "_iop_theme_once"


def install() -> bool:
    """Patch Streamlit's theme sections once per process. True when it is (or already was) in place."""
    from streamlit import config
    from streamlit.proto.NewSession_pb2 import NewSession
    from streamlit.runtime import app_session

    populate = getattr(app_session, "_populate_theme_msg", None)
    if populate is None or not callable(getattr(config, "get_config_options", None)):
        log.warning("Streamlit's new-session message has changed: its theme is worked out every run (ui/theme_once.py)")
        return False
    if getattr(populate, _INSTALLED, False):
        return True
    # Keyed by the options dict's id, and each entry keeps that dict alive: a dict Streamlit dropped
    # after a reparse could otherwise be freed and its id given to the next one, whose theme would
    # then be the old one's.
    made: dict[tuple[int, str], tuple[Any, Any]] = {}  # -> (options, the section, None when left absent)
    lock = threading.Lock()

    def _populate_theme_msg(msg: Any, section: str = "theme") -> None:
        options = config.get_config_options()
        key = (id(options), section)
        with lock:
            kept = made.get(key)
        if kept is not None and kept[0] is options:
            done = kept[1]
        else:
            # Worked out inside a parent, to learn whether Streamlit's fill marks the section present:
            # it may set only fields at their default (`[theme] base = "light"` alone is base 0), an
            # empty section the browser must still see (present: a light theme; absent: the browser's).
            holder = NewSession()
            populate(holder.custom_theme, section)
            done = holder.custom_theme if holder.HasField("custom_theme") else None
            with lock:
                made[key] = (options, done)
        if done is not None:  # (merging marks the section present, even an empty one, as Streamlit's fill does)
            msg.MergeFrom(done)

    setattr(_populate_theme_msg, _INSTALLED, True)
    _populate_theme_msg.__wrapped__ = populate  # type: ignore[attr-defined]
    app_session._populate_theme_msg = _populate_theme_msg
    return True
