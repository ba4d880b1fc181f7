"""Red team, wave 15 (third team): the therapist's record-keeping and the program's calendar,
attacked as a stranger would.

1. Homework: a Remove tapped on a Review page drawn before the participant did the homework.

Each test either failed before its fix (said in its docstring) or keeps an attempt that found nothing
and guards what no other test does. Database tests run on SQLite and on PostgreSQL (`database_url`).
"""

from __future__ import annotations

import pytest

from core import practice
from core.errors import ValidationError
from tests.unit.test_practice import log

# ---- 1. homework ------------------------------------------------------------------------------------


def test_homework_done_since_the_review_was_drawn_is_not_removed_by_its_stale_remove(session, people):
    """Review offers Remove only for homework not done yet; the participant did it after the page was
    drawn, then the therapist tapped Remove: the done homework left their list, Review and the record
    export (removed rows are read nowhere). Now it is refused, and the homework stays, done."""
    therapist, quinn = people.actor(people.therapist), people.participant()
    drawn = practice.assign_homework(session, therapist, participant_id=quinn.id, skill_id="tipp", note="Try it")
    assert not drawn.done  # (what Review showed: a Remove button)
    log(session, quinn, key="after", skill_id="tipp", now=None)

    with pytest.raises(ValidationError) as refused:
        practice.remove_homework(session, therapist, participant_id=quinn.id, homework_id=drawn.id)
    assert "done" in refused.value.fields["homework"]
    session.expire_all()
    [kept] = practice.homework_for(session, therapist, quinn.id)
    assert kept.id == drawn.id and kept.done and kept.note == "Try it"
