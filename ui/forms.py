"""Form helpers: messages beside the field they concern, values kept as typed."""

from __future__ import annotations

import streamlit as st


class FieldErrors:
    """Reserve a slot under each field; after a failed save, fill the slots that have errors."""

    def __init__(self) -> None:
        self._slots: dict[str, st.delta_generator.DeltaGenerator] = {}

    def slot(self, field: str) -> None:
        self._slots[field] = st.empty()

    def show(self, errors: dict[str, str], fallback=None) -> None:
        leftovers = []
        for field, message in errors.items():
            if field in self._slots:
                self._slots[field].error(message, icon="⚠️")
            else:
                leftovers.append(message)
        if leftovers:
            (fallback or st).error(" ".join(leftovers), icon="⚠️")
