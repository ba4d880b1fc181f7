"""core.models' typed helpers: a row's id once saved, a table model's Core table."""

import pytest
from sqlalchemy import Table

from core.models import AppUser, Program, id_of, saved_id, table_of


def test_an_unsaved_row_has_no_id_and_says_so(session, people):
    unsaved = AppUser(username="nobody-yet", name="Nobody", role="participant", password_hash="x")
    with pytest.raises(ValueError, match="AppUser has no id until it is saved"):
        id_of(unsaved)
    saved = session.get(AppUser, people.participant().id)
    assert isinstance(saved.id, int) and id_of(saved) == saved.id


def test_table_of_is_the_models_own_table():
    assert isinstance(table_of(AppUser), Table) and table_of(AppUser).name == "app_user"
    assert table_of(Program).alias("p").c.id.table.name == "p"


def test_saved_id_refuses_a_missing_id():
    assert saved_id(7) == 7
    with pytest.raises(ValueError, match="was None"):
        saved_id(None)
