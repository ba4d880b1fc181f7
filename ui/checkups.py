"""Check-up form and result, as Streamlit pieces. Scoring and rules live in core."""

from __future__ import annotations

import streamlit as st

from core import clinical
from core.checkups import Past, Questionnaire, Result, is_translated
from core.screeners import Result as ScreenerResult
from ui.forms import FieldErrors
from ui.i18n import _, ngettext, short_day


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
        submitted = st.form_submit_button(_("Submit check-up"), type="primary", width="stretch", key=f"submit_{q.kind}")
    st.caption(q.attribution)
    return (answers, function_answer) if submitted else None


def _plain_change(points: int) -> str:
    if points == 0:
        return _("The same as when you started.")
    if points < 0:
        return ngettext(
            "{n} point lower than when you started.", "{n} points lower than when you started.", -points
        ).format(n=-points)
    return ngettext(
        "{n} point higher than when you started.", "{n} points higher than when you started.", points
    ).format(n=points)


def change_sentence(kind: str, change: clinical.Change, *, praise: bool = True) -> str:
    """How the total compares with intake. Without praise (beside a crisis response), only the facts."""
    if change.from_intake is None:
        return _("This is your starting point. Next time you'll see how things move from here.")
    if not praise:
        return _plain_change(change.from_intake)
    if change.response:
        return _("That's less than half your starting score — a real change. Well done for sticking with it.")
    if change.marked_better:
        return _("{n} points better than when you started — a change that counts.").format(n=-change.from_intake)
    if change.marked_worse:
        return _(
            "{n} points higher than when you started. Your therapist will see this "
            "and talk it through with you — you don't have to fix it alone."
        ).format(n=change.from_intake)
    return _plain_change(change.from_intake)


def result(q: Questionnaire, outcome: Result) -> None:
    """The score in plain words. Beside a positive item 9 there is no praise, whatever the total."""
    with st.container(border=True, key=f"result_{q.kind}"):
        st.markdown(
            _("**{name}: {total} of {max_total} — {band}**").format(
                name=_(q.name), total=outcome.total, max_total=clinical.MAX_TOTAL[q.kind], band=_(outcome.band)
            )
        )
        st.write(_(outcome.words))
        st.write(change_sentence(q.kind, outcome.change, praise=not outcome.risk.risky))


def screener_result(q: Questionnaire, outcome: ScreenerResult) -> None:
    """A screener's score in calm words: what the answers describe, never a verdict on the person."""
    with st.container(border=True, key=f"result_{q.kind}"):
        st.markdown(
            _("**{name}: {total} of {max_total} — {band}**").format(
                name=_(q.name), total=outcome.total, max_total=clinical.MAX_TOTAL[q.kind], band=_(outcome.band)
            )
        )
        st.write(_(outcome.words))
        if outcome.intake_total is None:
            st.write(
                _(
                    "This is your starting point. Your therapist may ask for it again later, "
                    "so you can both see what has changed."
                )
            )
        else:
            st.write(_("When you started it was {intake_total}.").format(intake_total=outcome.intake_total))


def trend(q: Questionnaire, past: list[Past]) -> None:
    if not past:
        return
    recent = past[-6:]
    st.caption(
        _("{name} so far: {totals} (latest {day}: {band})").format(
            name=_(q.name),
            totals=" → ".join(str(p.total) for p in recent),
            day=short_day(recent[-1].day),
            band=_(recent[-1].band).lower(),
        )
    )


def english_only_note(kind: str, language: str) -> None:
    """Said above a questionnaire shown in English to someone reading Spanish: clinical questions are
    asked only in their official (or reviewed) wording, so there is no home-made translation."""
    if language != "en" and not is_translated(kind, language):
        st.info(
            _(
                "This questionnaire is in English only for now: its questions are used only in their "
                "official wording, and there is no reviewed Spanish version yet. If a word is unclear, "
                "your therapist can go through it with you."
            ),
            icon=":material/translate:",
        )
