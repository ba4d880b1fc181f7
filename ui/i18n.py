"""The viewer's language, for Streamlit: `_()` and `ngettext()` translate into it.

Who reads what: a participant or family member reads their account's language (chosen in *My
account*); before an account has chosen, the language picked on the login screen (kept for the
browser session); therapists and admins read English (they see which language a participant
answered in). `apply()` runs at the top of every script run (app.py, and a page's guard), and
sets core.i18n's language for the run, so core's messages come out in it too.
"""

from __future__ import annotations

import streamlit as st

from core import i18n
from core.i18n import F_, LANGUAGES, N_, full_date, long_day, month_day, ngettext, plain_list, short_day, weekday  # noqa: F401
from core.i18n import _ as _
from core.models import Role

LOGIN_LANGUAGE = "iop_login_language"  # picked on the login screen, for this browser session
VIEW_LANGUAGE = "iop_view_language"  # what the logged-in account reads (set by ui/auth.py)
CHOOSES_LANGUAGE = (Role.PARTICIPANT, Role.FAMILY)


def login_choice() -> str | None:
    value = st.session_state.get(LOGIN_LANGUAGE)
    return value if i18n.is_language(value) else None


def language_for(role: Role | str, account_language: str | None) -> str:
    """What a logged-in person reads: their account's choice, else this session's login-screen
    choice (participants and family); English for therapists and admins."""
    if Role(role) not in CHOOSES_LANGUAGE:
        return i18n.ENGLISH
    if i18n.is_language(account_language):
        return account_language
    return login_choice() or i18n.DEFAULT


def remember_account(role: Role | str, account_language: str | None) -> None:
    st.session_state[VIEW_LANGUAGE] = language_for(role, account_language)


def forget_account() -> None:
    st.session_state.pop(VIEW_LANGUAGE, None)


def current() -> str:
    value = st.session_state.get(VIEW_LANGUAGE) or login_choice()
    return i18n.normalise(value)


def apply() -> str:
    """Translate this run into the viewer's language (core included)."""
    return i18n.use(current())


def _viewer_language() -> str | None:
    """The session's language for core.i18n, inside a script run (a fragment's rerun included)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return current() if get_script_run_ctx(suppress_warning=True) is not None else None


i18n.set_viewer(_viewer_language)


def _picked(key: str) -> None:
    """Runs before the rerun, so the whole next run is drawn in the chosen language. Tapping the
    chosen one again would leave nothing chosen: the language stays as it was."""
    chosen = st.session_state.get(key)
    if i18n.is_language(chosen):
        st.session_state[LOGIN_LANGUAGE] = chosen
    else:
        st.session_state[key] = current()


def language_picker(*, key: str = "login_language") -> None:
    """English / Español, each named in its own language, on the login screen (before login)."""
    st.segmented_control(
        "Language / Idioma",
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        default=current(),
        key=key,
        selection_mode="single",
        on_change=_picked,
        args=(key,),
    )


# Role names (core.models.Role.label) are shown translated: marked here so they are extracted.
_ROLE_LABELS = (N_("Participant"), N_("Therapist"), N_("Family member"), N_("Program admin"))
# The periods of My progress and the practice log (their keys are also what the pages compare).
_PERIODS = (N_("2 weeks"), N_("4 weeks"), N_("Whole program"), N_("Everything"))


def skill_name(skill_id: str, english: str) -> str:
    """A skill's name in the viewer's language (the Spanish skills file when it exists)."""
    from core.skills import skill

    found = skill(skill_id, current())
    return found.name if found else english


_SAVED = "iop_language_saved"


def _save_account_language(user_id: int, key: str) -> None:
    """Runs before the rerun: saved, and the whole next run is drawn in the new language."""
    from core.accounts import set_language
    from core.db import session_scope
    from core.errors import ValidationError

    chosen = st.session_state.get(key)
    try:
        with session_scope() as session:
            saved = set_language(session, user_id=user_id, language=chosen)
    except ValidationError as exc:
        st.session_state[_SAVED] = ("error", "; ".join(exc.fields.values()))
        return
    st.session_state[VIEW_LANGUAGE] = saved
    st.session_state[LOGIN_LANGUAGE] = saved  # and the login screen, after logging out here
    st.session_state[_SAVED] = ("ok", saved)


def account_language_choice(actor) -> None:
    """My account: English or Español, for participants and family members; saved at once."""
    if actor.role not in CHOOSES_LANGUAGE:
        return
    st.subheader(_("Language"))
    key = "account_language"
    st.radio(
        _("Your screens are in"),
        list(LANGUAGES),
        index=list(LANGUAGES).index(current()),
        format_func=LANGUAGES.__getitem__,
        horizontal=True,
        key=key,
        on_change=_save_account_language,
        args=(actor.id, key),
    )
    outcome = st.session_state.pop(_SAVED, None)
    if outcome and outcome[0] == "ok":
        st.success(_("Saved. Your screens are now in English."), icon=":material/check_circle:")
    elif outcome:
        st.error(outcome[1])
    st.caption(
        _(
            "Check-ups without an official Spanish version stay in English, and say so. Your therapist "
            "sees which language you answered in."
        )
    )


LANGUAGE_NAMES_IN_ENGLISH = {"en": "English", "es": "Spanish"}


def answered_in(language: str | None) -> str:
    """For the therapist (English screens): "answered in Spanish", or "" for English."""
    if not language or language == i18n.ENGLISH:
        return ""
    return f"answered in {LANGUAGE_NAMES_IN_ENGLISH.get(language, language)}"
