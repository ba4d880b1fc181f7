"""`make bench`: one table of figures (no assertions) for issue #22's targets.

    make bench                 # everything; clinics are cached in .bench-cache/ (a second run is quicker)
    BENCH_QUICK=1 make bench   # skips the 20,000-participant clinic (and its scaling row)
    BENCH_ROUNDS=40 make bench # more reruns per screen (default 25)
    BENCH_PHONE=0 make bench   # skips the phone (Chromium) measurement
    BENCH_PG=0 make bench      # skips PostgreSQL
    BENCH_CROWD_ONLY=1 make bench  # the real server's crowd rows alone (with BENCH_PG=0: SQLite's alone)

A part that fails (a server that does not start, Chromium timing out) is reported under the table
and shown as "—"; the other parts still run.

What it measures (see each module): server-side rerun time of each screen through app.py (AppTest,
bench/reruns.py) on a generated 2,000-participant clinic, on SQLite and on PostgreSQL, as ratios to
floors measured in the same rounds; statements, audit rows, audit INSERTs and commits per rerun;
scaling ratios; the real server with N participants saving a card at once (bench/server.py); and
what a throttled phone receives and waits for (bench/phone.py). It prints the table (Markdown, for
the README's Performance section) with the machine it ran on, and keeps a copy in
test-artifacts/bench.md.
"""

from __future__ import annotations

import logging
import os
import platform
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COOKIE_KEY = secrets.token_urlsafe(48)
os.environ.update(
    IOP_DEMO_MODE="false",
    IOP_COOKIE_KEY=COOKIE_KEY,
    IOP_BCRYPT_ROUNDS="4",
    IOP_LOG_LEVEL="ERROR",
    IOP_SECRETS_FILE=str(ROOT / ".bench-cache" / "no-secrets.toml"),
)
os.environ.pop("DATABASE_URL", None)

from bench import clinic as generator  # noqa: E402
from bench import databases, reruns, server  # noqa: E402


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default) not in ("", "0")


QUICK = _flag("BENCH_QUICK", "")
PHONE = _flag("BENCH_PHONE", "1")
PG = _flag("BENCH_PG", "1")
CROWD_ONLY = _flag("BENCH_CROWD_ONLY", "")
FAILED: list[str] = []
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
SCALING_ROUNDS = max(ROUNDS, 20)
CROWDS = (10, 25, 50)
SCREENS = ("Today", "Diary save", "My progress", "My cards", "Caseload", "Review", "Alerts", "Family home")
LINE, CHART = "floor: one-line script", "floor: one-chart Plotly script"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def part(name: str, measure, *args):
    """Run one part of the bench; a failure is reported, not fatal (the rest still runs)."""
    try:
        return measure(*args)
    except Exception as exc:  # noqa: BLE001 - reported under the table
        FAILED.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
        say(f"    FAILED: {FAILED[-1]}")
        return None


