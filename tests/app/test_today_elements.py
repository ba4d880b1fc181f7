"""What Today sends a phone on each run, counted (issue #22: 50 people saving at once).

Every element is a message the server builds, queues and sends, one at a time, holding the one
interpreter a crowd shares. The diary card reserved an empty placeholder under each of its fields
on every run, for a message that only a refused save has: seventeen empty elements of ninety-some.
Now the card knows its refusal before it is drawn, and only the refused field gets its place.
"""

from __future__ import annotations

from tests.app.conftest import log_in
from tests.app.test_diary_card import today_key, widget


def flat(node) -> list:
    """The screen's elements in the order they are drawn."""
    found = [node]
    for child in (getattr(node, "children", {}) or {}).values():
        found += flat(child)
    return found


def the_card(at, day) -> list:
    """The card's elements: from its mood to its Save button."""
    drawn = flat(at.main)
    first = next(i for i, e in enumerate(drawn) if getattr(e, "key", None) == f"mood_{day}")
    last = next(i for i, e in enumerate(drawn) if getattr(e, "label", None) == "Save my card")
    return drawn[first : last + 1]


# Two places the card keeps in every run, empty until needed, so that a run that no longer draws what they
# held replaces it at once (ui/diary.py): the substance-use questions' (in a program that tracks use, as
# Bailey's does) and the note's too-long warning.
KEPT_PLACES = 2


def empties(card) -> list:
    return [e for e in card if e.type == "empty"]


def test_the_card_draws_a_message_slot_only_under_a_refused_answer(app):
    log_in(app, "bailey")
    day = today_key(app)
    card = the_card(app, day)
    assert len(card) > 20  # (the whole card: moods, emotions, urges, skills, sleep, medication, note)
    assert len(empties(card)) == KEPT_PLACES
    widget(app, "text_area", f"note_{day}").input("long evening, lots to say")
    next(b for b in app.button if b.label == "Save my card").click()
    app.run()  # refused: no mood
    card = the_card(app, day)
    assert len(empties(card)) == KEPT_PLACES
    assert "Choose your mood" in card[1].value  # its message right under the mood, in the place kept for it
    assert len([e for e in card if e.type == "error"]) == 1  # (and no other field has one)
    assert widget(app, "text_area", f"note_{day}").value == "long evening, lots to say"  # kept as typed
