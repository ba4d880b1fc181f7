"""Chart widgets shared by My progress and the therapist's review."""

import streamlit as st

from core import charts, clinical


def show(figure, sentence: str = "") -> None:
    """A chart and, under it, one factual sentence about it."""
    st.plotly_chart(figure, config=charts.CHART_CONFIG, width="stretch")
    if sentence:
        st.write(sentence)


@st.fragment
def emotions(cards, *, key: str, sentence: str = "") -> None:
    """Emotions over time, with a choice of which to show: five lines at once is a lot on a phone.
    A fragment, so picking redraws this chart alone."""
    chosen = st.pills("Emotions to show", list(clinical.EMOTIONS), format_func=clinical.EMOTIONS.get,
                      selection_mode="multi", default=list(clinical.EMOTIONS), key=key)
    if cards and not chosen:
        st.caption("Pick an emotion above to see it over time.")
        return
    show(charts.emotions(cards, [k for k in clinical.EMOTIONS if k in chosen]), sentence)
