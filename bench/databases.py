"""The bench's databases: generated clinics, cached between runs, on SQLite and on PostgreSQL.

A clinic is generated once per (database, size, weeks, generator version, schema revision, day)
and kept in `.bench-cache/` (a SQLite file; a PostgreSQL database in a cluster that lives there
too), so a second `make bench` the same day skips generation. PostgreSQL is started by the bench
the way scripts/test-all.sh starts it: Debian's binaries, a throwaway-style server (fsync off) on
a free port, as the `postgres` user when run as root, stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from bench import clinic as generator

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("BENCH_CACHE", ROOT / ".bench-cache"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def _key(kind: str, participants: int, weeks: int) -> str:
    today = datetime.now(ZoneInfo(generator.ZONE)).date()
    return f"{kind}_{participants}p_{weeks}w_v{generator.VERSION}_r{head_revision()}_{today:%Y%m%d}"


@dataclass
class Built:
    url: str
    clinic: generator.Clinic
    seconds: float | None  # generation time, None when it came from the cache


def _save_meta(path: Path, clinic: generator.Clinic, seconds: float) -> None:
    path.write_text(json.dumps({"clinic": clinic.as_dict(), "seconds": seconds}))


def _load_meta(path: Path) -> generator.Clinic | None:
    try:
        return generator.Clinic.of(json.loads(path.read_text())["clinic"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _after_generation(url: str, clinic: generator.Clinic) -> None:
    """What a deployment's daily job would have done by now: missed check-ins raised."""
    from sqlmodel import Session

    from core.alerts import raise_missed_checkins

    engine = create_engine(url)
    with Session(engine) as session:
        raise_missed_checkins(session, None, clinic.today)
    engine.dispose()


def sqlite_clinic(participants: int, weeks: int = 12, log=print) -> Built:
    CACHE.mkdir(parents=True, exist_ok=True)
    key = _key("sqlite", participants, weeks)
    path, meta = CACHE / f"{key}.db", CACHE / f"{key}.json"
    clinic = _load_meta(meta) if path.exists() else None
    if clinic is not None:
        return Built(f"sqlite:///{path}", clinic, None)
    for stale in CACHE.glob(f"sqlite_{participants}p_{weeks}w_*"):
        stale.unlink()
    log(f"  generating a SQLite clinic of {participants:,} participants × {weeks} weeks…")
    started = time.monotonic()
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    url = f"sqlite:///{building}"
    migrate(url)
    engine = create_engine(url)
    clinic = generator.generate(engine, participants=participants, weeks=weeks)
    engine.dispose()
    _after_generation(url, clinic)
    with sqlite3.connect(building) as conn:  # one self-contained file, statistics for the planner
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=DELETE")
    building.rename(path)
    seconds = time.monotonic() - started
    _save_meta(meta, clinic, seconds)
    return Built(f"sqlite:///{path}", clinic, seconds)


def working_copy(built: Built, folder: Path) -> str:
    """A copy of a cached SQLite clinic to write to (the cache stays as generated)."""
    target = folder / Path(built.url.removeprefix("sqlite:///")).name
    for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)  # (an old WAL beside a new copy would corrupt it)
    shutil.copyfile(built.url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


class Postgres:
    """A PostgreSQL 15 cluster kept in the cache, started for this run on a free port."""

    def __init__(self, log=print):
        self.log = log
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise RuntimeError("PostgreSQL's binaries are not installed (scripts/system-deps.sh installs them)")
        self.bin = bins[-1]
        self.root = CACHE / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        self._as_pg_owner(self.root)
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c full_page_writes=off -c max_connections=200",
        )
        self.admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def _as_pg_owner(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def databases(self) -> set[str]:
        with self.admin.connect() as conn:
            return set(conn.execute(text("SELECT datname FROM pg_database")).scalars())

    def clinic(self, participants: int, weeks: int = 12) -> Built:
        key = _key("pg", participants, weeks)
        meta = CACHE / f"{key}.json"
        clinic = _load_meta(meta)
        if clinic is not None and key in self.databases():
            return Built(self.url(key), clinic, None)
        for name in self.databases():
            if name.startswith(f"pg_{participants}p_{weeks}w_") or name == f"{key}_building":
                with self.admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        self.log(f"  generating a PostgreSQL clinic of {participants:,} participants × {weeks} weeks…")
        started = time.monotonic()
        building = f"{key}_building"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{building}"'))
        migrate(self.url(building))
        engine = create_engine(self.url(building))
        clinic = generator.generate(engine, participants=participants, weeks=weeks)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
        _after_generation(self.url(building), clinic)
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{key}"'))
        seconds = time.monotonic() - started
        _save_meta(meta, clinic, seconds)
        return Built(self.url(key), clinic, seconds)

    def working_copy(self, built: Built, name: str) -> str:
        """A database to write to, made from the cached clinic as a template (seconds, not minutes)."""
        source = built.url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        return self.url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def version(self) -> str:
        with self.admin.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()

    def stop(self) -> None:
        self.admin.dispose()
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop")


def today_of(built: Built) -> date:
    return built.clinic.today
