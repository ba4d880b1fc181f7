"""The safety plan: versions with who and when, no edit lost between two editors, access by role."""

import pytest
from sqlmodel import select

from core import safety
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import AppUser


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


PLAN = {
    "warning_signs": ["Not sleeping", "  ", "Skipping meals"],
    "help_contacts": [{"name": "Sam (sister)", "phone": "555-0100"}, {"name": "", "phone": ""}],
    "reasons_for_living": ["My dog Pepper"],
}


def test_first_save_then_versions_with_who_and_what_changed(session, demo):
    casey, rivera = act(session, "casey"), act(session, "dr.rivera")
    assert safety.current_plan(session, casey, casey.id) is None
    first = safety.save_plan(session, casey, participant_id=casey.id, content=PLAN, base_version=None)
    assert first.plan.version == 1 and first.flags == []
    assert first.plan.items("warning_signs") == ["Not sleeping", "Skipping meals"]  # blanks dropped
    assert first.plan.items("help_contacts") == [{"name": "Sam (sister)", "phone": "555-0100"}]

    second = dict(PLAN, reasons_for_living=["My dog Pepper", "Seeing my niece grow up"])
    safety.save_plan(session, rivera, participant_id=casey.id, content=second, base_version=1)
    changes = safety.history(session, casey, casey.id)
    assert [c.version for c in changes] == [2, 1]
    assert changes[0].by == "Dr. Elena Rivera"
    assert changes[0].summary == ["My reasons for living: added “Seeing my niece grow up”"]
    assert safety.current_plan(session, casey, casey.id).updated_by == "Dr. Elena Rivera"


def test_a_stale_save_is_refused_and_names_the_newer_version(session, demo):
    casey, rivera = act(session, "casey"), act(session, "dr.rivera")
    safety.save_plan(session, casey, participant_id=casey.id, content=PLAN, base_version=None)
    safety.save_plan(session, rivera, participant_id=casey.id, content=PLAN, base_version=1)
    with pytest.raises(safety.PlanConflict) as conflict:
        safety.save_plan(session, casey, participant_id=casey.id, content={"warning_signs": ["mine"]}, base_version=1)
    assert conflict.value.current.version == 2 and conflict.value.current.updated_by == "Dr. Elena Rivera"
    # Seeing the newer one, the participant saves on top of it: nothing is lost, both are versions.
    safety.save_plan(session, casey, participant_id=casey.id, content={"warning_signs": ["mine"]}, base_version=2)
    assert len(safety.history(session, casey, casey.id)) == 3


