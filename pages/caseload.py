"""Therapist home: my caseload, ordered by what needs attention before group."""

import streamlit as st

from core.models import Role
from ui import auth

actor = auth.guard(Role.THERAPIST)

from core import checkups, clinical, enrolment
from core.caseload import Row, caseload, order_in_words
from core.db import session_scope
from core.errors import ValidationError
from core.program import program_of, week_in_program
from ui import layout, nav
from ui.text import md

MOOD_DAYS = clinical.MOOD_WINDOW_DAYS
layout.wide()
st.title("Caseload")
with session_scope() as session:
    mine = caseload(session, actor)  # (and the therapist's own day)
    program = program_of(session, actor)
length = program.length_weeks if program else None
rows, today = mine.rows, mine.today

if not rows:
    st.info("No participants are assigned to you yet. The program admin assigns caseloads.")
    st.stop()

# What each person needs, worked out once a rerun (the count, the filter and the cards all ask).
need = {r.participant_id: r.needs(today) for r in rows}
needing = [r for r in rows if need[r.participant_id]]
alerting = sum(1 for r in rows if r.open_alerts)
st.caption(
    f"{len(rows)} participants assigned to you · {len(needing)} "
    f"{'needs' if len(needing) == 1 else 'need'} attention" + (f" · {alerting} with open alerts" if alerting else "")
)
if alerting:
    st.page_link(
        nav.page_of(actor, "pages/alerts.py"), label="Open the alert inbox", icon=":material/notifications_active:"
    )

with st.container(horizontal=True, vertical_alignment="bottom"):  # (st.columns: three blocks for two widgets)
    search = st.text_input("Find a participant", placeholder="Name", width=360)
    only_needing = st.toggle("Needs attention only")
wanted = search.strip().lower()
shown = [r for r in rows if (need[r.participant_id] or not only_needing) and wanted in r.name.lower()]
PAGE = 30  # a long caseload opens with its first 30, needs first; the rest one tap away
# Every person's link opens Review. Given the script's path, st.page_link resolves it against the
# working directory on every call (a getcwd and a realpath per person); given the router's own page
# (kept for the session, ui/nav.py), it only looks it up.
REVIEW = nav.page_of(actor, "pages/review.py")


def score(name: str, total, band) -> str:
    return f"{name} —" if total is None else f"{name} {total} {band.lower()}"


def facts(r: Row) -> str:
    """Everything else a therapist scans, in one line that wraps on a phone."""
    week = week_in_program(r.started_on, today, length)
    last = (
        "no card yet"
        if r.last_card is None
        else "last card today"
        if r.last_card == today
        else f"last card {(today - r.last_card).days} d ago"
    )
    parts = [
        f"Week {week} of {length}" if week and length else f"Week {week}" if week else "Week —",
        last,
        f"mood {MOOD_DAYS}d —"
        if r.mood_7d is None
        else f"mood {MOOD_DAYS}d {r.mood_7d:.1f} {r.mood_direction}".rstrip(),
        f"cards {clinical.ADHERENCE_DAYS}d {r.adherence(today)}%",
        score(clinical.CHECKUP_NAMES["phq9"], r.phq9, r.phq9_band),
        score(clinical.CHECKUP_NAMES["gad7"], r.gad7, r.gad7_band),
    ]
    if r.open_alerts:
        parts.append(f"{r.open_alerts} open alert{'s' if r.open_alerts > 1 else ''}")
    return " · ".join(parts)


def row_card(r: Row) -> None:
    """One participant, one element: a link to their Review that is the whole card (ui/layout.py
    draws its border and lets it wrap), their name, then what is needed in colour and words, then
    the numbers. It was a bordered container holding the link and a caption: three elements a
    person, each one the server builds and sends on every rerun."""
    needs = need[r.participant_id]
    colour = "red" if r.urgent_alerts else "orange"
    st.page_link(
        REVIEW,
        label=f"**{md(r.name)}**  \n" + (f":{colour}[**{md(needs)}**]  \n" if needs else "") + f":gray[{facts(r)}]",
        query_params={"p": str(r.participant_id)},
        icon=":material/person:",
        width="stretch",
    )


limit = len(shown) if st.session_state.get("caseload_all") else PAGE
# One wrapping row of cards: three side by side on a desktop, one under another on a phone, in the
# same needs-first order (ui/layout.py sizes them). A grid of st.columns was four more elements for
# every three people.
with st.container(horizontal=True, key="caseload_rows"):
    for r in shown[:limit]:
        row_card(r)
if len(shown) > limit:
    st.button(
        f"Show all {len(shown)}",
        key="caseload_show_all",
        width="stretch",
        on_click=lambda: st.session_state.update(caseload_all=True),
    )
st.caption(f"{order_in_words()} Tap a name to open their review.")

# What is folded away is built only when opened (each expander reruns the page when tapped): a
# form, two pickers and the list of the discharged were built and sent on every rerun, folded.
with st.expander("Ask for an extra check-up", key="caseload_extra_open", on_change="rerun") as folded:
    if folded.open:
        st.caption(
            "For when something changed and you want a fresh score before the weekly one. "
            "It shows on their Check-ups screen at once."
        )
        with st.form("extra_checkup"):
            who = st.selectbox(
                "Participant", rows, index=None, format_func=lambda r: r.name, placeholder="Choose a participant"
            )
            kind = st.segmented_control(
                "Check-up",
                list(checkups.KINDS),
                default="phq9",
                format_func=lambda k: checkups.questionnaires()[k].name,
            )
            asked = st.form_submit_button("Ask for it", width="stretch")
        if asked:
            if who is None or kind is None:
                st.error("Choose a participant and a check-up.")
            else:
                try:
                    with session_scope() as session:
                        checkups.request_extra(session, actor, participant_id=who.participant_id, kind=kind)
                    st.success(f"{md(who.name)} will see an extra {checkups.questionnaires()[kind].name} to fill in.")
                except ValidationError as exc:
                    st.error(str(exc))

with st.expander("Forgotten password or paused login", key="caseload_reset_open", on_change="rerun") as folded:
    if folded.open:
        st.caption("Give a participant a one-time reset code, or unlock logging in after too many wrong passwords.")
        auth.reset_and_unlock(actor, {r.participant_id: r.name for r in rows}, key="caseload_reset")

# Discharged participants leave the list above (core/caseload.py); here they stay findable.
if mine.discharged:
    with st.expander(f"Discharged ({mine.discharged})", key="caseload_discharged_open", on_change="rerun") as folded:
        if folded.open:
            with session_scope() as session:
                discharged = enrolment.discharged_caseload(session, actor)
            for person in discharged:
                st.page_link(
                    REVIEW,
                    label=f"{md(person.name)} · {clinical.DISCHARGE_STATUSES.get(person.status, person.status)} · "
                    f"{person.discharged_on:%b} {person.discharged_on.day}",
                    query_params={"p": str(person.id)},
                )
