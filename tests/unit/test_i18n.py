"""The Spanish catalogue and the language plumbing: every marked string is translated, the compiled
.mo is the .po's (a clean checkout runs on it), placeholders survive translation, the content
loaders read Spanish files only when they have the English file's shape, and what a person answered
in is recorded."""

from __future__ import annotations

import gettext
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlmodel import select

from core import accounts, checkups, i18n, skills
from core.content import CatalogueError, family_sections
from core.errors import ValidationError
from core.models import AppUser, Checkup, DiaryCard, Role
from core.program import REGION_CRISIS_RESOURCES, crisis_links, in_language_order

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "messages.po"
MO = ROOT / "locale" / "es" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="es")


def _extracted() -> set[str]:
    """Every string marked in the app's code, as `make i18n` extracts it (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "N_": None, "F_": (1,), "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_marked_string_is_in_the_spanish_catalogue_and_translated():
    catalogue = _catalogue()
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id): m.string
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    extracted = _extracted()
    assert len(extracted) > 500  # the extraction itself found the app's strings
    missing = sorted(extracted - set(translated))
    assert not missing, f"marked but not translated (run `make i18n`, translate them in {PO.name}): {missing[:20]}"
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (guessed) translations: {fuzzy[:10]}"


def test_the_compiled_mo_is_the_po_so_a_clean_checkout_speaks_spanish():
    """The .mo is committed; a .po edited without `make i18n` fails here."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalogue():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for n, expected in ((1, message.string[0]), (2, message.string[1])):
                assert compiled.ngettext(message.id[0], message.id[1], n) == expected, message.id
        else:
            assert compiled.gettext(message.id) == message.string, f"stale .mo for {message.id!r}: run `make i18n`"


def test_translations_keep_every_placeholder():
    """A placeholder renamed or dropped in Spanish would fail `.format()` on a person's screen."""
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, (message.id, string)


def test_spanish_comes_from_the_catalogue_and_english_stays_as_written():
    with i18n.using("es"):
        assert i18n._("Save my card") == "Guardar mi tarjeta"
        assert i18n.ngettext("{n} skill for “{query}”", "{n} skills for “{query}”", 3).format(n=3, query="x") == (
            "3 habilidades para “x”"
        )
        assert i18n.long_day(date(2026, 11, 26)) == "jueves, 26 de noviembre"
        assert i18n.plain_list(["A", "B", "C"]) == "A, B y C"
    assert i18n._("Save my card") == "Save my card"
    assert i18n.long_day(date(2026, 11, 26)) == "Thursday, November 26"
    assert i18n.plain_list(["A", "B", "C"]) == "A, B and C"


@pytest.mark.parametrize("hostile", [None, "", "fr", "ES ", "es\x00", 3, ["es"], "en; DROP TABLE", "e" * 10_000])
def test_an_unknown_language_is_english(hostile):
    assert i18n.normalise(hostile) in i18n.LANGUAGES
    assert i18n.normalise(hostile) == ("es" if hostile == "ES " else "en")
    assert not i18n.is_language(hostile) or hostile in i18n.LANGUAGES


# --- content files ----------------------------------------------------------------------------------


def test_content_without_a_spanish_file_is_the_english_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "CONTENT_DIR", tmp_path)
    for name in ("skills.yaml", "questionnaires.yaml", "family.md", "crisis_phrases.yaml"):
        shutil.copy(ROOT / "core" / "content" / name, tmp_path)
        assert i18n.content_file(name, "es") == tmp_path / name
        assert not i18n.has_content(name, "es") and i18n.has_content(name, "en")
    assert not checkups.is_translated("phq9", "es") and checkups.is_translated("phq9", "en")


