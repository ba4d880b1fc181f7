"""Check-up form and result, as Streamlit pieces. Scoring and rules live in core."""

from __future__ import annotations

import streamlit as st

from core import clinical
from core.checkups import Past, Questionnaire, Result
from core.screeners import Result as ScreenerResult
from ui.forms import FieldErrors


def form(q: Questionnaire, errors: FieldErrors) -> tuple[list[int | None], int | None] | None:
    """One item per bordered section, nothing pre-selected; returns the answers on submit."""
    st.caption(q.about)
    with st.form(f"checkup_{q.kind}", clear_on_submit=False, border=False):
        st.markdown(f"**{q.stem}**")
        answers: list[int | None] = []
        for index, item in enumerate(q.items):
            with st.container(border=True):
                answers.append(
                    st.radio(
                        f"{index + 1}. {item.text}",
                        range(len(item.choices)),
                        index=None,
                        format_func=lambda i, c=item.choices: c[i],
                        key=f"{q.kind}_item_{index}",
                    )
                )
                errors.slot(f"item_{index}")
        function_answer = None
        if q.function_item:
            with st.container(border=True):
                function_answer = st.radio(
                    q.function_item,
                    range(len(q.function_choices)),
                    index=None,
                    format_func=lambda i: q.function_choices[i],
                    key=f"{q.kind}_function",
                )
                errors.slot("function")
        submitted = st.form_submit_button("Submit check-up", type="primary", width="stretch", key=f"submit_{q.kind}")
    st.caption(q.attribution)
    return (answers, function_answer) if submitted else None


def change_sentence(kind: str, change: clinical.Change, *, praise: bool = True) -> str:
    """How the total compares with intake. Without praise (beside a crisis response), only the facts."""
    if change.from_intake is None:
        return "This is your starting point. Next time you'll see how things move from here."
    if not praise:
        if change.from_intake == 0:
            return "The same as when you started."
        direction = "lower" if change.from_intake < 0 else "higher"
        return f"{abs(change.from_intake)} points {direction} than when you started."
    if change.response:
        return "That's less than half your starting score — a real change. Well done for sticking with it."
    if change.marked_better:
        return f"{-change.from_intake} points better than when you started — a change that counts."
    if change.marked_worse:
        return (
            f"{change.from_intake} points higher than when you started. Your therapist will see this "
            "and talk it through with you — you don't have to fix it alone."
        )
    if change.from_intake == 0:
        return "The same as when you started."
    direction = "lower" if change.from_intake < 0 else "higher"
    return f"{abs(change.from_intake)} points {direction} than when you started."


def result(q: Questionnaire, outcome: Result) -> None:
    """The score in plain words. Beside a positive item 9 there is no praise, whatever the total."""
    with st.container(border=True, key=f"result_{q.kind}"):
        st.markdown(f"**{q.name}: {outcome.total} of {clinical.MAX_TOTAL[q.kind]} — {outcome.band}**")
        st.write(outcome.words)
        st.write(change_sentence(q.kind, outcome.change, praise=not outcome.risk.risky))


def screener_result(q: Questionnaire, outcome: ScreenerResult) -> None:
    """A screener's score in calm words: what the answers describe, never a verdict on the person."""
    with st.container(border=True, key=f"result_{q.kind}"):
        st.markdown(f"**{q.name}: {outcome.total} of {clinical.MAX_TOTAL[q.kind]} — {outcome.band}**")
        st.write(outcome.words)
        if outcome.intake_total is None:
            st.write(
                "This is your starting point. Your therapist may ask for it again later, "
                "so you can both see what has changed."
            )
        else:
            st.write(f"When you started it was {outcome.intake_total}.")


def trend(q: Questionnaire, past: list[Past]) -> None:
    if not past:
        return
    recent = past[-6:]
    st.caption(
        f"{q.name} so far: "
        + " → ".join(str(p.total) for p in recent)
        + f" (latest {recent[-1].day:%b} {recent[-1].day.day}: {recent[-1].band.lower()})"
    )
