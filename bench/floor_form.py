"""The form floor for the server test: a bare Streamlit form that inserts one row (SQLite)."""

import os
import sqlite3

import streamlit as st

PATH = os.environ["BENCH_FORM_DB"]
with st.form("card"):
    name = st.text_input("Who", key="who")
    mood = st.pills("Mood", list(range(11)), key="mood")
    saved = st.form_submit_button("Save", key="save")
if saved:
    with sqlite3.connect(PATH, timeout=30) as conn:
        conn.execute("INSERT INTO card (who, mood) VALUES (?, ?)", (name, mood))
    st.success("Saved.")