def test_a_spanish_file_is_read_only_when_it_has_the_english_shape(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "CONTENT_DIR", tmp_path)
    (tmp_path / "es").mkdir()
    english = (ROOT / "core" / "content" / "skills.yaml").read_text(encoding="utf-8")
    for name in ("skills.yaml", "questionnaires.yaml", "family.md"):
        shutil.copy(ROOT / "core" / "content" / name, tmp_path / name)
    skills.catalogue.cache_clear()
    skills.skills_by_id.cache_clear()
    try:
        # Same shape, other words: read, and used for Spanish readers only.
        (tmp_path / "es" / "skills.yaml").write_text(
            english.replace("name: Wise mind", "name: Mente sabia"), encoding="utf-8"
        )
        names = {s.name for m in skills.catalogue("es") for s in m.skills}
        assert "Mente sabia" in names and "Wise mind" not in names
        assert "Wise mind" in {s.name for m in skills.catalogue("en") for s in m.skills}
        # A skill missing (or renamed id) in the translation: refused, naming the file.
        skills.catalogue.cache_clear()
        (tmp_path / "es" / "skills.yaml").write_text(
            english.replace("id: wise_mind", "id: mente_sabia"), encoding="utf-8"
        )
        with pytest.raises(CatalogueError, match="es/skills.yaml"):
            skills.catalogue("es")
        # A family page with a section missing: refused.
        family = (ROOT / "core" / "content" / "family.md").read_text(encoding="utf-8")
        (tmp_path / "es" / "family.md").write_text(family.split("\n## ")[0] + "\n", encoding="utf-8")
        family_sections.cache_clear()
        with pytest.raises(CatalogueError, match="es/family.md"):
            family_sections("es")
    finally:
        skills.catalogue.cache_clear()
        skills.skills_by_id.cache_clear()
        family_sections.cache_clear()
        checkups.questionnaires.cache_clear()


def test_the_spanish_files_that_exist_have_the_english_shape():
    """On a branch with core/content/es/*, each is read through the checks above; without them,
    each loader gives the English (the screens then say English only)."""
    for language in i18n.LANGUAGES:
        modules = skills.catalogue(language)
        assert [m.id for m in modules] == [m.id for m in skills.catalogue("en")]
        kinds = checkups.questionnaires(language)
        assert [len(q.items) for q in kinds.values()] == [len(q.items) for q in checkups.questionnaires("en").values()]
        assert kinds["pacs"] == checkups.questionnaires("en")["pacs"]  # English-only: no reviewed translation
        assert len(family_sections(language)) == len(family_sections("en"))


# --- crisis lines ------------------------------------------------------------------------------------


def test_the_lines_answered_in_spanish_come_first_for_a_spanish_reader():
    us = list(REGION_CRISIS_RESOURCES["US"])
    assert in_language_order(us, "en") == us
    spanish = in_language_order(us, "es")
    assert spanish[0].name == "988 en español" and sorted(map(id, spanish)) == sorted(map(id, us))
    links = crisis_links(spanish[0])
    assert [link.href for link in links] == ["tel:988", "sms:988?&body=AYUDA"]
    with i18n.using("es"):
        assert [link.label for link in crisis_links(us[0])] == ["Llamar al 988", "Enviar texto al 988"]


# --- what is recorded ----------------------------------------------------------------------------------


def test_a_person_chooses_their_own_language(people, session):
    quinn = people.participant()
    assert accounts.set_language(session, user_id=quinn.id, language="es") == "es"
    session.commit()
    assert session.get(AppUser, quinn.id).language == "es"
    for hostile in ("fr", "", None, 1, "es\x00", "ES"):
        with pytest.raises(ValidationError):
            accounts.set_language(session, user_id=quinn.id, language=hostile)
    with pytest.raises(ValidationError):  # therapists' screens are English
        accounts.set_language(session, user_id=people.therapist.id, language="es")
    for missing in (0, -1, 10**12, "1", None):
        with pytest.raises(ValidationError):
            accounts.set_language(session, user_id=missing, language="es")
    session.rollback()
    assert session.get(AppUser, quinn.id).language == "es"
    assert session.get(AppUser, people.therapist.id).language is None


def test_a_card_records_the_language_it_was_filled_in(people, session):
    from core.diary import CardInput, save_card

    quinn = people.participant(started_on=date(2026, 1, 1))
    from core.program import user_today

    today = user_today(session, quinn.id)
    save_card(session, quinn, participant_id=quinn.id, day=today, card=CardInput(mood=6), language="es")
    assert session.exec(select(DiaryCard.language).where(DiaryCard.participant_id == quinn.id)).one() == "es"
    save_card(session, quinn, participant_id=quinn.id, day=today, card=CardInput(mood=5), language="en")
    assert session.exec(select(DiaryCard.language).where(DiaryCard.participant_id == quinn.id)).one() == "en"
    yesterday = date.fromordinal(today.toordinal() - 1)
    save_card(session, quinn, participant_id=quinn.id, day=yesterday, card=CardInput(mood=5), language="xx")
    assert (
        session.exec(
            select(DiaryCard.language).where(DiaryCard.participant_id == quinn.id, DiaryCard.day == yesterday)
        ).one()
        == "en"
    )


