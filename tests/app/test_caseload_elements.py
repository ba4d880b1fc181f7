"""What the caseload draws per person, counted (issue #22: the caseload at most 5× the floor).

Each person is one element: the link to their Review, which is the whole bordered card (ui/layout.py),
with their name, what is needed (in colour and words) and their numbers. It was three (a bordered
container, the link and a caption), and before that four or five: the needs line was a Markdown
element of its own and every three people took a row of st.columns (four blocks).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core.models import Alert, AppUser, CaseloadAssignment, DiaryCard, Role
from core.program import user_today
from tests.app.conftest import log_in, open_menu, open_page


def elements(node) -> int:
    """Every element and block under `node` (AppTest's tree)."""
    children = getattr(node, "children", {}) or {}
    return 1 + sum(elements(child) for child in children.values())


def test_each_person_on_the_caseload_is_one_element_whatever_they_need(app, session):
    log_in(app, "dr.chen")
    before = elements(app.main)
    chen = session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one()
    today = user_today(session, chen.id)
    for n in range(9):
        person = AppUser(
            username=f"more{n}",
            name=f"More {n}",
            role=Role.PARTICIPANT.value,
            password_hash="!",
            program_id=chen.program_id,
            started_on=today - timedelta(days=20),
        )
        session.add(person)
        session.flush()
        session.add(CaseloadAssignment(participant_id=person.id, therapist_id=chen.id))
        if n % 3 == 0:  # an urgent alert: their needs line in red
            session.add(
                Alert(
                    participant_id=person.id,
                    trigger="self_harm_urge",
                    severity="urgent",
                    source_key=f"diary:{today}",
                    day=today,
                    detail="Self-harm urge 4 of 5",
                )
            )
        elif n % 3 == 1:  # a card yesterday: nothing needed, numbers only
            session.add(DiaryCard(participant_id=person.id, day=today - timedelta(days=1), mood=5))
        # else: no card since starting, three weeks ago (needed: in orange)
    session.commit()
    app.run()
    cards = [link.value for link in app.page_link if "Week " in link.value and "cards 14d" in link.value]
    assert len(cards) == 6 + 9
    needs = [card.split("  \n")[1] for card in cards if card.count("  \n") == 2]  # name, needs, numbers
    assert sum(n.startswith(":red[**Urgent") for n in needs) == 1 + 3
    assert sum(n.startswith(":orange[**No card since starting") for n in needs) == 3
    assert sum(card.count("  \n") == 1 for card in cards) == len(cards) - len(needs)  # nothing needed: no line
    assert elements(app.main) - before == 9


def test_each_persons_link_is_the_routers_review_page_with_their_id(app, session):
    """The links are handed the page itself (resolved once per run, pages/caseload.py), not its path:
    each must still be the very page the router registered (same script hash as the menu's Review)
    and carry that person's id."""
    log_in(app, "dr.chen")
    open_page(app, "pages/caseload.py")
    chen = session.exec(select(AppUser).where(AppUser.username == "dr.chen")).one()
    ids = {
        name: pid
        for name, pid in session.exec(
            select(AppUser.name, AppUser.id)
            .join(CaseloadAssignment, CaseloadAssignment.participant_id == AppUser.id)
            .where(CaseloadAssignment.therapist_id == chen.id)
        )
    }
    open_menu(app)  # (the menu's links are drawn only while it is open)
    menu = [link for link in app.page_link if link.proto.page == "review" and not link.proto.query_string]
    people = [link for link in app.page_link if link.proto.page == "review" and link.proto.query_string]
    assert len(menu) == 1 and menu[0].proto.page_script_hash
    assert len(people) >= 5
    for link in people:
        assert link.proto.page_script_hash == menu[0].proto.page_script_hash
        name = link.value.split("  \n")[0].strip("*").split(" · ")[0]  # a discharged row adds how and when they left
        assert link.proto.query_string == f"p={ids[name]}", (link.value, link.proto.query_string)
