"""How long a person waits: median rerun of each participant screen, and a diary save.

Run: .venv/bin/python bench/bench_reruns.py   (prints figures; asserts nothing)
Uses a throwaway SQLite database with the demo seed, like `make run`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="iop-bench-")
os.environ.update(IOP_DATA_DIR=workdir, IOP_BCRYPT_ROUNDS="4", IOP_SECRETS_FILE=f"{workdir}/none.toml")
os.environ.pop("DATABASE_URL", None)

from sqlmodel import Session, SQLModel, select  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit_authenticator.models.cookie_model import CookieModel  # noqa: E402

from core import diary, practice  # noqa: E402
from core.access import Actor  # noqa: E402
from core.db import get_engine  # noqa: E402
from core.models import AppUser  # noqa: E402
from core.seed import DEMO_PASSWORD, seed_demo  # noqa: E402

CookieModel.get_cookie = lambda self: None
RUNS = 30


def median_ms(action, runs=RUNS) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    engine = get_engine()
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed_demo(session, rounds=4)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="login_username").input("alex")
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click()
    at.run()
    print(f"{'screen (AppTest rerun, SQLite)':40} {'median ms':>10} {'max ms':>8}")
    for page in ("pages/today.py", "pages/my_cards.py", "pages/skills.py", "pages/practice.py", "pages/progress.py",
                 "pages/account.py"):
        at.switch_page(page).run()
        med, worst = median_ms(at.run)
        print(f"{page:40} {med:10.1f} {worst:8.1f}")

    with Session(engine, expire_on_commit=False) as session:
        alex = Actor.of(session.exec(select(AppUser).where(AppUser.username == "alex")).one())
        today = user_today(session, alex.id)
        card = diary.CardInput(mood=6, emotions={"sadness": 2}, urges={"self_harm": (1, False)},
                               skills=["tipp"], note="bench")
        med, worst = median_ms(lambda: diary.save_card(session, alex, participant_id=alex.id, day=today, card=card))
        print(f"{'diary.save_card (upsert + urges)':40} {med:10.1f} {worst:8.1f}")
        for weeks in (1, 10):
            start = today - diary.timedelta(weeks=weeks)
            med, worst = median_ms(lambda: diary.cards_between(session, alex, alex.id, start, today))
            print(f"{f'diary.cards_between, {weeks} week(s)':40} {med:10.1f} {worst:8.1f}")
        entry = practice.PracticeInput("tipp", 7, 3, "yes", "bench")
        med, worst = median_ms(lambda: practice.save_practice(session, alex, participant_id=alex.id,
                                                              entry_key="bench", entry=entry))
        print(f"{'practice.save_practice (upsert)':40} {med:10.1f} {worst:8.1f}")
        med, worst = median_ms(lambda: practice.homework_for(session, alex, alex.id))
        print(f"{'practice.homework_for (3 queries)':40} {med:10.1f} {worst:8.1f}")


if __name__ == "__main__":
    main()