def quiet() -> None:
    for name in ("streamlit", "streamlit.runtime", "iop"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.disable(logging.WARNING)


# --- what each part returns --------------------------------------------------------------------


def rerun_part(url: str, clinic: generator.Clinic) -> dict:
    found = reruns.measure(reruns.screens(url, clinic), ROUNDS)
    return {name: screen for name, screen in found.items()}


def scaling_part(url: str, clinic: generator.Clinic) -> dict:
    found: dict = {}
    for group in reruns.scaling_screens(url, clinic):
        found.update(reruns.measure(group, SCALING_ROUNDS, count=False))
    return found


def caseload_alone(url: str, clinic: generator.Clinic) -> float:
    """Median rerun of the 15-person caseload in this clinic (for the clinic-size ratio)."""
    reruns._route_like_the_server()
    reruns.use_database(url)
    screen = reruns.Screen("Caseload of 15", reruns._signed_in(clinic.therapist_15, "pages/caseload.py").run)
    floor = reruns.Screen(LINE, reruns._floor(reruns.FLOOR_LINE).run)
    reruns.measure({"c": screen, "f": floor}, SCALING_ROUNDS, count=False)
    return screen.timing.median, floor.timing.median


def missed_job_seconds(url: str, clinic: generator.Clinic) -> float:
    from sqlmodel import Session

    from core import db
    from core.alerts import raise_missed_checkins

    engine = db.make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        raise_missed_checkins(session, None, clinic.today)
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def _cards_today(url: str, usernames: list[str]) -> int:
    from sqlalchemy import create_engine, text

    today = datetime.now(ZoneInfo(generator.ZONE)).date()
    engine = create_engine(url)
    names = ", ".join(f"'{u}'" for u in usernames)
    with engine.connect() as conn:
        found = conn.execute(
            text(
                f"SELECT count(*) FROM diary_card JOIN app_user ON app_user.id = "
                f"diary_card.participant_id WHERE app_user.username IN ({names}) "
                f"AND diary_card.day = :day"
            ),
            {"day": today},
        ).scalar_one()
    engine.dispose()
    return found


def _forget_todays_cards(url: str, usernames: list[str]) -> None:
    from sqlalchemy import create_engine, text

    today = datetime.now(ZoneInfo(generator.ZONE)).date()
    engine = create_engine(url)
    names = ", ".join(f"'{u}'" for u in usernames)
    cards = (
        f"SELECT diary_card.id FROM diary_card JOIN app_user ON app_user.id = diary_card.participant_id "
        f"WHERE app_user.username IN ({names}) AND diary_card.day = :day"
    )
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM diary_urge WHERE card_id IN ({cards})"), {"day": today})
        conn.execute(text(f"DELETE FROM diary_card WHERE id IN ({cards})"), {"day": today})
    engine.dispose()


def crowd_part(url: str, clinic: generator.Clinic, processes: int, logs: Path) -> dict[int, server.CrowdResult]:
    env = server.server_env(url, COOKIE_KEY)
    servers = [server.AppServer(ROOT / "app.py", env, logs) for _ in range(processes)]
    results = {}
    try:
        for srv in servers:  # each process imports and runs app.py once first
            warm = server.Person(srv.url, clinic.participant)
            warm.open()
            warm.log_in_and_save("5")
        for n in CROWDS:
            people = list(clinic.crowd[:n])
            _forget_todays_cards(url, people)
            done = server.crowd([s.url for s in servers], people)
            result = server.CrowdResult(n, _cards_today(url, people))
            result.saves = [p.save_s for p in done if p.saved]
            result.logins = [p.login_s for p in done if p.login_s]
            result.problems = [p.problem for p in done if p.problem]
            results[n] = result
            say(
                f"    N={n}: {result.written}/{n} cards, save p50 {result.p50:.2f} s, p95 {result.p95:.2f} s"
                + (f"; {result.problems[0]}" if result.problems else "")
            )
    finally:
        for srv in servers:
            srv.stop()
    return results


def form_floor_part(folder: Path, logs: Path) -> dict[int, server.CrowdResult]:
    path = folder / "form.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS card (id INTEGER PRIMARY KEY, who TEXT, mood INTEGER)")
    env = {**os.environ, "BENCH_FORM_DB": str(path)}
    srv = server.AppServer(ROOT / "bench" / "floor_form.py", env, logs)
    results = {}
    try:
        warm = server.Person(srv.url, "warm")
        warm.open()
        warm.log_in_and_save("5", form=True)
        for n in CROWDS:
            done = server.crowd([srv.url], [f"form{i}" for i in range(n)], form=True)
            result = server.CrowdResult(n, sum(p.saved for p in done))
            result.saves = [p.save_s for p in done if p.saved]
            result.problems = [p.problem for p in done if p.problem]
            results[n] = result
    finally:
        srv.stop()
    return results


def phone_part(url: str, clinic: generator.Clinic, logs: Path) -> dict:
    from bench import phone

    env = server.server_env(url, COOKIE_KEY)
    app = server.AppServer(ROOT / "app.py", env, logs, agent=False)
    line = server.AppServer(ROOT / "bench" / "floor_line.py", env, logs, agent=False)
    try:
        return phone.measure(app.url, line.url, clinic.participant, generator.PASSWORD)
    finally:
        app.stop()
        line.stop()


# --- the table -----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _x(value: float) -> str:
    return f"{value:.1f}×" if value < 100 else f"{value:.0f}×"


def _rerun_cell(found: dict, name: str) -> str:
    if found is None:
        return "—"
    screen, line, chart = found[name], found[LINE].timing.median, found[CHART].timing.median
    return (
        f"{_ms(screen.timing.p95)} ({_ms(screen.timing.median)}; {_x(screen.timing.median / line)} · "
        f"{_x(screen.timing.median / chart)})"
    )


