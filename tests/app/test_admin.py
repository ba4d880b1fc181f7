"""The program admin's screens, through the real app script."""

from tests.app.conftest import log_in, texts


def open_create_form(app):
    log_in(app, "admin")
    assert app.title[0].value == "Accounts"
    return app


def fill(app, **values):
    labels = {"Full name": "name", "Username": "username", "Email (optional)": "email", "First password": "password"}
    for box in app.text_input:
        if box.label in labels and labels[box.label] in values:
            box.input(values[labels[box.label]])
    next(b for b in app.button if b.label == "Create account").click()
    return app.run()


def test_admin_sees_accounts_but_no_clinical_pages(app):
    open_create_form(app)
    shown = texts(app)
    assert "Create an account" in [e.label for e in app.expander][0]
    assert "diary" not in shown.lower()


def test_duplicate_username_is_refused_beside_the_field_and_the_form_keeps_what_was_typed(app):
    open_create_form(app)
    fill(app, name="Second Alex", username="alex", email="alex2@example.org", password="long enough pw")
    assert not app.exception
    assert any("That username is taken" in e.value for e in app.error)
    assert next(b for b in app.text_input if b.label == "Full name").value == "Second Alex"
    assert next(b for b in app.text_input if b.label == "Email (optional)").value == "alex2@example.org"


def test_admin_creates_a_participant_who_can_then_log_in(app):
    open_create_form(app)
    fill(app, name="Quinn Rivers", username="quinn", password="a fresh start")
    assert any("Account created for Quinn Rivers" in s.value for s in app.success)
    assert "quinn" in [row for row in app.dataframe[0].value["Username"]]
