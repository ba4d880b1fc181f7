"""The process's CPU per login through app.py (AppTest): a fresh session opens the login screen
(untimed), then taps "Log in" with the right password, timed: the login screen's run that checks the
password, and the run of Today that follows, as the server does them.

    .venv/bin/python bench/login_cpu.py [N] [ROUNDS]

N logins of the crowd's participants (each a new AppTest session, as a new phone is) per round, in
ROUNDS rounds; CPU from time.process_time (every thread of this process: the script's and AppTest's).
Run it in two worktrees one after the other, alternated, to compare code (figures, never assertions).
`BENCH_LOGIN_YAPPI=file`: yappi's CPU profile of the timed logins instead, a pstats file (`pip install
yappi`; not a dependency).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.clinic import PASSWORD  # noqa: E402
from bench.reruns import on_a_copy_of_the_clinic  # noqa: E402
from bench.run import quiet  # noqa: E402  (and the bench's environment: no demo, a cookie key)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    quiet()
    built, url = on_a_copy_of_the_clinic("iop-login-cpu-")
    from tests.app.conftest import RoutedAppTest

    people = list(built.clinic.crowd)
    profile = os.environ.get("BENCH_LOGIN_YAPPI")
    profiling = False
    if profile:
        import yappi

        yappi.set_clock_type("cpu")

    def login(username: str) -> float:
        at = RoutedAppTest()
        at.run()
        at.text_input(key="login_username").input(username)
        at.text_input(key="login_password").input(PASSWORD)
        at.button[0].click()
        if profiling:
            yappi.start()
        started = time.process_time()
        at.run()
        took = time.process_time() - started
        if profiling:
            yappi.stop()
        if not any(b.key and str(b.key).startswith("save_") for b in at.button):
            raise RuntimeError(f"no card after logging in: {[e.value for e in at.error]}")
        return took

    for name in people[:3]:
        login(name)
    if profile:
        profiling = True
        for i in range(n):
            login(people[i % len(people)])
        stats = yappi.get_func_stats()
        stats.save(profile, type="pstat")
        # Function calls per login: a count, steadier than CPU seconds on a shared machine.
        print(f"yappi profile: {profile} · {sum(s.ncall for s in stats) / n:,.0f} Python function calls per login")
        return
    for r in range(rounds):
        took = [login(people[(r * n + i) % len(people)]) for i in range(n)]
        print(
            f"{ROOT.name} round {r + 1}: CPU per login median {1000 * statistics.median(took):.1f} ms "
            f"(mean {1000 * statistics.mean(took):.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
