"""ui/run_order.py: a request that finds the session's runner stopped waits for that runner's SHUTDOWN
(the last of its events), then goes to a new runner, in order; and the Streamlit internals it
patches are still the ones it expects (the real-browser test is tests/e2e/test_run_order.py)."""

from __future__ import annotations

import inspect

from streamlit.runtime import app_session
from streamlit.runtime.scriptrunner import ScriptRunnerEvent

from ui import run_order


class Runner:
    def __init__(self, first: str):
        self.runs = [first]
        self.stopped = False

    def request_rerun(self, rerun_data: str) -> bool:
        if self.stopped:
            return False
        self.runs.append(rerun_data)
        return True


class Session:
    """AppSession's part the patch touches: a runner that refuses once stopped is replaced at once."""

    def __init__(self):
        self._state = app_session.AppSessionState.APP_NOT_RUNNING
        self._scriptrunner: Runner | None = None
        self.runners: list[Runner] = []
        self.delivered: list[str] = []

    def request_rerun(self, rerun_data: str) -> None:  # AppSession.request_rerun's tail, as in 1.67
        if self._scriptrunner is not None and self._scriptrunner.request_rerun(rerun_data):
            return
        self._create_scriptrunner(rerun_data)

    def _create_scriptrunner(self, initial_rerun_data: str) -> None:
        self._scriptrunner = Runner(initial_rerun_data)
        self.runners.append(self._scriptrunner)

    def _handle_scriptrunner_event_on_event_loop(self, sender, event, **kwargs) -> None:
        if sender is not self._scriptrunner:
            return  # "Ignoring event from non-current ScriptRunner": what lost the runs
        if event is ScriptRunnerEvent.SCRIPT_STARTED:
            self.delivered.extend(sender.runs)
        if event is ScriptRunnerEvent.SHUTDOWN:
            self._scriptrunner = None


def _finish(session: Session, runner: Runner) -> None:
    """The runner's last run ends: it stops, then its events reach the loop (started, ..., SHUTDOWN)."""
    runner.stopped = True
    session._handle_scriptrunner_event_on_event_loop(runner, ScriptRunnerEvent.SCRIPT_STARTED)
    session._handle_scriptrunner_event_on_event_loop(runner, ScriptRunnerEvent.SHUTDOWN)


class Unpatched(Session):
    pass


class Patched(Session):
    pass


assert run_order.install(Patched)


def _two_taps_behind_a_finished_run(session: Session) -> Session:
    session.request_rerun("table A")
    first = session.runners[0]
    first.stopped = True  # its run is over; its events are still queued on the loop
    session.request_rerun("table B")  # read before those events
    session.request_rerun("table C")
    _finish(session, first)
    for runner in session.runners[1:]:
        _finish(session, runner)
    return session


def test_without_the_patch_a_finished_runs_events_are_thrown_away():
    assert _two_taps_behind_a_finished_run(Unpatched()).delivered == ["table B", "table C"]


def test_a_request_waits_for_the_stopped_runners_last_event_and_keeps_its_order():
    session = _two_taps_behind_a_finished_run(Patched())
    assert session.delivered == ["table A", "table B", "table C"]
    assert [runner.runs for runner in session.runners] == [["table A"], ["table B", "table C"]]


def test_a_running_runner_still_takes_requests_at_once():
    session = Patched()
    session.request_rerun("table A")
    session.request_rerun("table B")
    assert [runner.runs for runner in session.runners] == [["table A", "table B"]]


def test_a_closing_session_starts_no_runner_for_what_waited():
    session = Patched()
    session.request_rerun("table A")
    session.runners[0].stopped = True
    session.request_rerun("table B")
    session._state = app_session.AppSessionState.SHUTDOWN_REQUESTED
    session._handle_scriptrunner_event_on_event_loop(session.runners[0], ScriptRunnerEvent.SHUTDOWN)
    assert len(session.runners) == 1


def test_streamlits_appsession_is_patched_where_it_creates_runners():
    """The contract: request_rerun creates a runner after the current one refused, and the patched
    methods keep their names and first parameters (a Streamlit upgrade that changes them fails here)."""
    source = inspect.getsource(app_session.AppSession.request_rerun)
    assert "success = self._scriptrunner.request_rerun(rerun_data)" in source
    assert source.rstrip().endswith("self._create_scriptrunner(rerun_data)")
    assert list(inspect.signature(app_session.AppSession._create_scriptrunner).parameters)[:2] == [
        "self",
        "initial_rerun_data",
    ]
    handle = inspect.signature(app_session.AppSession._handle_scriptrunner_event_on_event_loop)
    assert list(handle.parameters)[:3] == ["self", "sender", "event"]
    assert "self._scriptrunner = None" in inspect.getsource(
        app_session.AppSession._handle_scriptrunner_event_on_event_loop
    )
    assert run_order.install() and run_order.install()  # once per process, however often app.py is imported
    assert app_session.AppSession.__dict__[run_order._INSTALLED]
