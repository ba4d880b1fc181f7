"""The domain of IOP Companion: plain Python, importable without Streamlit."""