def _count_cell(found: dict, name: str) -> str:
    if found is None:
        return "—"
    c = found[name].counts
    return f"{c.total} / {c.audit_rows} / {c.audit_inserts} / {c.commits}"


def _ratio(found: dict | None, a: str, b: str) -> str:
    if not found or a not in found or b not in found:
        return "—"
    return _x(found[a].timing.median / found[b].timing.median)


def _pair(found: dict | None, *names: str) -> str:
    return " · ".join(_ratio(found, f"{n}, 1 year of history", f"{n}, 12 weeks of history") for n in names)


def _crowd_cell(result: server.CrowdResult | None) -> str:
    if result is None:
        return "—"
    refused = len(result.problems)
    return f"{result.written}/{result.n} · {result.p50:.2f} / {result.p95:.2f} s" + (
        f" · {refused} refused" if refused else " · 0 refused"
    )


def _clinic_rows(sizes: dict[int, float]) -> list[tuple[str, str, str, str]]:
    """The same caseload of 15 in bigger clinics, against the clinic of 200 (SQLite)."""
    smallest = min(sizes, default=None)
    return [
        (
            f"Caseload of 15: clinic of {n:,} vs {smallest:,} (median ratio)",
            f"{_x(ms / sizes[smallest])} ({_ms(ms)} vs {_ms(sizes[smallest])} ms)",
            "—",
            "≤ 1.25× (20,000 vs 200)",
        )
        for n, ms in sorted(sizes.items())
        if n != smallest
    ]


def crowd_rows(r: dict) -> list[tuple[str, str, str, str]]:
    """The real server's rows: two app processes on either database (as the README tells a clinic to run
    it), and one process on SQLite for comparison."""
    rows = []
    for n in CROWDS:
        rows.append(
            (
                f"Real server, {n} at once, two app processes: cards written · p50 / p95 tap-to-Saved · refused",
                _crowd_cell(r.get("crowd_sqlite2", {}).get(n)),
                _crowd_cell(r.get("crowd_pg", {}).get(n)),
                "0 lost, p95 ≤ 1 s" if n == 50 else "",
            )
        )
    for n in CROWDS:
        rows.append(
            (
                f"Real server, {n} at once, one app process (for comparison)",
                _crowd_cell(r.get("crowd_sqlite", {}).get(n)),
                "—",
                "",
            )
        )
    return rows


def _markdown(rows: list[tuple[str, str, str, str]]) -> str:
    head = ("| Measure | SQLite | PostgreSQL | Target |", "|---|---|---|---|")
    return "\n".join([*head, *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)])


