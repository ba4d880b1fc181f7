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


def test_small_cohorts_show_fewer_than_five_on_the_screen(app):
    """Dr. Rivera's six people fall in cohorts smaller than five: their figures read "fewer than 5"."""
    log_in(app, "dr.rivera")
    open_page(app, "pages/dashboard.py")
    table = app.dataframe[0].value
    cohorts = table[table["Started"] != "All"]
    assert (cohorts["People"] == "fewer than 5").any()
    for _, row in cohorts[cohorts["People"] == "fewer than 5"].iterrows():
        assert row["PHQ-9 change"] in ("fewer than 5", "—") and row["Attendance"] in ("fewer than 5", "—")
    assert "fewer than 5" in texts(app)
