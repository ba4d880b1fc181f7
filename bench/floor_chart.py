"""The chart floor: a rerun that draws one Plotly chart (twelve weeks of daily values)."""

import plotly.graph_objects as go
import streamlit as st

st.plotly_chart(
    go.Figure(go.Scatter(x=list(range(84)), y=[(i * 7) % 11 for i in range(84)], mode="lines")), width="stretch"
)
