"""Every run Streamlit makes reaches the browser: a tap's run is no longer thrown away when the next
tap's request arrives before that run's messages have left the server.

Streamlit 1.67 runs a session's script in a ScriptRunner thread, which hands every message of a run
(its start, what it draws, its end) to the session's event loop, and asks for nothing more once it has
run out of requests (it stops). When a request reaches the loop then, `AppSession.request_rerun` finds
the runner stopped, creates a new one at once, and from then on ignores every event of the old runner
still queued on the loop as "from a non-current ScriptRunner": the old runner's whole last run, which
had already happened on the server, never reaches the browser. (Streamlit's own comment in
`request_rerun` names this for a full run's end; it guards only the case of a fragment that no longer
exists.) Two taps whose requests the server reads together meet it: the first tap's fragment runs in
a thread of its own (a folded table on Review, ~1 ms), often before the loop has even read the second
request, which then finds that runner stopped. The first run's table never arrives: an expander
opened, and empty. On a loaded server, two taps a few hundred milliseconds apart wait in its socket
together; CI's Review test (which unfolds 16 tables, tap after tap) lost one in 1 of 3 runs. Two
requests sent at once on a raw socket lost the first one's run in 31 of 100 rounds (a server log showed
that runner's start and end events dropped as stale), and tests/e2e/test_run_order.py, whose browser
sends two taps' requests together, failed 3 times in 3 without this module.

The fix keeps Streamlit's order: a new runner is created only once the stopped one's last event
(SHUTDOWN, sent after everything else it ran) has been handled, so everything it ran is delivered
first. Requests arriving meanwhile wait, in order, and go to the new runner. Nothing else changes: a
runner still running takes a request as before, and a whole-page rerun with `runner.fastReruns` still
replaces a running runner at once (its run is cut short and drawn again by the rerun).

This reaches into Streamlit's internals (`AppSession._create_scriptrunner`,
`_handle_scriptrunner_event_on_event_loop`, `_scriptrunner`); tests/unit/test_run_order.py checks they are
still there and still behave so, and `install()` leaves Streamlit as it is (and logs why) if not.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("iop")

_WAITING = "_iop_waiting_reruns"  # per session: RerunData held until the stopped runner's SHUTDOWN
_INSTALLED = "_iop_runs_in_order"


def install(cls: Any = None) -> bool:
    """Patch `AppSession` (or `cls`, in a test), once per process. True when it is (or already was)
    in place."""
    from streamlit.runtime import app_session
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent

    cls = app_session.AppSession if cls is None else cls
    if cls.__dict__.get(_INSTALLED, False):
        return True
    create = getattr(cls, "_create_scriptrunner", None)  # (the originals, called as they were)
    handle = getattr(cls, "_handle_scriptrunner_event_on_event_loop", None)
    if create is None or handle is None or not hasattr(ScriptRunnerEvent, "SHUTDOWN"):
        log.warning("Streamlit's AppSession has changed: taps' runs are not held in order (ui/run_order.py)")
        return False

    def _create_scriptrunner(self: Any, initial_rerun_data: Any) -> None:
        waiting: list = self.__dict__.setdefault(_WAITING, [])
        if self._scriptrunner is not None:
            # Only a runner that refused this request is still current here: it has stopped, and the
            # events of its last run are queued on this loop behind this call. Wait for its SHUTDOWN.
            waiting.append(initial_rerun_data)
            return
        create(self, initial_rerun_data)
        held, waiting[:] = list(waiting), []
        for rerun_data in held:  # (older than initial_rerun_data only on a fastReruns whole rerun)
            runner = self._scriptrunner
            if runner is None or not runner.request_rerun(rerun_data):
                waiting.append(rerun_data)  # that runner has stopped already: its SHUTDOWN takes these

    def _handle_scriptrunner_event_on_event_loop(self: Any, sender: Any, event: Any, *args: Any, **kwargs: Any) -> None:
        handle(self, sender, event, *args, **kwargs)
        if event is not ScriptRunnerEvent.SHUTDOWN or self._scriptrunner is not None:
            return
        waiting = self.__dict__.get(_WAITING)
        if not waiting:
            return
        if self._state == app_session.AppSessionState.SHUTDOWN_REQUESTED:
            waiting.clear()
            return
        _create_scriptrunner(self, waiting.pop(0))

    cls._create_scriptrunner = _create_scriptrunner
    cls._handle_scriptrunner_event_on_event_loop = _handle_scriptrunner_event_on_event_loop
    setattr(cls, _INSTALLED, True)
    return True