def table(r: dict) -> str:
    lite, pg = r.get("sqlite"), r.get("pg")
    rows = [
        (
            "Floor: one-line script, median ms",
            _ms(lite[LINE].timing.median) if lite else "—",
            _ms(pg[LINE].timing.median) if pg else "—",
            "",
        ),
        (
            "Floor: one-chart Plotly script, median ms",
            _ms(lite[CHART].timing.median) if lite else "—",
            _ms(pg[CHART].timing.median) if pg else "—",
            "",
        ),
    ]
    for name in SCREENS:
        target = "p95 ≤ 100 ms" + (", ≤ 5× floor" if name == "Caseload" else "")
        rows.append(
            (f"{name}: p95 ms (median; × line · × chart floor)", _rerun_cell(lite, name), _rerun_cell(pg, name), target)
        )
    for name in SCREENS:
        rows.append(
            (
                f"{name}: statements / audit rows / audit INSERTs / commits",
                _count_cell(lite, name),
                _count_cell(pg, name),
                "≤ 1 INSERT, ≤ 1 commit",
            )
        )
    s_lite, s_pg = r.get("scale_sqlite"), r.get("scale_pg")
    rows += [
        (
            "Caseload 240 vs 15 (median ratio)",
            _ratio(s_lite, "Caseload of 240", "Caseload of 15"),
            _ratio(s_pg, "Caseload of 240", "Caseload of 15"),
            "≤ 3×",
        ),
        *_clinic_rows(r.get("clinic_ratios", {})),
        (
            "Diary save: 1 year vs 1 week of history",
            _ratio(s_lite, "Diary save, 1 year of history", "Diary save, 1 week of history"),
            _ratio(s_pg, "Diary save, 1 year of history", "Diary save, 1 week of history"),
            "≤ 1.2×",
        ),
        (
            "Review: 1 year vs 12 weeks of history (idle rerun · rerun after a change)",
            _pair(s_lite, "Review", "Review after a change"),
            _pair(s_pg, "Review", "Review after a change"),
            "≤ 1.2×",
        ),
        ("Missed-check-in job over the whole clinic, s", r.get("job_sqlite", "—"), r.get("job_pg", "—"), ""),
    ]
    rows += crowd_rows(r)
    for n in CROWDS:
        rows.append(
            (f"Floor: a bare form with one insert, {n} at once", _crowd_cell(r.get("form", {}).get(n)), "—", "")
        )
    loads = r.get("phone")
    if loads:
        line = loads["one-line page"]
        for name in ("Today", "My progress"):
            rows.append(
                (
                    f"Phone: {name}, KiB received (× one-line page)",
                    f"{loads[name].bytes / 1024:.0f} ({_x(loads[name].bytes / line.bytes)})",
                    "—",
                    "",
                )
            )
        rows.append(
            (
                "Phone, 4× CPU: s to an interactive card (× one-line page)",
                f"{loads['Today'].seconds:.2f} ({_x(loads['Today'].seconds / line.seconds)})",
                "—",
                "",
            )
        )
        rows.append(
            (
                "Phone, 4× CPU: s to My progress (× one-line page)",
                f"{loads['My progress'].seconds:.2f} ({_x(loads['My progress'].seconds / line.seconds)})",
                "—",
                "",
            )
        )
        rows.append(("Phone, 4× CPU: s to the one-line page", f"{line.seconds:.2f}", "—", ""))
    return _markdown(rows)


def machine(r: dict) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    load = os.getloadavg()
    return (
        f"{datetime.now():%Y-%m-%d %H:%M} · {cpu}, {os.cpu_count()} cores, {memory} GiB · load average "
        f"{load[0]:.1f} at the end · Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
        + (f", PostgreSQL {r['pg_version']}" if r.get("pg_version") else "")
        + f" · clinic of {r.get('participants', 0):,} participants × 12 weeks, {ROUNDS} rounds per screen"
        + f" · took {r.get('seconds', 0) / 60:.1f} min{' (BENCH_QUICK)' if QUICK else ''}"
        + "".join(f" · {name} generated in {s:.0f} s" for name, s in r.get("generated", {}).items())
    )


def postgres_parts(pg: databases.Postgres, r: dict, logs: Path) -> None:
    r["pg_version"] = pg.version()
    built = pg.clinic(2000)
    if built.seconds:
        r["generated"]["PostgreSQL 2,000"] = built.seconds
    url = pg.working_copy(built, "bench_reruns")
    say("  reruns through app.py (PostgreSQL, 2,000)")
    r["pg"] = part("reruns (PostgreSQL)", rerun_part, url, built.clinic)
    r["scale_pg"] = part("scaling (PostgreSQL)", scaling_part, url, built.clinic)
    job = part("missed-check-in job (PostgreSQL)", missed_job_seconds, url, built.clinic)
    r["job_pg"] = "—" if job is None else f"{job:.2f}"
    from core import db

    db.engine_for.cache_clear()
    say("  the real server (PostgreSQL, two processes)")
    r["crowd_pg"] = (
        part("real server (PostgreSQL)", crowd_part, pg.working_copy(built, "bench_crowd"), built.clinic, 2, logs) or {}
    )
    for name in ("bench_reruns", "bench_crowd"):
        pg.drop(name)


def sqlite_crowds(big, work: Path, r: dict, logs: Path) -> None:
    say("  the real server (SQLite, two processes)")
    r["crowd_sqlite2"] = (
        part("real server (SQLite, two processes)", crowd_part, databases.working_copy(big, work), big.clinic, 2, logs)
        or {}
    )
    say("  the real server (SQLite, one process)")
    r["crowd_sqlite"] = (
        part("real server (SQLite)", crowd_part, databases.working_copy(big, work), big.clinic, 1, logs) or {}
    )


