"""The process's CPU per diary save and per answer tap on the card, through app.py (AppTest), taken
as a browser sends them: each tap a run of the fragment the tapped widget is in, not of the page.

    .venv/bin/python bench/save_cpu.py [N] [ROUNDS]

AppTest runs the whole script for every interaction (a browser reruns only the fragment the widget is
in); this asks for the fragment's run instead, as the browser's request does (`fragment_id_queue`):
an answer's tap is a run of the card's fragment, Save's tap a run of the fragment its button is in.
A day's first save of the same card N times (the card deleted between saves, untimed), and N answer
taps (a mood changed), in ROUNDS alternating rounds; CPU from time.process_time (every thread of this
process: the script's and AppTest's). Run it in two worktrees one after the other, alternated, to
compare code (figures, never assertions).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reruns import _signed_in, _user_id, on_a_copy_of_the_clinic  # noqa: E402
from bench.run import quiet  # noqa: E402  (and the bench's environment: no demo, a cookie key)

_queued: list[list[str]] = []


def _as_a_browser() -> None:
    """The next run asks for the fragment(s) in `_queued`, as a browser's tap inside a fragment does."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    request_rerun = LocalScriptRunner.request_rerun

    def as_the_browser(self, rerun_data):
        done = request_rerun(self, rerun_data)
        if _queued:  # (folded into the runner's first request, a whole run: made the fragment's)
            requests = self._requests
            requests._rerun_data = dataclasses.replace(requests._rerun_data, fragment_id_queue=list(_queued.pop()))
        return done

    LocalScriptRunner.request_rerun = as_the_browser


def _fragment(at, key: str) -> list[str] | None:
    ids = at._fragment_storage._ids_by_target_key.get(key)
    return list(ids) if ids else None


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    quiet()
    built, url = on_a_copy_of_the_clinic("iop-save-cpu-")
    _as_a_browser()
    from sqlalchemy import text

    from core import db

    username = built.clinic.crowd[-1]
    person = _user_id(url, username)
    at = _signed_in(username, "pages/today.py")
    at.router_expected = False  # (fragment runs: checked by the save having said "saved")
    day = at.segmented_control(key="card_day").value
    k = day.isoformat()
    card = _fragment(at, "diary_card")
    button = _fragment(at, "diary_card_save") or card  # the fragment Save's button is in
    moods = iter(range(10**9))

    def forget() -> None:
        with db.engine_for(url).begin() as conn:
            ids = [
                r[0]
                for r in conn.execute(text(f"SELECT id FROM diary_card WHERE participant_id={person} AND day='{k}'"))
            ]
            for table in ("diary_urge", "substance_use", "card_trigger", "mat_dose"):
                for i in ids:
                    conn.execute(text(f"DELETE FROM {table} WHERE card_id={i}"))
            conn.execute(text(f"DELETE FROM diary_card WHERE participant_id={person} AND day='{k}'"))

    def save() -> float:
        forget()
        at.pills(key=f"mood_{k}").set_value(3 + next(moods) % 6)
        next(b for b in at.button if b.key == f"save_{k}").click()
        _queued.append(button)
        started = time.process_time()
        at.run()
        took = time.process_time() - started
        if not any("saved" in s.value.lower() for s in at.success):
            raise RuntimeError(f"not saved: {[e.value for e in at.error]}")
        return took

    def answer() -> float:
        at.pills(key=f"mood_{k}").set_value(3 + next(moods) % 6)
        _queued.append(card)
        started = time.process_time()
        at.run()
        took = time.process_time() - started
        if not at.last_run_fragment:
            raise RuntimeError("the answer's tap was not a run of the card alone")
        return took

    for _ in range(3):
        save(), answer()
    profile = os.environ.get("BENCH_SAVE_YAPPI")  # =save|answer: yappi's CPU profile of those taps
    if profile:
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start()
        for _ in range(n):
            save() if profile == "save" else answer()
        yappi.stop()
        yappi.get_func_stats().save(f"/tmp/save_cpu_{profile}.pstats", type="pstat")
        print(f"yappi profile: /tmp/save_cpu_{profile}.pstats")
        return
    for r in range(rounds):
        saves = [save() for _ in range(n)]
        answers = [answer() for _ in range(n)]
        print(
            f"{ROOT.name} round {r + 1}: CPU per save median {1000 * statistics.median(saves):.1f} ms "
            f"(mean {1000 * statistics.mean(saves):.1f}); per answer tap median "
            f"{1000 * statistics.median(answers):.1f} ms (mean {1000 * statistics.mean(answers):.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
