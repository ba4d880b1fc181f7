"""Nothing is said by colour alone (WCAG 1.4.1): every coloured word on the therapist's screens is a
word (Urgent, Today, Review...), and the severity bands and the week grid say in text what their
shading says."""

import re
from datetime import date, datetime, timedelta

from core import charts, checkups, clinical
from core.diary import CardView
from tests.app.conftest import log_in, open_page
from ui.diary import week_grid

COLOURED = re.compile(r":(red|orange|green|blue|violet|gray|grey|rainbow|primary)\[([^\]]*)\]")


def test_every_coloured_mark_on_the_alert_and_caseload_screens_is_a_word(app):
    log_in(app, "dr.chen")
    seen = []
    for path in ("pages/alerts.py", "pages/caseload.py"):
        open_page(app, path)
        for element in [*app.markdown, *app.caption]:
            for colour, inside in COLOURED.findall(element.value):
                seen.append((colour, inside))
                assert re.search(r"[A-Za-z]{3,}", inside), f"{path}: colour {colour} around {inside!r}"
    assert any("Urgent" in inside for _, inside in seen), seen  # dana's urgent alert is on screen, in words


def test_each_severity_band_is_named_beside_its_shading():
    for kind, bands in clinical.BANDS.items():
        past = [
            checkups.Past(
                date(2026, 3, 2),
                kind,
                7,
                clinical.band(kind, 7),
                [],
                None,
                False,
                clinical.change_from_intake(kind, None, 7),
            )
        ]
        figure = charts.checkup_trajectory(kind, past)
        names = [t.replace("<br>", " ") for t in figure.layout.yaxis.ticktext]
        assert len(figure.layout.shapes) == len(bands) and names == [label for _, label in bands]


def test_every_shaded_cell_of_the_week_grid_carries_its_value_as_text():
    day0 = date(2026, 3, 2)
    cards = [
        CardView(
            day0 + timedelta(days=n),
            2 + n,
            {k: n for k in clinical.EMOTIONS},
            {},
            None,
            [],
            7.0,
            "no" if n else "yes",
            "",
            False,
            datetime(2026, 3, 1),
        )
        for n in range(3)
    ]
    grid = week_grid(cards, day0, [], craving_on=False)
    shaded = re.findall(r'<td style="background: [^"]*">([^<]*)</td>', grid)
    assert shaded and all(text.strip() for text in shaded), shaded