def test_a_check_up_records_the_language_its_questions_were_shown_in(people, session, monkeypatch):
    quinn = people.participant()
    # No Spanish questionnaire file: a Spanish reader answered the English PHQ-9.
    monkeypatch.setattr(checkups, "is_translated", lambda kind, language: language == "en")
    checkups.submit(session, quinn, participant_id=quinn.id, kind="phq9", answers=[0] * 9, language="es")
    # With one (as the content branch adds), the GAD-7 was answered in Spanish.
    monkeypatch.setattr(checkups, "is_translated", lambda kind, language: True)
    checkups.submit(session, quinn, participant_id=quinn.id, kind="gad7", answers=[1] * 7, language="es")
    rows = dict(session.exec(select(Checkup.kind, Checkup.language).where(Checkup.participant_id == quinn.id)).all())
    assert rows == {"phq9": "en", "gad7": "es"}
    history = checkups.histories(session, quinn, quinn.id)
    assert history["gad7"][-1].language == "es" and history["phq9"][-1].language == "en"


def test_the_craving_scale_and_screeners_are_english_only():
    assert not checkups.is_translated("pacs", "es")
    assert not checkups.is_translated("auditc", "es") and not checkups.is_translated("dast10", "es")
    assert checkups.is_translated("pacs", "en")


def test_therapists_and_admins_never_choose(people, session):
    admin = people.admin
    with pytest.raises(ValidationError):
        accounts.set_language(session, user_id=admin.id, language="es")
    assert Role.ADMIN.value == admin.role


def test_a_message_made_at_import_time_is_translated_when_shown():
    """CardForm's messages are formatted once from constants (F_); shown later, they are Spanish."""
    from core.diary import CardInput, checked

    _clean, errors = checked(CardInput(mood=None), targets=[], craving_on=False)
    assert errors["mood"] == "Choose your mood (0–10)."
    with i18n.using("es"):
        assert i18n._(errors["mood"]) == "Elige tu ánimo (0–10)."
        _clean, errors = checked(CardInput(mood=None, emotions={"joy": 9}), targets=[], craving_on=False)
        assert errors["joy"] == "Alegría es un número entero del 0 al 5."


def test_login_messages_follow_the_reader(people, session):
    from core import auth

    with i18n.using("es"):
        result = auth.log_in(session, username="", password="", client="t", verify=lambda *a: False)
        assert result.message == "Escribe tu nombre de usuario y tu contraseña."
        result = auth.log_in(session, username="nobody", password="wrong-pass", client="t", verify=lambda *a: False)
        assert result.message.startswith("Ese nombre de usuario y esa contraseña no coinciden.")
        assert "Te quedan 4 intentos" in result.message


def test_babel_finds_nothing_wrong_with_the_catalogue():
    """What `pybabel compile` checks (format placeholders of each kind): a problem there is an
    error in `make i18n`, and a .mo that may be left stale."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalogue().check() if errors]
    assert not problems


def test_a_spanish_questionnaire_file_without_the_craving_scale_is_read(tmp_path, monkeypatch):
    """The official Spanish file holds the PHQ-9 and GAD-7 only (no reviewed craving scale): read,
    checked item for item, and the craving scale stays English."""
    import yaml

    monkeypatch.setattr(i18n, "CONTENT_DIR", tmp_path)
    (tmp_path / "es").mkdir()
    shutil.copy(ROOT / "core" / "content" / "questionnaires.yaml", tmp_path / "questionnaires.yaml")
    english = yaml.safe_load((ROOT / "core" / "content" / "questionnaires.yaml").read_text(encoding="utf-8"))
    spanish = {kind: dict(english[kind]) for kind in ("phq9", "gad7")}
    spanish["phq9"]["title"] = "Control del ánimo (PHQ-9)"
    (tmp_path / "es" / "questionnaires.yaml").write_text(yaml.safe_dump(spanish, allow_unicode=True), encoding="utf-8")
    checkups.questionnaires.cache_clear()
    try:
        found = checkups.questionnaires("es")
        assert found["phq9"].title == "Control del ánimo (PHQ-9)"
        assert found["pacs"] == checkups.questionnaires("en")["pacs"]
        assert checkups.is_translated("phq9", "es") and not checkups.is_translated("pacs", "es")
        # One choice short on an item: refused (a score would not mean the same).
        spanish["gad7"]["choices"] = spanish["gad7"]["choices"][:-1]
        (tmp_path / "es" / "questionnaires.yaml").write_text(
            yaml.safe_dump(spanish, allow_unicode=True), encoding="utf-8"
        )
        checkups.questionnaires.cache_clear()
        with pytest.raises(CatalogueError):
            checkups.questionnaires("es")
    finally:
        checkups.questionnaires.cache_clear()
