"""settle() itself: it must not return before the screen shows the answer to the last tap, also when
the tap reran a fragment alone (Today's card is an `st.fragment`). The phone is on a slow link (the
server's answers arrive 0.3 s late, SlowLink), and the checks right after settle() read the page
once (`count()`, no wait): the old settle(), which ignored fragment runs, returned at once, before
the fragment had been redrawn, and failed them.

Nor may an expander be caught half open (Streamlit's own script animates its height, no run
involved): the old settle() returned a frame after the tap, with the expander a few dozen pixels
high. settle() then learnt to wait for the animation; that was not enough, since the animation's
starting height came back for a frame after it ended, under a tap (a lost "Create account" in
test_account_recovery.py). Now ui/layout.py keeps every expander as tall as its content, and
test_an_opened_expander_is_never_shorter_than_its_content watches every frame.

And the `phone` fixture's used browser (conftest.Devices): what one test stored is gone for the next."""

from datetime import date, timedelta

import pytest

from tests.e2e.conftest import PHONE, SlowLink, go_to, log_in, open_app, settle, signed_in_at

pytestmark = pytest.mark.e2e


def today_of(page) -> date:
    classes = page.locator("[class*='st-key-mood_']").first.get_attribute("class")
    key = next(c for c in classes.split() if c.startswith("st-key-mood_"))
    return date.fromisoformat(key.removeprefix("st-key-mood_"))


def fragment_runs(page) -> int:
    return page.evaluate("() => Object.keys(window.__iopRuns.fragmentsAnswered ?? {}).length")


@pytest.fixture
def slow_link(server):
    link = SlowLink(server.port, latency_s=0.3)
    yield link
    link.close()


def test_settle_waits_for_a_fragment_redraw(slow_link, phone, artifacts):
    open_app(phone, slow_link.url)
    log_in(phone, "jordan")
    today = today_of(phone)
    assert fragment_runs(phone) == 0  # so far only whole runs: the page open and the login
    whole = phone.evaluate("() => window.__iopRuns.wholeAnswered")
    for day, label in ((today - timedelta(days=1), "Yesterday"), (today, "Today")):
        phone.locator(".st-key-card_day button").get_by_text(label, exact=True).click()
        settle(phone)
        # Read once, no waiting: the card of the day just tapped, and no card of another day.
        assert phone.locator(f"[class*='st-key-mood_{day.isoformat()}']").count() == 1, label
        assert phone.locator("[class*='st-key-mood_']").count() == 1, label
        assert phone.evaluate("() => window.__iopRuns.settled()")
    # The taps were answered by runs of the card's fragment alone (not whole-page runs), so this
    # test really covers fragment reruns. (The day picker sits in the card's head, a fragment nested in
    # the card: its tap asks for the head's run, which the picker's callback turns into the card's.)
    assert fragment_runs(phone) >= 1
    assert phone.evaluate("() => window.__iopRuns.wholeAnswered") == whole
    phone.screenshot(path=artifacts / "settle-fragment-today.png")


def test_settle_waits_for_an_expander_to_open(server, phone, artifacts):
    signed_in_at(phone, server.url, "dana")
    go_to(phone, "Family sharing")
    mood = phone.get_by_test_id("stExpander").filter(has_text="Share: Mood trend (weekly averages)")
    mood.get_by_text("Share: Mood trend (weekly averages)").click()
    settle(phone)
    # Read once, no waiting: the expander is open at its full height, its last element wholly inside it.
    details = mood.locator("details")
    assert details.evaluate("(d) => d.open")
    inside = mood.get_by_role("button", name="Share with Jamie").bounding_box()
    box = details.bounding_box()
    assert inside["y"] + inside["height"] <= box["y"] + box["height"]
    assert phone.evaluate("() => window.__iopRuns.settled()")
    phone.screenshot(path=artifacts / "settle-expander-open.png", full_page=True)


