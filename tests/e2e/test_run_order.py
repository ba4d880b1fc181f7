"""In Chromium: two taps whose requests reach the server together each get their run drawn
(ui/run_order.py). Review's folded tables each open in a fragment run of their own; on a loaded server
two taps a moment apart wait in its socket together, and Streamlit threw the first one's run away
when the second request found its runner already finished: an expander opened, and stayed empty.
Here the browser holds each tap's request until the next tap has sent its own, then sends both in
one go: what a loaded server reads, without loading the machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from core import db
from core.models import AppUser
from tests.e2e.conftest import settle, signed_in_at

pytestmark = pytest.mark.e2e

# Installed after RUN_TRACKER (so it wraps the tracked socket): while `holding`, what the page sends
# is kept; `release()` sends it all in one task, back to back.
HOLD = """(() => {
  const Base = window.WebSocket;
  const held = [];
  let socket = null;
  window.__iopHold = {holding: false, count: () => held.length,
                      release: () => { for (const data of held.splice(0)) Base.prototype.send.call(socket, data); }};
  class Holding extends Base {
    constructor(...args) { super(...args); socket = this; }
    send(data) {
      if (window.__iopHold.holding) { held.push(data); return; }
      return super.send(data);
    }
  }
  window.WebSocket = Holding;
})();"""
# Review's folded tables, each an expander in a fragment of its own (ui/charts.py, ui/review.py)
FOLDED_TABLES = ":is([class*='st-key-numbers_'], [class*='st-key-review_items_']) > [data-testid='stExpander']"
LAST_TWO_ASKED = (
    "() => Object.entries(window.__iopRuns.fragmentsAsked).sort((a, b) => a[1] - b[1]).slice(-2).map(([f]) => f)"
)
ANSWERED = (  # a run of this fragment (or of the whole page) started after its last request, and finished
    "(f) => { const r = window.__iopRuns;"
    " return Math.max(r.wholeAnswered, r.fragmentsAnswered[f] ?? -1) > r.fragmentsAsked[f]; }"
)


def _tap_two_at_once(page, first, second) -> None:
    page.evaluate("() => { window.__iopHold.holding = true; }")
    first.locator("summary").click()
    page.wait_for_function("() => window.__iopHold.count() === 1")  # the first tap's request, held
    second.locator("summary").click()
    page.wait_for_function("() => window.__iopHold.count() === 2")
    page.evaluate("() => { window.__iopHold.holding = false; window.__iopHold.release(); }")


@pytest.fixture(scope="module")
def alex_id(server) -> int:
    engine = db.make_engine(f"sqlite:///{Path(server.env['IOP_DATA_DIR']) / 'iop.db'}")
    with Session(engine) as session:
        found = session.exec(select(AppUser.id).where(AppUser.username == "alex")).one()
    engine.dispose()
    return found


def test_two_taps_read_together_each_get_their_run(server, desk, alex_id):
    page = desk
    page.add_init_script(script=HOLD)  # this page's alone (the desk's context serves the next tests)
    signed_in_at(page, server.url, "dr.rivera", f"review?p={alex_id}")
    tables = page.locator(FOLDED_TABLES)
    count = tables.count()
    assert count >= 12, count  # Review's charts' numbers and the check-ups' items
    for turn, opening in enumerate((True, False, True)):  # open all, fold all, open all: each tap a request
        for i in range(0, count - 1, 2):
            first, second = tables.nth(i), tables.nth(i + 1)
            _tap_two_at_once(page, first, second)
            asked_first, asked_second = page.evaluate(LAST_TWO_ASKED)
            # Both requests left in one go, the first first: by the time the second tap's run has
            # been answered, the first one's has been (the server keeps their order)...
            page.wait_for_function(ANSWERED, arg=asked_second)
            assert page.evaluate(ANSWERED, asked_first), f"the first tap's run never came (turn {turn}, pair {i})"
            settle(page)
            # ...and both are drawn: each table is shown in its opened expander (none in a folded one)
            for expander in (first, second):
                shown = expander.locator("[data-testid='stTable'], [data-testid='stDataFrame']").filter(visible=True)
                assert shown.count() == (1 if opening else 0)
