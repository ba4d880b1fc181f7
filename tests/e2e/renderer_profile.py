"""Where a page open's time goes in the browser, per screen: `python -m tests.e2e.renderer_profile`.

Starts a server on the seeded demo (one per code tree given with --root, to compare two versions
side by side: `git worktree add /tmp/old-x main`, then `--root /tmp/old-x --root .`), launches the
e2e suite's Chromium at the phone's 390×844 and opens each screen `--rounds` times, logged in with
the login cookie (tests/e2e/conftest.py: signed_in_at), alternating the trees within each round.
For each open it reads, from the moment the address is asked for until `settle()`:
- the CPU seconds of Chromium's renderer processes (from /proc) and of all of Chromium's;
- the page's main thread (CDP Performance.getMetrics, thread time): tasks, script, style, layout;
- with --profile, the JS profiler's self time per script (CDP Profiler) — where the main thread's
  script time goes;
- the elements drawn (counted by their data-testid).
A first round per tree is not counted (the HTTP cache, compiled code). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from tests.e2e import conftest

HZ = os.sysconf("SC_CLK_TCK")

SCREENS = {  # name -> (username, address)
    "today": ("alex", ""),
    "progress": ("alex", "progress"),
    "caseload": ("dr.rivera", ""),
    "review": ("dr.rivera", "review?p={alex}"),
    "family": ("jamie.okafor", ""),
    "login": (None, ""),
}

COUNT_ELEMENTS = """() => {
  const main = document.querySelector("[data-testid='stApp']");
  const counts = {};
  for (const el of main.querySelectorAll('[data-testid]')) {
    const id = el.getAttribute('data-testid');
    counts[id] = (counts[id] || 0) + 1;
  }
  counts['*all DOM nodes'] = main.querySelectorAll('*').length;
  return counts;
}"""


def _proc_cpu() -> dict[int, tuple[str, float]]:
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(entry)] = (cmd, sum(int(f) for f in fields[11:13]) / HZ)
    return out


def _chromium_cpu() -> tuple[float, float]:
    """(renderers, every Chromium process) CPU seconds, of the processes alive now."""
    renderer = total = 0.0
    for cmd, cpu in _proc_cpu().values():
        if CHROMIUM_NAME in cmd.split(" ", 1)[0]:
            total += cpu
            if "--type=renderer" in cmd:
                renderer += cpu
    return renderer, total


CHROMIUM_NAME = Path(conftest.CHROMIUM).name


def _metrics(cdp) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def open_once(context, server, screen: str, profile: bool, shot: Path | None) -> dict:
    username, path = SCREENS[screen]
    path = path.format(alex=server.alex_id)
    page = context.new_page()
    page.goto(f"{server.url}/_stcore/health")  # the site's renderer, before the clock starts
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    if profile:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    if username:
        context.add_cookies(
            [
                {
                    "name": conftest.LOGIN_COOKIE,
                    "value": conftest._login_token(server, username),
                    "url": server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
    before, cpu_before = _metrics(cdp), _chromium_cpu()
    if profile:
        cdp.send("Profiler.start")
    page.goto(f"{server.url}/{path}")
    page.wait_for_selector("[data-testid='stApp']")
    conftest.settle(page)
    after, cpu_after = _metrics(cdp), _chromium_cpu()
    row = {
        "renderer": cpu_after[0] - cpu_before[0],
        "chromium": cpu_after[1] - cpu_before[1],
        **{
            k: after[k] - before[k] for k in ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")
        },
        "elements": page.evaluate(COUNT_ELEMENTS),
    }
    if profile:
        row["profile"] = _self_time(cdp.send("Profiler.stop")["profile"])
    if shot is not None:
        page.screenshot(path=shot, full_page=True)
    cdp.detach()
    page.close()
    context.clear_cookies()
    return row


def _self_time(profile: dict) -> dict[str, float]:
    """Self time (s) per script file (and per function, for the top of the list)."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile["timeDeltas"]
    per: collections.Counter = collections.Counter()
    for sample, delta in zip(profile["samples"], deltas, strict=True):
        frame = nodes[sample]["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1] or f"({frame['functionName'] or 'program'})"
        per[f"{url} :: {frame['functionName'] or '(anonymous)'}:{frame['lineNumber']}"] += delta / 1e6
    return dict(per)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", action="append", help="a code tree to serve (default: this one)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--shots", help="a folder for a full-page screenshot of each screen, per tree")
    parser.add_argument("screens", nargs="*", default=["today", "progress", "caseload", "review", "family"])
    args = parser.parse_args()
    roots = [Path(r).resolve() for r in (args.root or [conftest.ROOT])]

    from playwright.sync_api import sync_playwright

    servers = []
    for root in roots:
        conftest.ROOT = root  # Server and the template seed run from conftest.ROOT
        server = conftest.Server(Path(tempfile.mkdtemp(prefix="iop-renderer-")))
        import sqlite3

        with sqlite3.connect(server.data_dir / "iop.db") as db:
            server.alex_id = db.execute("select id from app_user where username='alex'").fetchone()[0]
        servers.append(server)
    results: dict[tuple[int, str], list[dict]] = collections.defaultdict(list)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=conftest.CHROMIUM, args=conftest.CHROMIUM_ARGS, headless=True)
            contexts = []
            for _server in servers:
                context = browser.new_context(**conftest.PHONE)
                context.add_init_script(script=conftest.RUN_TRACKER)
                context.set_default_timeout(60_000)
                contexts.append(context)
            for round_ in range(args.rounds + 1):
                for screen in args.screens:
                    order = range(len(servers)) if round_ % 2 == 0 else reversed(range(len(servers)))
                    for i in order:
                        shot = None
                        if args.shots and round_ == 1:
                            Path(args.shots).mkdir(parents=True, exist_ok=True)
                            shot = Path(args.shots) / f"{screen}-{i}.png"
                        row = open_once(contexts[i], servers[i], screen, args.profile, shot)
                        if round_:  # the first round warms the cache
                            results[(i, screen)].append(row)
            browser.close()
    finally:
        for server in servers:
            server.stop()
    report(roots, args.screens, results)


def report(roots, screens, results) -> None:
    keys = ("renderer", "chromium", "TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")
    print(f"{'screen':<10} tree  " + " ".join(f"{k[:12]:>12}" for k in keys) + "   (median s per page open)")
    for screen in screens:
        for i, root in enumerate(roots):
            rows = results[(i, screen)]
            print(
                f"{screen:<10} {i:>4}  "
                + " ".join(f"{statistics.median(r[k] for r in rows):12.3f}" for k in keys)
                + f"   {root}"
            )
    for screen in screens:
        for i in range(len(roots)):
            rows = results[(i, screen)]
            counts = rows[-1]["elements"]
            shown = {k: v for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v}
            print(f"\n{screen} tree {i} elements: {json.dumps(shown)}")
            if "profile" in rows[-1]:
                total: collections.Counter = collections.Counter()
                by_file: collections.Counter = collections.Counter()
                for r in rows:
                    for name, t in r["profile"].items():
                        total[name] += t / len(rows)
                        by_file[name.split(" :: ")[0]] += t / len(rows)
                print("  self time per script:", ", ".join(f"{n} {t:.3f}" for n, t in by_file.most_common(12)))
                for name, t in total.most_common(25):
                    print(f"    {t:7.3f}  {name}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