# Watches every open expander on the page: in every frame, and as each animation of an expander ends,
# is its <details> as tall as its content? Streamlit's own script animates an expander's height
# (element.animate) from the height it had, written inline as the animation starts, and clears that
# inline height in the animation's "finish" event, which Chromium dispatches with the next frame. The
# animation's `finished` promise resolves as it ends, before that event: what the page shows then
# is what a tap meets in between. An expander closing (its content `inert`) is not measured.
CLIPPED_EXPANDERS = """() => {
  const seen = window.__expanders = {frames: 0, clipped: []};
  const measure = (when) => {
    for (const details of document.querySelectorAll("[data-testid='stExpander'] > details[open]")) {
      const content = details.querySelector(":scope > [data-testid='stExpanderDetails']");
      if (!content || content.hasAttribute('inert')) continue;
      const bottom = details.getBoundingClientRect().bottom, needed = content.getBoundingClientRect().bottom;
      if (bottom < needed - 1) {
        seen.clipped.push({when, expander: details.querySelector('summary').innerText, bottom, needed});
      }
    }
  };
  const frame = () => { seen.frames += 1; measure('frame'); if (!seen.stop) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const animate = Element.prototype.animate;
  Element.prototype.animate = function (...args) {
    const animation = animate.apply(this, args);
    animation.finished.then(() => measure('animation end'), () => {});   // (cancelled: another took over)
    return animation;
  };
}"""


@pytest.mark.parametrize(
    ("who", "expander", "button"),
    [
        ("admin", "Create an account", "Create account"),  # the form above the accounts table
        (None, "I have a reset code", "Set my password and log in"),  # the login screen's
    ],
)
def test_an_opened_expander_is_never_shorter_than_its_content(server, phone, who, expander, button):
    """A tap on an expander's last button landed on what lies below the expander, in the frame after
    Streamlit's opening animation ended: the <details>' inline height was back at the height the
    animation started from (overflow hidden) until the animation's finish event cleared it, and the
    accounts table below had moved up under the finger (test_account_recovery.py lost its "Create
    account" tap so, under load). ui/layout.py keeps every expander as tall as its content: in no
    frame from the tap on, nor as an animation ends, is the content cut off."""
    phone.add_init_script(script=f"({CLIPPED_EXPANDERS})()")
    if who:
        signed_in_at(phone, server.url, who)
    else:
        open_app(phone, server.url)
    phone.locator("summary").get_by_text(expander).click()
    settle(phone)
    phone.get_by_role("button", name=button).wait_for()
    seen = phone.evaluate("() => { window.__expanders.stop = true; return window.__expanders; }")
    assert seen["frames"] > 0  # measured, frame by frame, while the tap was answered
    assert seen["clipped"] == [], sorted(seen["clipped"], key=lambda c: c["when"] == "frame")[:3]


def test_a_used_phone_keeps_nothing_a_test_stored(server, devices):
    """The next test gets the same browser context (its HTTP cache kept) with no cookie, no
    localStorage, no sessionStorage and no login left by the last one."""
    page = devices.page(PHONE)
    open_app(page, server.url)
    log_in(page, "jordan")
    page.evaluate("() => { localStorage.setItem('left', '1'); sessionStorage.setItem('left', '1'); }")
    page.context.add_cookies([{"name": "left", "value": "1", "url": server.url}])
    assert {c["name"] for c in page.context.cookies()} >= {"left", "iop_companion_login"}
    devices.wipe(page)
    again = devices.page(PHONE)
    assert again.context is page.context and page.is_closed()
    open_app(again, server.url)
    stored = again.evaluate("() => [Object.keys(localStorage), Object.keys(sessionStorage), document.cookie]")
    assert "left" not in stored[0] and "left" not in stored[1] and "left" not in stored[2], stored
    assert {c["name"] for c in again.context.cookies()} <= {"_streamlit_xsrf"}  # what the page open set
    again.get_by_role("button", name="Log in", exact=True).wait_for()  # logged out
    devices.wipe(again)
