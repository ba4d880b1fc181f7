"""Streamlit pieces shared by pages: login and guards, crisis help, layout and form helpers."""
