"""The therapist's editors on Review, each one tap away.

Review is read far more often than it is written: a therapist opens it to prepare a session, and
writes goals, the aftercare plan or homework now and then. Every form drawn is built on every rerun
(its widgets registered, the aftercare plan's two table editors converted to Arrow) even folded in
an expander, and that was a third of a Review rerun. So each editor sits behind one button ("Change
the goals", ...): tapping it opens the editor for that participant (kept in `st.session_state`, so
it stays open through saves and other taps until "Close" is tapped), and a rerun in which nobody is
editing builds no form at all. A discharged participant's record is closed for additions: the page
offers no button then (pages/review.py asks `Review.closed` first).

Opening an editor starts it afresh from what is saved now: whatever an earlier, closed editor of the
same participant left in the session (typed text, the version it was drawn from) is forgotten, so a
colleague's save made since is what the form shows, and what a save is checked against.
"""

from __future__ import annotations

import pyarrow as pa
import streamlit as st


def rows(records: list[dict]) -> pa.Table:
    """Rows of plain text for `st.dataframe`, as the Arrow table it sends: handed a list of dicts,
    Streamlit builds a pandas frame and converts that to Arrow on every rerun (Review draws six such
    tables; pandas was most of their cost). The columns keep the first row's order."""
    return pa.Table.from_pylist(records)


@st.fragment
def item_by_item(label: str, *, key: str, records: list[dict], note: str = "") -> None:
    """A check-up's or screener's answers, item by item, folded, and drawn only once opened: folded,
    Review's five data grids were still drawn in the browser on every open. A fragment, so opening
    one reruns this list alone, not all of Review."""
    with st.expander(label, key=key, on_change="rerun") as folded:
        if folded.open:
            if note:
                st.caption(note)
            st.dataframe(rows(records), hide_index=True, width="stretch")


def _flag(what: str, participant_id: int) -> str:
    return f"review_editing_{what}_{participant_id}"


def _open(what: str, participant_id: int, prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]
    st.session_state[_flag(what, participant_id)] = True


def _close(what: str, participant_id: int) -> None:
    st.session_state.pop(_flag(what, participant_id), None)


def is_open(what: str, participant_id: int) -> bool:
    return bool(st.session_state.get(_flag(what, participant_id)))


def opened(what: str, participant_id: int, label: str, *, icon: str, prefix: str) -> bool:
    """True when this participant's `what` editor is open; otherwise draws the button that opens it
    (one tap: its callback runs before the rerun it starts, so that rerun draws the editor).
    `prefix` names the session keys the editor keeps (its widgets' and its base version), forgotten
    when it opens so it starts from what is saved."""
    if is_open(what, participant_id):
        return True
    st.button(
        label,
        key=f"review_open_{what}_{participant_id}",
        icon=icon,
        on_click=_open,
        args=(what, participant_id, prefix),
        width="stretch",
    )
    return False


def close_button(what: str, participant_id: int, label: str) -> None:
    """Folds the editor away again. What was typed and not saved goes with it: the label says so."""
    st.button(
        label,
        key=f"review_close_{what}_{participant_id}",
        icon=":material/close:",
        on_click=_close,
        args=(what, participant_id),
        width="stretch",
    )