def crowd_only() -> None:
    """BENCH_CROWD_ONLY=1: the real server's rows alone (SQLite two processes and one; PostgreSQL two
    unless BENCH_PG=0), on the clinic of 2,000, and nothing else."""
    quiet()
    work = Path(tempfile.mkdtemp(prefix="iop-bench-"))
    logs = ROOT / "test-artifacts" / "bench-logs"
    r: dict = {}
    try:
        big = databases.sqlite_clinic(2000, log=say)
        sqlite_crowds(big, work, r, logs)
        if PG:
            pg = part("PostgreSQL server", databases.Postgres, say)
            if pg is not None:
                try:
                    built = pg.clinic(2000)
                    r["crowd_pg"] = (
                        part(
                            "real server (PostgreSQL)",
                            crowd_part,
                            pg.working_copy(built, "bench_crowd"),
                            built.clinic,
                            2,
                            logs,
                        )
                        or {}
                    )
                    pg.drop("bench_crowd")
                finally:
                    pg.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(_markdown(crowd_rows(r)) + f"\n\n{datetime.now():%Y-%m-%d %H:%M} · load average {load[0]:.1f} at the end")
    if FAILED:
        print("\nNot measured this run: " + "; ".join(FAILED))


def main() -> None:
    if CROWD_ONLY:
        crowd_only()
        return
    quiet()
    work = Path(tempfile.mkdtemp(prefix="iop-bench-"))
    try:  # the working copies of the clinics (2.3 GB with the 20,000 one) go with the run
        _main(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _main(work: Path) -> None:
    started = time.monotonic()
    logs = ROOT / "test-artifacts" / "bench-logs"
    r: dict = {"generated": {}}
    say("IOP Companion bench — figures, not assertions (see bench/run.py)")

    say("SQLite clinics")
    big = databases.sqlite_clinic(2000, log=say)
    small = databases.sqlite_clinic(200, log=say)
    huge = None if QUICK else databases.sqlite_clinic(20000, log=say)
    for name, built in (("SQLite 2,000", big), ("SQLite 200", small), ("SQLite 20,000", huge)):
        if built is not None and built.seconds:
            r["generated"][name] = built.seconds
    r["participants"] = big.clinic.participants

    say("  reruns through app.py (SQLite, 2,000)")
    url = databases.working_copy(big, work)
    r["sqlite"] = part("reruns (SQLite)", rerun_part, url, big.clinic)
    r["scale_sqlite"] = part("scaling (SQLite)", scaling_part, url, big.clinic)
    job = part("missed-check-in job (SQLite)", missed_job_seconds, url, big.clinic)
    r["job_sqlite"] = "—" if job is None else f"{job:.2f}"
    say("  the same caseload of 15 in clinics of 200, 2,000" + ("" if huge is None else " and 20,000"))
    sizes = {}
    for built in (small, big, huge):
        if built is not None:
            found = part(
                f"caseload in a clinic of {built.clinic.participants:,}",
                caseload_alone,
                databases.working_copy(built, work),
                built.clinic,
            )
            if found is not None:
                sizes[built.clinic.participants] = found[0]
    r["clinic_ratios"] = sizes
    sqlite_crowds(big, work, r, logs)
    say("  a bare form, for comparison")
    r["form"] = part("bare form", form_floor_part, work, logs) or {}
    if PHONE:
        say("  a phone (Chromium, 390×844, CPU 4× slower)")
        r["phone"] = part("phone (Chromium)", phone_part, databases.working_copy(big, work), big.clinic, logs)
    else:
        say("  (phone skipped: BENCH_PHONE=0)")

    if PG:
        say("PostgreSQL")
        pg = part("PostgreSQL server", databases.Postgres, say)
        if pg is not None:
            try:
                part("PostgreSQL", postgres_parts, pg, r, logs)
            finally:
                pg.stop()
    else:
        say("(PostgreSQL skipped: BENCH_PG=0)")

    r["seconds"] = time.monotonic() - started
    out = table(r) + "\n\n" + machine(r) + "\n"
    if FAILED:
        out += "\nNot measured this run: " + "; ".join(FAILED) + "\n"
    print(out)
    logs.mkdir(parents=True, exist_ok=True)
    (ROOT / "test-artifacts" / "bench.md").write_text(out)


if __name__ == "__main__":
    main()
