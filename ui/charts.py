"""Chart widgets shared by My progress, the therapist's review and the family home.

A figure is built once per change of its data: `chart(builder, *args, owner=participant_id)`
looks it up in core.charts.FIGURES (a bounded, process-wide LRU; core stays streamlit-free) by
(participant, data version, figure, params). The version is the cards' count and last write
(`updated_at`, set by every save) plus the repr of the small rest, so a rerun that changes nothing
(a tap elsewhere on the page, the period picked again, another tab) rebuilds nothing, a save
rebuilds what it changed, and a figure is only ever served for the participant it was drawn from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st

from core import charts, clinical
from ui.i18n import _
from ui.text import md


def figure(builder: Callable[..., go.Figure], *args, owner: int | None = None, **kwargs) -> go.Figure:
    """`builder(*args, **kwargs)` of participant `owner`'s data, from the cache when that data has
    not changed since it was drawn (shared by every session: never mutate what this returns)."""
    return charts.cached(owner, builder, *args, **kwargs)


def show(figure_: go.Figure, sentence: str = "", owner: int | None = None) -> None:
    """A chart and, under it, one factual sentence about it and its numbers as a table (folded): the
    text alternative for a screen reader, or for anyone who cannot tell the markers apart."""
    title, table = _table_of(figure_)
    # Keyed by participant: a relative of two people draws two charts of one title, which may hold the
    # same numbers (the same sessions attended), and Streamlit refuses two unkeyed charts alike.
    key = None if owner is None else "chart_" + _slug(title, owner)
    st.plotly_chart(figure_, config=charts.CHART_CONFIG, width="stretch", key=key)
    if sentence:
        st.write(sentence)
    if table is not None:
        _numbers(title, table, numbers_key(title, owner))


@st.fragment
def _numbers(title: str, table: pa.Table, key: str) -> None:
    """The chart's numbers, folded, and drawn only once opened: folded, each table was still sent and
    drawn in the browser, every cell a Markdown element of its own (Review's: ~700 cells, about a
    second of a phone's CPU on every page open). A fragment, so opening it reruns this table alone,
    not the whole screen (Review's nineteen folded tables and lists each reran Review)."""
    with st.expander(
        _("The numbers behind {title}").format(title=md(title)),
        icon=":material/table:",
        key=key,
        on_change="rerun",
    ) as folded:
        if folded.open:
            st.table(table, hide_index=False)  # (said, so Streamlit does not convert it back to pandas to ask)


def numbers_key(title: str, owner: int | None = None) -> str:
    """The key of the folded table under participant `owner`'s chart titled `title` (its open state, per
    session). Two charts of one title on a screen are two people's (a relative of two Alexes)."""
    return "numbers_" + _slug(title, owner)


def _slug(title: str, owner: int | None) -> str:
    # (readable, and exact: two titles alike but for accents or punctuation, "Sueño" and "Sueno", differ)
    exact = hashlib.blake2s(title.encode(), digest_size=4).hexdigest()
    readable = re.sub(r"[^0-9a-z]+", "_", title.lower()).strip("_")
    return f"{readable}_{exact}" + ("" if owner is None else f"_{owner}")


def _table_of(figure_: go.Figure) -> tuple[str, pa.Table | None]:
    """The figure's title and its numbers as a table, worked out once per figure: a cached figure
    carries its table, so a rerun that changes nothing rebuilds neither (on Review, building
    eleven tables on every rerun cost more than drawing the charts). Kept as Arrow, which is what
    st.table sends: the first column stays the rows' header (pandas' index, in the schema)."""
    made = getattr(figure_, "_iop_table", None)
    if made is None:
        columns, rows = charts.as_table(figure_)
        table = pa.Table.from_pandas(pd.DataFrame(rows, columns=columns).set_index(columns[0])) if rows else None
        made = (figure_.layout.title.text or _("this chart"), table)
        figure_._iop_table = made  # (never read by Plotly: an underscore attribute is ours)
    return made


def chart(builder: Callable[..., go.Figure], *args, sentence: str = "", owner: int | None = None, **kwargs) -> None:
    """Build (or reuse) and show a chart of participant `owner`'s data, with its sentence."""
    show(figure(builder, *args, owner=owner, **kwargs), sentence, owner)


@st.fragment
def emotions(cards, *, key: str, sentence: str = "", span=None, owner: int | None = None) -> None:
    """Emotions over time, two lines to start with (the two felt most strongly), and a choice of
    which to show: five lines at once were unreadable on a phone. A fragment, so picking redraws
    this chart alone."""
    chosen = st.pills(
        _("Emotions to show"),
        list(clinical.EMOTIONS),
        format_func=lambda key: _(clinical.EMOTIONS[key]),
        selection_mode="multi",
        default=charts.strongest_emotions(cards),
        key=key,
    )
    if cards and not chosen:
        st.caption(_("Pick an emotion above to see it over time."))
        return
    chart(
        charts.emotions, cards, [k for k in clinical.EMOTIONS if k in chosen], span=span, sentence=sentence, owner=owner
    )
