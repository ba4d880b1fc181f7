"""Run a command as a child subreaper, so the CPU time of every process it starts is counted.

`python scripts/reap.py CMD...` runs CMD and exits with its exit status. Processes whose parent
ends before them (Chromium's renderers and zygotes once the browser quits, a server a test left
running) are handed to this process rather than to init (Linux's PR_SET_CHILD_SUBREAPER), and it
waits for them, so their user + system time lands in this process's children's times: the
`times` of the shell that ran it (scripts/test-all.sh) then counts the browser's CPU too.

Once CMD has ended, the orphans still running get 30 seconds to end, then SIGKILL. While CMD runs,
IOP_REAPER_PID names this process (tests/cpu_profile.py counts the whole tree from it).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: reap.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"reap.py: prctl failed (errno {ctypes.get_errno()}); orphans' CPU is not counted", file=sys.stderr)
    os.environ["IOP_REAPER_PID"] = str(os.getpid())
    # Signals meant for the run (Ctrl-C, a kill of the phase) go to the command; we keep reaping.
    status = None
    child = subprocess.Popen(argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: status is None and child.send_signal(signum))
    while status is None:  # reap the command and every orphan handed to us, as each ends
        try:
            pid, raw = os.wait()
        except InterruptedError:
            continue
        if pid == child.pid:
            status = os.waitstatus_to_exitcode(raw)
    deadline = time.monotonic() + 30
    while True:  # what the command left running
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            continue
        if time.monotonic() > deadline:
            _kill_children()
            deadline = float("inf")
        time.sleep(0.1)
    return status if status >= 0 else 128 - status


def _kill_children() -> None:
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        if raw[raw.rindex(")") + 2 :].split()[1] == me:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry), signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
