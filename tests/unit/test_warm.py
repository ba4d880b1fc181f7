"""The server process's start (app.py imported by `streamlit run`, ui/warm.py): every module a page
uses is imported before the first session, and what was imported is left out of the garbage
collector's walks (gc.freeze), so a full collection no longer walks ~220,000 objects that never die."""

import json
import pkgutil
import subprocess
import sys

import core
import ui
from tests.e2e.conftest import ROOT

# What `streamlit run app.py` does first: import app.py as a module (not as __main__), which serves `app`.
_START = """
import gc, json, sys
import app
young = len(gc.get_objects())  # what the collector still walks
print(json.dumps({"frozen": gc.get_freeze_count(), "young": young, "modules": sorted(sys.modules)}))
"""


def test_the_server_imports_every_page_module_at_its_start_then_the_collector_leaves_them_alone():
    done = subprocess.run(
        [sys.executable, "-c", _START], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    ours = {f"{package.__name__}.{m.name}" for package in (core, ui) for m in pkgutil.iter_modules(package.__path__)}
    assert ours - set(found["modules"]) == set()  # imported before any session, not on a page's first run
    assert "plotly.graph_objects" in found["modules"]  # the charts' library too
    # Nearly everything alive at the start is frozen; the collector walks only what was made after it.
    assert found["frozen"] > 100_000
    assert found["young"] < found["frozen"] / 20
