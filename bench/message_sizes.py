"""The largest message the server sends, screen by screen, on the generated 2,000-participant clinic
(scr13): `server.maxMessageSize` in .streamlit/config.toml bounds every WebSocket message both ways,
and a ForwardMsg over it is replaced by an error box, so the largest legitimate one must fit with room
to spare. Prints figures, asserts nothing.

    .venv/bin/python bench/message_sizes.py            # BENCH_CACHE=... to reuse a built clinic

Every screen of every role's menu is opened through app.py (AppTest, as bench/reruns.py does) by the
bench clinic's people: the participant with 12 weeks of history and the one with a year of it, the
therapist with 15 on their caseload (Review of both), the family member, the admin. Each ForwardMsg
the script sends is measured as the server serializes it (`ByteSize()`, before compression).
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("IOP_DEMO_MODE", "false")
os.environ.setdefault("IOP_COOKIE_KEY", "bench-" + "k" * 40)
os.environ.setdefault("IOP_BCRYPT_ROUNDS", "4")
os.environ.setdefault("IOP_LOG_LEVEL", "ERROR")
os.environ.setdefault("IOP_SECRETS_FILE", str(ROOT / ".bench-cache" / "no-secrets.toml"))

sizes: dict[str, list[tuple[int, str]]] = defaultdict(list)
_screen = ["(login)"]


def _measure_every_message() -> None:
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    enqueue = ForwardMsgQueue.enqueue

    def measured(self, msg) -> None:
        what = msg.WhichOneof("type")
        if what == "delta":
            what = msg.delta.WhichOneof("type")
            if what == "new_element":
                what = msg.delta.new_element.WhichOneof("type")
        sizes[_screen[0]].append((msg.ByteSize(), what))
        enqueue(self, msg)

    ForwardMsgQueue.enqueue = measured


def _opened(username: str, path: str, query: dict) -> None:
    """Log in (the home screen's messages counted apart) and open the screen, as bench/reruns.py does."""
    from bench.clinic import PASSWORD
    from tests.app.conftest import RoutedAppTest, log_in
    from ui import auth

    _screen[0] = "(the login and the home screen)"
    at = RoutedAppTest(default_timeout=900)
    at.run()
    log_in(at, username, PASSWORD)
    if auth.HANDOFF in at.session_state:
        del at.session_state[auth.HANDOFF]
    for key, value in query.items():
        at.query_params[key] = value
    _screen[0] = f"{username} {path}{' ' + str(query) if query else ''}"
    at.switch_page(path).run()


def main() -> None:
    import argparse

    from bench import reruns
    from core.models import Role
    from ui import nav

    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=2000, help="the clinic's size (2000 or 20000)")
    parser.add_argument("--role", choices=[r.value for r in Role], help="only this role's screens")
    parser.add_argument("--page", action="append", help="only these screens (pages/x.py; repeat the option)")
    args = parser.parse_args()
    built, url = reruns.on_a_copy_of_the_clinic("scr13-messages-", args.participants)
    clinic = built.clinic
    _measure_every_message()
    people = [
        (clinic.participant, Role.PARTICIPANT, {}),
        (clinic.participant_year, Role.PARTICIPANT, {}),
        (clinic.therapist_15, Role.THERAPIST, {}),
        (clinic.therapist_15, Role.THERAPIST, {"p": str(reruns._user_id(url, clinic.participant))}),
        (clinic.therapist_15, Role.THERAPIST, {"p": str(reruns._user_id(url, clinic.participant_year))}),
        (clinic.family, Role.FAMILY, {}),
        ("bench.admin", Role.ADMIN, {}),
    ]
    for username, role, query in people:
        if args.role and role.value != args.role:
            continue
        for path, *_ in nav.PAGES[role]:
            if (query and path != "pages/review.py") or (args.page and path not in args.page):
                continue
            try:
                _opened(username, path, query)
            except RuntimeError as exc:  # (AppTest timed out: a screen too slow on a clinic this size)
                print(f"{username} {path}: {exc}", flush=True)
    print("| screen | messages | largest (bytes) | what | the largest of each other kind | all of them (bytes) |")
    print("|---|---|---|---|---|---|")
    for screen, found in sorted(sizes.items(), key=lambda item: -max(item[1])[0]):
        largest, what = max(found)
        kinds: dict[str, int] = {}
        for size, kind in found:
            kinds[kind] = max(size, kinds.get(kind, 0))
        others = ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[1:4])
        print(f"| {screen} | {len(found)} | {largest:,} | {what} | {others} | {sum(s for s, _ in found):,} |")
    overall = max(max(found) for found in sizes.values())
    print(f"\nlargest message: {overall[0]:,} bytes ({overall[1]})")


if __name__ == "__main__":
    main()
