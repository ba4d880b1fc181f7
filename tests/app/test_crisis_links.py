"""Step 5 of the safety plan shows exactly the crisis panel's lines and links (one function);
lines an admin typed are shown as typed; program numbers dial as digits."""

from sqlmodel import select

from core import program as programs
from core.access import Actor
from core.models import AppUser
from tests.app.conftest import log_in
from tests.hostile_text import DANGEROUS
from ui.crisis import resource_markdown
from ui.text import md


def markdown(app) -> list[str]:
    return [m.value for m in app.markdown]


def test_safety_plan_step_five_reuses_the_crisis_panels_links(app, session):
    log_in(app, "dana")
    app.switch_page("pages/safety_plan.py").run()
    shown = markdown(app)
    everything = "\n".join(shown)
    for resource in programs.crisis_resources_for(session, None):
        # once in the crisis button's list at the top (one paragraph of it), once in step 5: the very same text
        assert resource_markdown(resource) in shown, resource.name  # step 5: an element each
        assert everything.count(resource_markdown(resource)) >= 2, resource.name
    assert "Text 911" not in everything and "Call 741741" not in everything and "%28" not in everything


def test_an_admins_line_is_plain_text_and_dials_digits(app, session):
    admin = Actor.of(session.exec(select(AppUser).where(AppUser.username == "admin")).one())
    programs.set_local_crisis_resources(
        session,
        admin,
        [
            {
                "name": "![pic](https://evil.example/x.png) Mobile team",
                "detail": "**24/7** [site](https://evil.example)",
                "call": "(555) 010-9999",
                "text": "",
            }
        ],
    )
    session.commit()
    log_in(app, "bailey")
    everything = "\n".join(markdown(app))
    assert "(tel:5550109999)" in everything
    assert not DANGEROUS.search(everything) and md("![pic](https://evil.example/x.png) Mobile team") in everything
