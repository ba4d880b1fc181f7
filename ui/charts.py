"""Chart widgets shared by My progress, the therapist's review and the family home.

A figure is built once per change of its data: `chart(builder, *args)` keys a process-wide cache
by the builder and a digest of exactly the data it draws, so a rerun that changes nothing (a tap
elsewhere on the page, the period picked again, another tab) rebuilds nothing, and any change to
the data (a card saved or edited, its `updated_at` included) is a new key. The key is the data,
so a figure is only ever served to someone who already read that very data through core's gate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import charts, clinical
from ui.i18n import _, current
from ui.text import md


@st.cache_resource(max_entries=512, ttl=3600, show_spinner=False)
def _built(builder: str, digest: str, _build: Callable[[], go.Figure]) -> go.Figure:
    # Shared by every session: never mutated after this (st.plotly_chart only reads it).
    return _build()


def figure(builder: Callable[..., go.Figure], *args, **kwargs) -> go.Figure:
    """`builder(*args, **kwargs)`, from the cache when the same data was drawn before."""
    # The language is part of the key: a figure's words (titles, legends) are in the reader's language.
    digest = hashlib.blake2b(repr((current(), args, sorted(kwargs.items()))).encode(), digest_size=20).hexdigest()
    return _built(f"{builder.__module__}.{builder.__qualname__}", digest, lambda: builder(*args, **kwargs))


def show(figure_: go.Figure, sentence: str = "") -> None:
    """A chart and, under it, one factual sentence about it and its numbers as a table (folded): the
    text alternative for a screen reader, or for anyone who cannot tell the markers apart."""
    st.plotly_chart(figure_, config=charts.CHART_CONFIG, width="stretch")
    if sentence:
        st.write(sentence)
    columns, rows = charts.as_table(figure_)
    if rows:
        title = figure_.layout.title.text or _("this chart")
        with st.expander(_("The numbers behind {title}").format(title=md(title)), icon=":material/table:"):
            st.table(pd.DataFrame(rows, columns=columns).set_index(columns[0]))


def chart(builder: Callable[..., go.Figure], *args, sentence: str = "", **kwargs) -> None:
    """Build (or reuse) and show a chart, with its sentence."""
    show(figure(builder, *args, **kwargs), sentence)


@st.fragment
def emotions(cards, *, key: str, sentence: str = "", span=None) -> None:
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
    chart(charts.emotions, cards, [k for k in clinical.EMOTIONS if k in chosen], span=span, sentence=sentence)
