"""How often the server process's garbage collector runs: set once, at the process's start (app.py).

Net of what is freed at once, a rerun leaves about 900 container objects for the collector
(Streamlit's messages, SQLAlchemy's rows, the page's own values), some 400 of them cycles only the
collector frees. At Python's default young threshold (700) a young collection ran about once a rerun
and promoted whatever of the rerun in flight was alive at that moment; what piled up in the oldest
generation brought a full collection of the whole heap (~220,000 objects of modules, classes and
functions that never die) about every 200 reruns: ~90 ms of one rerun on an idle machine, 250-520 ms
at load 5, while every other session of the process waited (the clinic of 2,000, a one-line page,
Caseload, Today and Review in turns).

At 10,000 a young collection runs about every 12 reruns, and no full collection came in 400 reruns;
the collector's own time fell from ~2.1-3.2 to ~0.7-1.6 ms a rerun (README, *Performance*). The two
older thresholds are Python's. `gc.freeze()` at the start was tried twice and made reruns slower
(README, *A settled heap*)."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # new container objects between two young collections (Python's default: 700)


def tune() -> None:
    """Raise the young generation's threshold, keeping the older two as they are."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
