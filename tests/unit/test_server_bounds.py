"""scr13: what the server accepts from a browser is bounded (.streamlit/config.toml). Every note is
screened for crisis words before its length is refused, so a modified client could send a note as
large as Streamlit parses (25 MB by default in 1.67, `server.maxWidgetStateSize`; 200 MB buffered,
`server.maxMessageSize`) and hold a server process for seconds to minutes. A server started in the
repository reads both bounds from the file; an upgrade of Streamlit that drops the hidden option
fails here rather than silently lifting the bound. No screen takes a file, and Streamlit's upload
route, open to any session (the login screen's too), would hold files of up to 200 MB each in memory:
uploads are refused."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

_READ = (
    "from streamlit.runtime import runtime_util as r\n"
    "from streamlit import config\n"
    "print(r.get_max_widget_state_size_bytes(), r.get_max_message_size_bytes())\n"
    "print(config.get_option('server.maxUploadSize'))\n"
)


def test_a_server_started_here_parses_at_most_a_megabyte_from_a_browser():
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    done = subprocess.run([sys.executable, "-c", _READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    inbound, either_way, upload = map(int, done.stdout.split())
    assert inbound == 1_000_000  # what a browser may send: parsed (and its note screened) only up to this
    assert either_way == 10_000_000  # the largest message to the browser: 2.3 MB at 20,000 participants
    assert upload == 0  # no screen takes a file: Streamlit's upload route refuses every one
