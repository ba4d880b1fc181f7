"""The program dashboard screen for the admin and a therapist: figures, no names."""

from tests.app.conftest import log_in, open_page, texts


def test_the_admin_sees_figures_by_cohort_and_no_names(app):
    log_in(app, "admin")
    open_page(app, "pages/dashboard.py")
    assert app.title[0].value == "Program dashboard"
    table = app.dataframe[0].value
    assert (
        list(table["Started"])[-1] == "All" and int(table["People"].iloc[-1]) == 13
    )  # the demo: 12 and Sam (discharged)
    shown = texts(app) + " " + table.to_csv()
    assert "Alex" not in shown and "Casey" not in shown


def test_a_therapist_sees_their_caseload(app):
    log_in(app, "dr.rivera")
    open_page(app, "pages/dashboard.py")
    assert int(app.dataframe[0].value["People"].iloc[-1]) == 6 and "Your caseload" in texts(app)
