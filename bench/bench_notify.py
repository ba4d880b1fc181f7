"""How fast the notification worker empties its outbox: messages per second, one worker and two.

Run: .venv/bin/python bench/bench_notify.py [--messages 1000]   (prints figures; asserts nothing)
Uses a throwaway SQLite database, or the PostgreSQL database in BENCH_DATABASE_URL (it adds rows:
use a scratch database). Delivery goes to the mail drop (a file per message) and to a real SMTP
server on loopback (aiosmtpd, installed with the test dependencies), so the figures include the
claim, the per-message "sending"/"sent" commits and the SMTP conversation.
"""

from __future__ import annotations

import argparse
import atexit
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Worker processes (spawned) run this module again: they find the parent's folder in the environment.
parent = "IOP_BENCH_WORKDIR" not in os.environ
workdir = os.environ.get("IOP_BENCH_WORKDIR") or tempfile.mkdtemp(prefix="iop-bench-notify-")
if parent:  # (the folder is the parent's: its workers use it, and it goes when the parent ends)
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
os.environ.update(
    IOP_BENCH_WORKDIR=workdir,
    IOP_DATA_DIR=workdir,
    IOP_SECRETS_FILE=f"{workdir}/none.toml",
    IOP_DEMO_MODE="true",
    IOP_MAILDROP_DIR=f"{workdir}/maildrop",
    IOP_LOG_LEVEL="WARNING",
)
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
elif parent:
    os.environ.pop("DATABASE_URL", None)
for name in ("IOP_SMTP_HOST", "IOP_SMTP_PORT", "IOP_SMTP_SECURITY") if parent else ():
    os.environ.pop(name, None)

NOW = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # an evening: nothing else is scheduled


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    from core.config import settings

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = settings().database_url
    command.upgrade(cfg, "head")


def fill(count: int, run: str) -> None:
    from core import notify
    from core.db import session_scope
    from core.notify import Kind

    with session_scope() as session:
        for i in range(count):
            notify.enqueue(
                session,
                dedupe_key=f"bench:{run}:{i}",
                kind=Kind.SMTP_TEST,
                subject="Benchmark",
                body="A benchmark message.",
                to_address=f"person{i}@clinic.example.org",
                now=NOW - timedelta(seconds=1),
            )


def _drain(name: str) -> None:
    from core import config, notify

    config.settings.cache_clear()
    notify.tick(now=NOW, worker=name, max_batches=10**6)


def timed(count: int, run: str, workers: int) -> float:
    fill(count, run)
    start = time.perf_counter()
    if workers == 1:
        _drain("bench-1")
    else:
        context = multiprocessing.get_context("spawn")
        processes = [context.Process(target=_drain, args=(f"bench-{n}",)) for n in range(workers)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    count = parser.parse_args().messages
    from core import config

    migrate()
    where = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"notification worker throughput, {count} messages per run, {where}")
    print(f"  mail drop,  1 worker : {timed(count, 'drop1', 1):7.0f} messages/s")
    try:
        from tests.smtp_server import smtp_server
    except ImportError:
        print("  (aiosmtpd is not installed: `make install-test` for the SMTP figures)")
        return
    with smtp_server() as (inbox, port):
        os.environ.update(IOP_SMTP_HOST="127.0.0.1", IOP_SMTP_PORT=str(port), IOP_SMTP_SECURITY="none")
        config.settings.cache_clear()
        print(f"  SMTP,       1 worker : {timed(count, 'smtp1', 1):7.0f} messages/s")
        print(f"  SMTP,       2 workers: {timed(count, 'smtp2', 2):7.0f} messages/s (2 processes)")
        print(f"  the SMTP server received {inbox.count()} messages (expected {2 * count})")


if __name__ == "__main__":
    main()
