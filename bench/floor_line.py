"""The framework floor: the least a Streamlit rerun costs (one line of text)."""

import streamlit as st

st.write("IOP Companion")