def test_two_first_saves_at_once_make_one_version_one(engine, session, demo):
    """Casey on two devices and Dr. Rivera twice, all saving a first plan at the same moment:
    one version 1 is kept, the others are told someone saved first, nothing is lost silently."""
    import threading

    from sqlmodel import Session

    from core.models import SafetyPlanVersion

    casey, rivera = act(session, "casey"), act(session, "dr.rivera")
    barrier, saved, conflicts, failures = threading.Barrier(4), [], [], []

    def save(who, reason):
        try:
            with Session(engine, expire_on_commit=False) as own:
                barrier.wait()
                saved.append(
                    safety.save_plan(
                        own,
                        who,
                        participant_id=casey.id,
                        base_version=None,
                        content={**PLAN, "reasons_for_living": [reason]},
                    )
                )
        except safety.PlanConflict as conflict:
            conflicts.append(conflict.current.version)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [
        threading.Thread(target=save, args=(who, f"reason {n}")) for n, who in enumerate((casey, casey, rivera, rivera))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    assert len(saved) == 1 and conflicts == [1, 1, 1]
    session.expire_all()
    rows = session.exec(select(SafetyPlanVersion).where(SafetyPlanVersion.participant_id == casey.id)).all()
    assert [(r.version, r.content["reasons_for_living"]) for r in rows] == [
        (1, saved[0].plan.items("reasons_for_living"))
    ]


def test_bad_numbers_are_kept_but_flagged_and_long_lines_refused(session, demo):
    casey = act(session, "casey")
    saved = safety.save_plan(
        session,
        casey,
        participant_id=casey.id,
        base_version=None,
        content={"help_contacts": [{"name": "Jo", "phone": "call me maybe"}]},
    )
    assert saved.plan.items("help_contacts") == [{"name": "Jo", "phone": "call me maybe"}]
    assert "doesn't look like a phone number" in saved.flags[0]
    with pytest.raises(ValidationError) as caught:
        safety.save_plan(
            session,
            casey,
            participant_id=casey.id,
            base_version=1,
            content={"warning_signs": ["x" * (safety.ITEM_MAX_CHARS + 1)]},
        )
    assert "warning_signs" in caught.value.fields
    with pytest.raises(ValidationError, match="give each number a name"):
        safety.save_plan(
            session,
            casey,
            participant_id=casey.id,
            base_version=1,
            content={"help_contacts": [{"name": "", "phone": "555-0100"}]},
        )


@pytest.mark.parametrize(
    "who, can_read, can_write",
    [
        ("casey", True, True),
        ("dr.rivera", True, True),
        ("dr.chen", False, False),
        ("pat.morgan", False, False),
        ("admin", False, False),
        ("bailey", False, False),
    ],
)
def test_access_by_role(session, demo, who, can_read, can_write):
    casey = act(session, "casey")
    safety.save_plan(session, casey, participant_id=casey.id, content=PLAN, base_version=None)
    other = act(session, who)
    if can_read:
        assert safety.current_plan(session, other, casey.id).version == 1
    else:
        with pytest.raises(AccessDenied):
            safety.current_plan(session, other, casey.id)
    if can_write:
        safety.save_plan(session, other, participant_id=casey.id, content=PLAN, base_version=1)
    else:
        with pytest.raises(AccessDenied):
            safety.save_plan(session, other, participant_id=casey.id, content=PLAN, base_version=1)


def test_printable_copy_escapes_and_lists_every_step():
    plan = safety.Plan(
        1,
        {"warning_signs": ["<script>alert(1)</script>"], "help_contacts": [{"name": "Sam", "phone": "555-0100"}]},
        safety.utcnow(),
        "Alex",
    )
    from core.program import REGION_CRISIS_RESOURCES

    page = safety.printable(plan, name="Alex Morgan", resources=list(REGION_CRISIS_RESOURCES["US"]))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert all(title in page for _, title, _ in safety.STEPS)
    assert "Sam — <a href='tel:5550100'>555-0100</a>" in page and "988" in page
    assert "Crisis lines" in safety.printable(None, name="Alex", resources=[])


def test_the_printed_plan_has_the_programs_own_numbers_as_tappable_links():
    """The program's line printed its name and description only; now its number and link print too,
    and every link is the crisis panel's (Text HOME to 741741, never "Call 741741"; no "Text 911")."""
    from core.program import REGION_CRISIS_RESOURCES, CrisisResource, crisis_links

    local = CrisisResource("County mobile crisis", "Comes to you, 24/7", call="(555) 010-9999", text="555 010 8888")
    resources = [local, *REGION_CRISIS_RESOURCES["US"]]
    page = safety.printable(None, name="Alex", resources=resources)
    assert "<a href='tel:5550109999'>Call (555) 010-9999</a>" in page
    assert "<a href='sms:5550108888'>Text 555 010 8888</a>" in page
    for resource in resources:
        for link in crisis_links(resource):
            assert f"href='{link.href.replace('&', '&amp;')}'" in page
    assert "Text HOME to 741741" in page and "Call 741741" not in page and "Text 911" not in page
    assert "%28" not in page and "%20" not in page


def test_step_six_asks_about_firearms_saved_up_medication_and_substances():
    prompt = dict((key, p) for key, _, p in safety.STEPS)["safer_environment"]
    assert "firearm" in prompt and "medicines I've saved up" in prompt and "alcohol or drugs" in prompt


def test_a_base_version_of_a_plan_that_does_not_exist_gets_a_message_not_a_crash(session, demo):
    """(mypy found it: the conflict was built from current_plan(), None when there is no plan.)"""
    casey = act(session, "casey")
    with pytest.raises(ValidationError) as refused:
        safety.save_plan(session, casey, participant_id=casey.id, content=PLAN, base_version=3)
    assert refused.value.fields == {"plan": "This plan could not be read; open it again."}
    assert safety.current_plan(session, casey, casey.id) is None
