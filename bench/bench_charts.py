"""What the charts cost: building each figure (and its JSON for the browser) on the demo data.

Run: .venv/bin/python bench/bench_charts.py   (prints figures; asserts nothing)
A rerun that changes nothing should rebuild nothing: the "cached" column is the cost of asking
the page's cached builder again for the same data (ui/charts.py).
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="iop-bench-charts-")
atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # (the demo database it builds)
os.environ.update(IOP_DATA_DIR=workdir, IOP_BCRYPT_ROUNDS="4", IOP_SECRETS_FILE=f"{workdir}/none.toml")
os.environ.pop("DATABASE_URL", None)

from sqlmodel import Session, SQLModel, select  # noqa: E402

from core import charts, checkups, diary, practice  # noqa: E402
from core.access import Actor  # noqa: E402
from core.db import get_engine  # noqa: E402
from core.models import AppUser  # noqa: E402
from core.program import user_today  # noqa: E402
from core.seed import seed_demo  # noqa: E402

RUNS = 20


def cached_ms(build, runs=RUNS) -> float:
    """Median ms to get the figure again through ui/charts.py's cache (same data) and serialise it."""
    from ui import charts as chart_widgets

    builder, args, kwargs = build
    chart_widgets.figure(builder, *args, **kwargs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fig = chart_widgets.figure(builder, *args, **kwargs)
        fig.to_json()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def timed(build, runs=RUNS) -> tuple[float, float, int]:
    """Median ms to build, median ms to build and serialise, and the JSON size."""
    built, serialised, size = [], [], 0
    for _ in range(runs):
        start = time.perf_counter()
        fig = build()
        mid = time.perf_counter()
        size = len(fig.to_json())
        end = time.perf_counter()
        built.append((mid - start) * 1000)
        serialised.append((end - start) * 1000)
    return statistics.median(built), statistics.median(serialised), size


def main() -> None:
    engine = get_engine()
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed_demo(session, rounds=4)
        user = session.exec(select(AppUser).where(AppUser.username == "dana")).one()
        actor = Actor.of(user)
        today = user_today(session, user.id)
        cards = diary.cards_between(session, actor, user.id, today - timedelta(weeks=12), today)
        targets = {t.key: t.label for t in diary.targets_for(session, user.program_id, include_retired=True)}
        past = {k: checkups.history(session, actor, user.id, k) for k in checkups.KINDS}
        entries = practice.practice_between(session, actor, user.id, today - timedelta(weeks=12), today)
        records = practice.thought_records(session, actor, user.id, today - timedelta(weeks=12), today)
    practised = practice.practised_per_day(entries, records)
    builds = {
        "mood": (charts.mood, (cards,), {}),
        "urges_acted_skills": (charts.urges_acted_skills, (cards, targets), {}),
        "emotions (all five)": (charts.emotions, (cards,), {}),
        "skills_by_module": (charts.skills_by_module, (cards,), {}),
        "practice_by_module": (charts.practice_by_module, (practised,), {}),
        "helpfulness": (charts.helpfulness, (entries,), {}),
        "adherence": (charts.adherence, (cards, today - timedelta(weeks=12), today), {}),
        "sleep": (charts.sleep, (cards,), {}),
        "medication": (charts.medication, (cards,), {}),
        **{f"checkup {k}": (charts.checkup_trajectory, (k, past[k]), {}) for k in ("phq9", "gad7") if past[k]},
    }
    print(f"{len(cards)} cards over 12 weeks (dana, demo seed); median of {RUNS} runs")
    print(f"{'figure':24} {'build ms':>9} {'+json ms':>9} {'json KiB':>9} {'cached ms':>10}")
    total_b = total_s = total_c = 0.0
    for name, (builder, args, kwargs) in builds.items():
        b, s, size = timed(lambda builder=builder, args=args, kwargs=kwargs: builder(*args, **kwargs))
        c = cached_ms((builder, args, kwargs))
        total_b, total_s, total_c = total_b + b, total_s + s, total_c + c
        print(f"{name:24} {b:9.1f} {s:9.1f} {size / 1024:9.1f} {c:10.1f}")
    print(f"{'all figures':24} {total_b:9.1f} {total_s:9.1f} {'':9} {total_c:10.1f}")


if __name__ == "__main__":
    main()
