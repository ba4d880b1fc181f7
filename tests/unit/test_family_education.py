"""The family education pages: overdose and naloxone guidance, and safety advice that names no
country's numbers (the crisis lines at the top of the screen are the program's region's).

Checked against: FDA approval of over-the-counter naloxone nasal spray (29 March 2023); Wisconsin
DHS "Dose of Reality: Opioid Overdose" (signs, call 911, rescue breathing, naloxone, recovery
position); SAMHSA's overdose checklist (a second dose if no response, stay with the person)."""

from core.skills import CONTENT

FAMILY = (CONTENT / "family.md").read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    return {part.partition("\n")[0].strip(): part.partition("\n")[2] for part in FAMILY.split("## ")[1:]}


def test_overdose_and_naloxone_guidance_is_there():
    found = next(body for title, body in sections().items() if "naloxone" in title.lower())
    for fact in (
        "tolerance drops",
        "fentanyl",
        "breathing is very slow",
        "emergency number",
        "second dose",
        "wear off",
        "onto their side",
        "without a",
        "opioids only",
    ):
        assert fact in " ".join(found.split()), fact


def test_safety_advice_names_no_countrys_numbers_and_asks_about_means():
    text = " ".join(FAMILY.split())
    assert "988" not in text and "911" not in text and "999" not in text
    assert "firearm" in text and "medicines saved up" in text
