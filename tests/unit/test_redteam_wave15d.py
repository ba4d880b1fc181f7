"""Red team, wave 15 (fourth team): what family sees, goals, My cards, practice, reminders and
language, attacked as a hostile or careless user would (SQLite and PostgreSQL). Each test is an
attack that broke the app (and guards its fix) or that guards something no earlier test did."""

from __future__ import annotations

from core import i18n, sharing


def test_a_spanish_family_member_reads_every_shared_scope_in_spanish():
    """A Spanish-speaking family member opens "What they share with you, and why": every scope line
    must be in Spanish. The aftercare scope was never marked for translation, so it stayed English."""
    with i18n.using("es"):
        untranslated = [c for c, scope in sharing.SCOPE_FOR_FAMILY.items() if i18n._(scope) == scope]
        labels = [c for c, label in sharing.CATEGORY_LABELS.items() if i18n._(label) == label]
    assert untranslated == [] and labels == []
    assert set(sharing.SCOPE_FOR_FAMILY) == set(sharing.OFFERED) == set(sharing.CATEGORY_LABELS)
