"""Treatment-plan goals on screen: the weekly rating on Today, the list and chart on My progress and
Review, and the therapist's editor on Review. Goal words are typed by a person: always through md()."""

from __future__ import annotations

import streamlit as st

from core import charts, clinical, goals
from core import encouragement as words
from core.access import Actor
from core.db import session_scope
from core.errors import ValidationError
from ui import charts as chart_widgets
from ui.forms import FieldErrors
from ui.i18n import _
from ui.text import md

SCALE = list(range(clinical.GOAL_RATING_RANGE[0], clinical.GOAL_RATING_RANGE[1] + 1))


def goal_lines(goal_list: list[goals.GoalView]) -> None:
    """Each goal with how you'll both know, as plain text inside Markdown."""
    st.markdown(
        "\n".join(
            _("{number}. **{goal}**  \n   How we'll know: {measure}").format(
                number=g.position, goal=md(g.text), measure=md(g.measure)
            )
            for g in goal_list
        )
    )


def rate_this_week(actor: Actor, board: goals.Board) -> None:
    """The participant's weekly rating on Today: one 0–10 row per goal, saved together (a double tap
    saves once: an upsert on goal and week)."""
    if not board.goals:
        return
    done = len(board.goals) - len(board.unrated)
    saved = st.session_state.pop("goals_saved", None)
    # The goals and week as the participant last saw them: a tap on Save reruns the page, which reads
    # the plan and the day afresh, so the rating is for what the run before drew (core.goals.rate_goals):
    # words the therapist changed meanwhile are not rated, and a form drawn on Sunday night and sent
    # after midnight rates the week it showed.
    now_shown = (goals.version_of(board.goals), board.week_start)
    shown_version, shown_week = st.session_state.get("goals_shown", now_shown)
    st.session_state["goals_shown"] = now_shown
    with st.container(border=True):
        st.markdown(_("**My goals this week** · {done} of {total} rated").format(done=done, total=len(board.goals)))
        if saved:
            st.success(_("Your goal ratings are saved for this week."), icon=":material/check_circle:")
        changed = st.session_state.pop("goals_changed", None)
        if changed:
            st.warning(changed, icon=":material/edit_note:")
        with st.expander(_("Rate my progress (0 = not started, 10 = fully there)"), expanded=bool(board.unrated)):
            errors = FieldErrors()
            with st.form("goal_ratings", border=False):
                chosen = {}
                for g in board.goals:
                    chosen[g.id] = st.pills(
                        _("**{number}. {goal}**  \nHow we'll know: {measure}").format(
                            number=g.position, goal=md(g.text), measure=md(g.measure)
                        ),
                        SCALE,
                        default=board.rating(g.id),
                        key=f"goal_rating_{g.id}",
                    )
                    errors.slot(f"goal_{g.id}")
                errors.slot("ratings")
                errors.slot("week_start")
                submitted = st.form_submit_button(_("Save my ratings"), type="primary", width="stretch")
            if submitted:
                ratings = {goal_id: value for goal_id, value in chosen.items() if value is not None}
                try:
                    with session_scope() as session:
                        goals.rate_goals(
                            session,
                            actor,
                            participant_id=actor.id,
                            week_start=shown_week,
                            ratings=ratings,
                            shown_version=shown_version,
                        )
                except goals.GoalsChanged as exc:  # the next run draws the goals as they are now
                    st.session_state["goals_changed"] = exc.fields["ratings"]
                    st.rerun()
                except ValidationError as exc:
                    errors.show(exc.fields)
                    st.error(_("Your ratings aren't saved yet — what you chose is still here."))
                else:
                    st.session_state["goals_saved"] = True
                    st.rerun()


def progress_chart(goal_list: list[goals.GoalView], ratings: list[goals.RatingView], *, span=None) -> None:
    """The weekly ratings chart, its sentence and table, and the goals' words under it."""
    chart_widgets.chart(charts.goal_progress, goal_list, ratings, span=span, sentence=words.goals(goal_list, ratings))
    if goal_list:
        goal_lines(goal_list)


def editor(actor: Actor, participant_id: int, goal_list: list[goals.GoalView]) -> None:
    """The therapist writes the plan's goals (agreed with the participant): up to five rows, each a
    goal and how you'll both know. Blank rows are ignored; a goal cleared is taken off the plan.
    The save names the version of the goals the form was drawn from (kept in the session: the rerun
    that submits reads the goals afresh), so a colleague's newer save is never silently undone.
    Review draws it only once its "Change the goals" button was tapped (ui/review.py)."""
    key = f"goals_{participant_id}"
    st.session_state.setdefault(f"{key}_base", goals.version_of(goal_list))
    if st.session_state.pop("goals_written", None) == participant_id:
        st.success("Goals saved. The participant sees them on Today and My progress.", icon=":material/check_circle:")
    errors = FieldErrors()
    with st.form(f"goal_editor_{participant_id}", border=False):
        rows = []
        for number in range(1, clinical.GOALS_MAX + 1):
            existing = goal_list[number - 1] if number <= len(goal_list) else None
            text = st.text_input(f"Goal {number}", value=existing.text if existing else "", key=f"{key}_text_{number}")
            measure = st.text_input(
                f"How we'll know (goal {number})",
                value=existing.measure if existing else "",
                key=f"{key}_measure_{number}",
                placeholder="e.g. 3 evenings a week without drinking, counted on the diary card",
            )
            errors.slot(f"goal_{number}")
            rows.append({"id": existing.id if existing else None, "text": text, "measure": measure})
        errors.slot("goals")
        saved = st.form_submit_button("Save the goals", type="primary", width="stretch")
    if saved:
        try:
            with session_scope() as session:
                saved_goals = goals.save_goals(
                    session,
                    actor,
                    participant_id=participant_id,
                    goals=rows,
                    base_version=st.session_state[f"{key}_base"],
                )
        except goals.GoalsConflict as conflict:
            errors.show(conflict.fields)
            st.warning(
                "Someone else changed these goals since you opened them: nothing was saved. What you typed "
                "is still here; compare it with the goals now on the plan, then tap Save again to keep yours."
            )
            if conflict.current:
                goal_lines(conflict.current)
            st.session_state[f"{key}_base"] = goals.version_of(conflict.current)
        except ValidationError as exc:
            errors.show(exc.fields)
            st.error("The goals aren't saved yet — everything typed is still here.")
        else:
            st.session_state[f"{key}_base"] = goals.version_of(saved_goals)
            st.session_state["goals_written"] = participant_id
            st.rerun()
