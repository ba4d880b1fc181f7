"""What a new user hit first (#16): `make run` reachable only from this machine, the urge-surfing
prompt that named a different timer than the tool's, and one "week N of the program" everywhere."""

import subprocess
import sys
from datetime import date, timedelta

from core import caseload, clinical, program
from core.skills import skill_for_tool
from tests.e2e.conftest import ROOT


def _run_command(*args: str) -> str:
    out = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return " ".join(line for line in out.splitlines() if "streamlit run" in line or "--server" in line)


def test_make_run_listens_on_this_machine_only_unless_told():
    assert "--server.address 127.0.0.1" in _run_command()  # demo accounts share one public password
    assert "0.0.0.0" not in _run_command()
    assert "--server.address 0.0.0.0" in _run_command("HOST=0.0.0.0")


def test_the_urge_surfing_prompt_names_the_timer_the_tool_starts_with():
    prompt = skill_for_tool("urge_surfing").practice
    assert f"{clinical.URGE_SURF_DEFAULT_MINUTES}-minute" in prompt
    assert clinical.URGE_SURF_DEFAULT_MINUTES in clinical.URGE_SURF_MINUTES
    assert "10-minute" not in prompt


def test_week_in_program_is_capped_at_the_programs_length():
    start = date(2026, 9, 1)
    assert program.week_in_program(start, start, 10) == 1
    assert program.week_in_program(start, start + timedelta(days=69), 10) == 10
    assert program.week_in_program(start, start + timedelta(days=70), 10) == 10  # was "week 11" on the caseload
    assert program.week_in_program(start, start + timedelta(days=200), 10) == 10
    assert program.week_in_program(start, start + timedelta(days=70)) == 11  # no length known: not capped
    assert program.week_in_program(start, start + timedelta(days=70), 0) == 11
    assert program.week_in_program(None, start, 10) is None


def _row(**changes) -> caseload.Row:
    base = dict(
        participant_id=1,
        name="Q",
        started_on=date(2026, 11, 1),
        last_card=date(2026, 11, 24),
        mood_7d=5.0,
        mood_prev_7d=5.0,
        cards_14d=10,
        phq9=None,
        phq9_band=None,
        phq9_change=None,
        gad7=None,
        gad7_band=None,
        open_alerts=0,
        urgent_alerts=0,
    )
    return caseload.Row(**{**base, **changes})


def test_needs_says_what_is_needed():
    today = date(2026, 11, 25)  # a Wednesday
    urgent = _row(
        open_alerts=2,
        urgent_alerts=1,
        top_alert_day=date(2026, 11, 24),
        top_alert_severity="urgent",
        top_alert=caseload.short_reason(
            {
                "key": "urge:suicidal_thoughts",
                "level": 5,
                "severity": "urgent",
                "text": "Suicidal thoughts: urge rated 5 of 5 on the diary card",
            }
        ),
    )
    assert urgent.needs(today) == "Urgent: suicidal thoughts urge 5, Tue (+1 more)"
    item9 = caseload.short_reason(
        {
            "key": "phq9_item9",
            "level": 2,
            "severity": "urgent",
            "text": "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) "
            "answered 'More than half the days'",
        }
    )
    assert item9 == "PHQ-9 item 9 'More than half the days'"
    missed = _row(
        open_alerts=1,
        top_alert_severity="review",
        top_alert_day=date(2026, 11, 20),
        top_alert=caseload.short_reason(
            {"key": "missed_checkin", "level": 1, "severity": "review", "text": "No diary card since Nov 20"}
        ),
    )
    assert missed.needs(today) == "Review: no diary card since Nov 20"
    assert _row(last_card=date(2026, 11, 20)).needs(today) == "No card for 5 days"
    assert (
        _row(phq9=16, phq9_band="Moderately severe", phq9_change=6).needs(today) == "Worsening: PHQ-9 up 6 from intake"
    )
    assert _row(mood_7d=3.0, mood_prev_7d=5.0).needs(today) == "Worsening: mood down 2.0 on the week before"
    assert _row().needs(today) == ""


def test_starting_the_server_prints_no_bare_mode_warnings_and_leaves_them_on_for_sessions():
    # `streamlit run app.py` imports app.py outside any session; streamlit-authenticator's components
    # used to log "missing ScriptRunContext! This warning can be ignored" four times at every start.
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import logging, app; print([len(logging.getLogger(n).filters) for n in app.auth.BARE_MODE_LOGGER_NAMES])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ScriptRunContext" not in started.stderr and "No runtime found" not in started.stderr
    assert started.stdout.strip() == "[0, 0]"  # the quieting ends with that import
