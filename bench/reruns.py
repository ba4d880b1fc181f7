"""Server-side rerun time of each screen, through app.py's router (AppTest, as tests/app does).

AppTest differs from the server in one way that matters here, and the bench undoes it: it compiles
app.py and the page afresh on every run, where the server compiles each script once per process.

Each screen gets its own logged-in AppTest session, parked on that screen; every round reruns each
screen once, interleaved, so drift on a shared machine lands on every screen alike. The floors are
measured in the same rounds: a one-line script and a one-chart Plotly script (bench/floor_*.py).
One more rerun of each screen is counted: statements, audit rows, audit INSERTs, commits.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from bench.clinic import PASSWORD, Clinic

HERE = Path(__file__).resolve().parent
FLOOR_LINE, FLOOR_CHART = HERE / "floor_line.py", HERE / "floor_chart.py"


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # milliseconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Screen:
    name: str
    rerun: Callable[[], None]
    timing: Timing = field(default_factory=Timing)
    counts: object = None  # core.db.Statements of one rerun


def _route_like_the_server() -> None:
    """What tests/app/conftest.py's `routed` and `report_routes` fixtures do, for a process
    without pytest: every page runs inside app.py (see that module's docstring)."""
    from streamlit.runtime.pages_manager import PagesManager

    from tests.app.conftest import _current_app
    from ui import layout

    if getattr(PagesManager.__init__, "_bench", False):
        return
    # AppTest compiles app.py and the page on every run (a fresh ScriptCache each time); the server
    # compiles each script once per process. Share one cache, as the server does.
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    app_test.ScriptCache = local_runner.ScriptCache = lambda: shared
    initialise = PagesManager.__init__

    def as_the_server_does(self, *args, **kwargs):
        initialise(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    as_the_server_does._bench = True
    PagesManager.__init__ = as_the_server_does
    run_safely = layout.run_safely

    def reporting(action):
        page = getattr(getattr(action, "__self__", None), "_page", None)
        if _current_app:
            _current_app[-1].routed.append(str(page) if page else getattr(action, "__name__", "?"))
        return run_safely(action)

    layout.run_safely = reporting
    # The server's process sets its garbage collector's pace at its start (app.py, ui/collector.py);
    # so does this one, which stands in for it.
    from ui import collector

    collector.tune()


def on_a_copy_of_the_clinic(prefix: str, participants: int = 2000):
    """The generated clinic of `participants`, copied for this process (deleted at its exit: 200 MB for
    2,000), with this process's app pointed at the copy and every page routed through app.py as the
    server does (bench/save_cpu.py, bench/login_cpu.py). Returns the clinic as built, and the copy's URL."""
    import atexit
    import shutil
    import tempfile

    from bench import databases

    built = databases.sqlite_clinic(participants)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    url = databases.working_copy(built, work)
    use_database(url)
    _route_like_the_server()
    return built, url


def use_database(url: str) -> None:
    """Point this process's app at `url` (settings and engines are cached per process)."""
    from core import config, db

    os.environ["DATABASE_URL"] = url
    config.settings.cache_clear()
    db.engine_for.cache_clear()


def _user_id(url: str, username: str) -> int:
    from core import db
    from core.models import AppUser

    with Session(db.engine_for(url)) as session:
        return session.exec(select(AppUser.id).where(AppUser.username == username)).one()


def _signed_in(username: str, page: str, query: dict | None = None):
    from tests.app.conftest import RoutedAppTest, log_in
    from ui import auth

    at = RoutedAppTest()
    at.run()
    log_in(at, username, PASSWORD)
    if auth.HANDOFF in at.session_state:  # the browser has exchanged it for its cookie by now
        del at.session_state[auth.HANDOFF]
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page).run()
    return at


def _floor(path: Path):
    from tests.app.conftest import RoutedAppTest

    at = RoutedAppTest(path)
    at.router_expected = False
    return at.run()


def _saver(at) -> Callable[[], None]:
    """A tap on Save with a changed mood: the card is saved again (an upsert and its urges)."""
    day = at.segmented_control(key="card_day").value.isoformat()
    moods = iter(range(10**9))

    def save() -> None:
        at.pills(key=f"mood_{day}").set_value(3 + next(moods) % 6)
        next(b for b in at.button if b.label == "Save my card").click()
        at.run()
        if not any("saved" in s.value.lower() for s in at.success):
            raise RuntimeError(f"the bench's card was not saved: {[e.value for e in at.error]}")

    return save


def screens(url: str, clinic: Clinic) -> dict[str, Screen]:
    """The screens of the table, each logged in and parked on its page, plus the two floors."""
    _route_like_the_server()
    use_database(url)
    review_of = {"p": str(_user_id(url, clinic.participant))}
    made = {
        "floor: one-line script": _floor(FLOOR_LINE),
        "floor: one-chart Plotly script": _floor(FLOOR_CHART),
        "Today": _signed_in(clinic.participant, "pages/today.py"),
        # Someone else's card: saving the card of the participant that Today, Review and Family home
        # show made each round of those screens a rerun after a save (every chart drawn afresh).
        "Diary save": _signed_in(clinic.crowd[-1], "pages/today.py"),
        "My progress": _signed_in(clinic.participant, "pages/progress.py"),
        "My cards": _signed_in(clinic.participant, "pages/my_cards.py"),
        "Caseload": _signed_in(clinic.therapist_15, "pages/caseload.py"),
        "Review": _signed_in(clinic.therapist_15, "pages/review.py", review_of),
        "Alerts": _signed_in(clinic.therapist_15, "pages/alerts.py"),
        "Family home": _signed_in(clinic.family, "pages/family.py"),
    }
    return {name: Screen(name, _saver(at) if name == "Diary save" else at.run) for name, at in made.items()}


def scaling_screens(url: str, clinic: Clinic) -> list[dict[str, Screen]]:
    """The pairs whose ratio the table shows (within one clinic), in groups measured apart.

    The Review pair has rounds of its own: interleaved with the diary-save pair, the year-long
    participant's Review ran each round just after a save of their card (a redraw of every chart),
    and the 12-week one's after nothing (its figures cached): 1.6× that was the bench's, not the
    screen's. Review is measured twice, as an idle rerun and as a rerun after a change of the data
    (the figure cache emptied first, so every chart is built), like for like each time."""
    _route_like_the_server()
    use_database(url)
    saves = {
        "Caseload of 15": _signed_in(clinic.therapist_15, "pages/caseload.py"),
        "Diary save, 1 week of history": _signed_in(clinic.participant_week, "pages/today.py"),
        "Diary save, 1 year of history": _signed_in(clinic.participant_year, "pages/today.py"),
    }
    if clinic.therapist_240:
        saves["Caseload of 240"] = _signed_in(clinic.therapist_240, "pages/caseload.py")
    reviews = {
        "12 weeks of history": _signed_in(
            clinic.therapist_15, "pages/review.py", {"p": str(_user_id(url, clinic.participant))}
        ),
        "1 year of history": _signed_in(
            clinic.therapist_15, "pages/review.py", {"p": str(_user_id(url, clinic.participant_year))}
        ),
    }
    return [
        {name: Screen(name, _saver(at) if name.startswith("Diary save") else at.run) for name, at in saves.items()},
        {f"Review, {span}": Screen(f"Review, {span}", at.run) for span, at in reviews.items()},
        {
            f"Review after a change, {span}": Screen(f"Review after a change, {span}", _redrawn(at))
            for span, at in reviews.items()
        },
    ]


def _redrawn(at) -> Callable[[], None]:
    """A rerun that finds no figure cached, as after a save of the participant's data."""
    from core import charts

    def rerun() -> None:
        charts.FIGURES.clear()
        at.run()

    return rerun


def measure(found: dict[str, Screen], rounds: int, *, warm: int = 3, count: bool = True) -> dict[str, Screen]:
    from core import db
    from core.config import settings

    for screen in found.values():
        for _ in range(warm):
            screen.rerun()
    for _ in range(rounds):
        for screen in found.values():
            started = time.perf_counter()
            screen.rerun()
            screen.timing.samples.append((time.perf_counter() - started) * 1000)
    if count:
        engine = db.engine_for(settings().database_url)
        for screen in found.values():
            with db.counting(engine) as seen:
                screen.rerun()
            screen.counts = seen
    return found
