"""The server process's start, before any session: every module the pages use imported once, then the
garbage collector told to leave what was imported alone.

Python's collector walks every tracked object of its oldest generation on a full collection: here
~220,000 objects of modules, classes and functions (Streamlit, SQLAlchemy, Plotly, the app), none of
which ever becomes garbage. A full collection cost ~90 ms of a rerun (about one rerun in a hundred, on
one of the screens, while every other session of the process waited for it). `gc.freeze()` moves what
exists now to a permanent generation that collections skip (the use the Python documentation gives it);
everything the sessions make later is collected as before. A page's modules imported on its first run
would be missed by it, so they are imported here first."""

from __future__ import annotations

import gc
import importlib
import pkgutil

import core
import ui


def warm_up() -> None:
    """Import every module of core/ and ui/ (and Plotly, which a chart imports on first use), then
    freeze the collector's view of them. Once per process, before the first session."""
    for package in (core, ui):
        for found in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{found.name}")
    importlib.import_module("plotly.graph_objects")
    importlib.import_module("plotly.io")
    gc.collect()
    gc.freeze()
