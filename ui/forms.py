"""Form helpers: messages beside the field they concern, values kept as typed."""

from __future__ import annotations

import streamlit as st

from ui.i18n import _, ngettext


class FieldErrors:
    """Reserve a slot under each field; after a failed save, fill the slots that have errors.

    `known`: the errors are known before the form is drawn (the diary card's refused save is kept
    in session state for the next run), so only their fields get a slot. An empty slot is still an
    element sent to the phone: a card drawn with no errors had seventeen of them on every run."""

    def __init__(self, known: dict[str, str] | None = None) -> None:
        self._slots: dict[str, st.delta_generator.DeltaGenerator] = {}
        self._known = known

    def slot(self, field: str) -> None:
        if self._known is not None and field not in self._known:
            return  # nothing will be said here this run
        self._slots[field] = st.empty()

    def show(self, errors: dict[str, str], fallback=None) -> None:
        leftovers = []
        for field, message in errors.items():
            if field in self._slots:
                self._slots[field].error(_(message), icon="⚠️")
            else:
                leftovers.append(_(message))
        if leftovers:
            (fallback or st).error(" ".join(leftovers), icon="⚠️")


def over_limit(text: str | None, limit: int) -> str | None:
    """What to tell someone whose text is longer than `limit`: how much to cut, and that nothing is
    lost. (A widget's `max_chars` would instead throw a too-long paste away, leaving the box empty.)"""
    if not text or len(text) <= limit:
        return None
    over = len(text) - limit
    return ngettext(
        "This is {n:,} characters, {over:,} more than fit ({limit:,}). Please cut "
        "{over:,} character before saving — everything you typed is still here.",
        "This is {n:,} characters, {over:,} more than fit ({limit:,}). Please cut "
        "{over:,} characters before saving — everything you typed is still here.",
        over,
    ).format(n=len(text), over=over, limit=limit)


def with_limits(errors: dict[str, str], texts: dict[str, tuple[str | None, int]]) -> dict[str, str]:
    """`errors` from a refused save, with each too-long field's message saying how much to cut."""
    found = dict(errors)
    for field, (text, limit) in texts.items():
        message = over_limit(text, limit)
        if message:
            found[field] = message
    return found
