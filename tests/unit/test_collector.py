"""The server process's garbage collector (ui/collector.py): `streamlit run app.py` imports app.py as a
module before any session, and that start raises the young generation's threshold, leaving the older
two as Python sets them."""

import gc
import json
import subprocess
import sys

from tests.e2e.conftest import ROOT
from ui import collector

# What `streamlit run app.py` does first: import app.py as a module (not as __main__), which serves `app`.
_START = """
import gc, json
before = gc.get_threshold()
import app
print(json.dumps({"before": before, "after": gc.get_threshold()}))
"""


def test_the_server_process_starts_with_the_young_threshold_raised_and_the_older_ones_kept():
    done = subprocess.run(
        [sys.executable, "-c", _START], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"][0] == 700  # Python's own, before the app's start
    assert found["after"] == [collector.YOUNG_THRESHOLD, *found["before"][1:]]


def test_tune_changes_only_the_young_threshold():
    saved = gc.get_threshold()
    try:
        gc.set_threshold(123, 4, 5)
        collector.tune()
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 4, 5)
    finally:
        gc.set_threshold(*saved)
