"""The therapist's alert inbox through the real app script: a note is required, then resolve."""

from tests.app.conftest import log_in, texts


def test_acknowledge_with_a_note_then_resolve(app):
    log_in(app, "dr.chen")
    app.switch_page("pages/alerts.py").run()
    assert app.title[0].value == "Alerts"
    assert "Dana Okafor" in texts(app) and "Urgent" in texts(app)
    first_ack = next(b for b in app.button if b.label == "Acknowledge")
    first_ack.click()
    app.run()
    assert any("Write what you did" in e.value for e in app.error)
    note = app.text_area[0]
    note.input("Called Dana at 6:10 pm; safety plan reviewed; seeing her tomorrow.")
    next(b for b in app.button if b.label == "Acknowledge").click()
    app.run()
    assert "Acknowledged by Dr. Marcus Chen" in texts(app)
    resolvable = len([b for b in app.button if b.label == "Resolve"])
    next(b for b in app.button if b.label == "Resolve").click()
    app.run()
    assert len([b for b in app.button if b.label == "Resolve"]) == resolvable - 1


def test_caseload_puts_dana_first_for_dr_chen(app):
    log_in(app, "dr.chen")
    table = app.dataframe[0].value
    assert table["Participant"].iloc[0] == "Dana Okafor"
    assert table["Needs"].iloc[0] == "Urgent alert"
