"""Crisis resources: complete for each region, verified numbers, links that dial digits, and an
unknown region refused rather than silently shown another country's numbers."""

import re

import pytest
from sqlmodel import select

from core import program as programs
from core.access import Actor
from core.errors import AccessDenied, ValidationError
from core.models import AppUser, Program
from core.program import REGION_CRISIS_RESOURCES, CrisisResource, crisis_links, dial_digits


def act(session, username) -> Actor:
    return Actor.of(session.exec(select(AppUser).where(AppUser.username == username)).one())


def links(region: str) -> dict[str, list[tuple[str, str]]]:
    return {r.name: [(line.label, line.href) for line in crisis_links(r)] for r in REGION_CRISIS_RESOURCES[region]}


def test_us_lines_include_988_its_veterans_and_spanish_options_samhsa_text_line_and_911():
    us = links("US")
    assert ("Call 988", "tel:988") in us["988 Suicide & Crisis Lifeline"]
    assert ("Text 988", "sms:988") in us["988 Suicide & Crisis Lifeline"]
    assert us["Veterans Crisis Line"] == [("Call 988, then press 1", "tel:988"), ("Text 838255", "sms:838255")]
    assert ("Enviar AYUDA al 988", "sms:988?&body=AYUDA") in us["988 en español"]
    assert us["SAMHSA National Helpline"] == [("Call 1-800-662-4357", "tel:18006624357")]
    assert us["Crisis Text Line"] == [("Text HOME to 741741", "sms:741741?&body=HOME")]
    assert us["Emergency"] == [("Call 911", "tel:911")]


def test_canada_and_the_uk_have_their_own_services():
    ca, uk = links("CA"), links("UK")
    assert ("Call 988", "tel:988") in ca["9-8-8 Suicide Crisis Helpline"] and ("Text 988", "sms:988") in ca[
        "9-8-8 Suicide Crisis Helpline"
    ]
    assert ("Text CONNECT to 686868", "sms:686868?&body=CONNECT") in ca["Kids Help Phone"]
    assert ca["Hope for Wellness Help Line"] == [("Call 1-855-242-3310", "tel:18552423310")]
    assert ca["Emergency"] == [("Call 911", "tel:911")]
    assert uk["Samaritans"] == [("Call 116 123", "tel:116123")]
    assert uk["Shout"] == [("Text SHOUT to 85258", "sms:85258?&body=SHOUT")]
    assert uk["Emergency"] == [("Call 999", "tel:999")]
    assert not any("911" in href or "988" in href for lines in uk.values() for _, href in lines)


@pytest.mark.parametrize("region", sorted(REGION_CRISIS_RESOURCES))
def test_every_region_has_an_emergency_line_and_every_link_dials_digits(region):
    assert any(r.name == "Emergency" for r in REGION_CRISIS_RESOURCES[region])
    for resource in REGION_CRISIS_RESOURCES[region]:
        for link in crisis_links(resource):
            scheme, _, rest = link.href.partition(":")
            number = rest.split("?")[0]
            assert scheme in ("tel", "sms") and number.lstrip("+").isdigit(), link


@pytest.mark.parametrize(
    "typed, digits",
    [
        ("(555) 010-9999", "5550109999"),
        ("+44 116 123", "+44116123"),
        ("988", "988"),
        ("", ""),
        ("call me", ""),
        (None, ""),
    ],
)
def test_program_numbers_dial_as_digits(typed, digits):
    assert dial_digits(typed) == digits


def test_an_added_line_with_brackets_dials_and_texts_as_digits(session, demo):
    admin = act(session, "admin")
    programs.set_local_crisis_resources(
        session,
        admin,
        [
            {
                "name": "County mobile crisis",
                "detail": "Comes to you",
                "call": "(555) 010-9999",
                "text": "(555) 010-8888",
            }
        ],
    )
    first = programs.crisis_resources_for(session, admin.program_id)[0]
    assert [line.href for line in crisis_links(first)] == ["tel:5550109999", "sms:5550108888"]


def test_an_unknown_region_is_refused_with_a_clear_message(session, demo):
    admin = act(session, "admin")
    for bad in ("FR", "us", "", None, 7, "US; DROP TABLE program"):
        with pytest.raises(ValidationError) as refused:
            programs.set_crisis_region(session, admin, bad)
        assert "Choose United States, Canada, United Kingdom" in refused.value.fields["region"]
    assert programs.set_crisis_region(session, admin, "UK").crisis_region == "UK"
    names = [r.name for r in programs.crisis_resources_for(session, admin.program_id)]
    assert "Samaritans" in names and "988 Suicide & Crisis Lifeline" not in names
    with pytest.raises(AccessDenied):
        programs.set_crisis_region(session, act(session, "dr.chen"), "CA")


def test_a_stored_unknown_region_never_shows_another_countrys_numbers(session, demo):
    program = session.exec(select(Program)).first()
    program.crisis_region = "FR"
    session.add(program)
    session.commit()
    lines = programs.crisis_resources(program)
    hrefs = [link.href for r in lines for link in crisis_links(r)]
    assert "tel:988" not in hrefs and "tel:911" not in hrefs
    assert lines[-1] == programs.UNKNOWN_REGION_LINE and lines[0].name == "Program after-hours line"
    assert "FR" in programs.region_problem(program)


@pytest.mark.parametrize(
    "bad",
    [
        [{"name": "x", "call": "555 0100\x00"}],
        [{"name": "x", "call": "5+55 0100"}],
        [{"name": 3, "call": "5550100"}],
        ["not a dict"],
        "not a list",
        [{"name": "x", "call": "1" * 31}],
    ],
)
def test_added_lines_with_wrong_types_or_characters_are_refused(session, demo, bad):
    with pytest.raises(ValidationError):
        programs.set_local_crisis_resources(session, act(session, "admin"), bad)


def test_a_markdown_image_in_a_line_name_is_shown_as_typed():
    from ui.crisis import resource_markdown

    shown = resource_markdown(
        CrisisResource("![x](https://evil.example/x.png)", "[click](javascript:alert(1))", call="555 0100")
    )
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", shown)  # a "](" that Markdown would read as a link
    assert links == ["tel:5550100"]  # only the dial link: no image, no javascript
    assert "\\[x\\]" in shown and "\\[click\\]" in shown
