"""The diary card form and the week grid, as Streamlit pieces. Rules live in core.diary."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import date, timedelta

import streamlit as st

from core import alerts, clinical, db, diary
from core.access import Actor
from core.db import session_scope
from core.diary import CardInput, CardView, Target
from core.errors import AccessDenied, ValidationError
from core.inputs import free_text
from core.program import user_today
from core.recovery import SUBSTANCE_TARGET, CardOptions
from core.skills import Module, skills_by_id
from ui import auth, crisis, i18n, layout, risk
from ui import recovery as recovery_ui
from ui.forms import FieldErrors, over_limit, with_limits
from ui.i18n import _, current, short_day, weekday
from ui.text import md

log = logging.getLogger("iop")

SCALE_0_5 = list(range(clinical.URGE_MIN, clinical.URGE_MAX + 1))
SCALE_0_10 = list(range(clinical.MOOD_MIN, clinical.MOOD_MAX + 1))


def day_label(day: date, today: date) -> str:
    if day == today:
        return _("Today")
    if day == today - timedelta(days=1):
        return _("Yesterday")
    return short_day(day)


def day_words(day: date, today: date) -> tuple[str, str]:
    """How the card's questions name its day: ("today", "last night") on today's card,
    ("yesterday", "the night before") on yesterday's — never "today" on a past day's card."""
    if day == today:
        return _("today"), _("last night")
    if day == today - timedelta(days=1):
        return _("yesterday"), _("the night before")
    return _("on {day}").format(day=short_day(day)), _("the night before")


DRAFTS = "diary_drafts"  # session state: day (ISO) -> CardInput not yet saved
DRAWN = "diary_drawn"  # session state: day (ISO) -> the answers the card's last run drew (CardInput)
LAST_SAVE = "card_last_save"  # session state: the day, answers and "made the card" of this session's last save
# ... and the answers a run has drawn but not yet seen to its end (`drawn_to_the_end`): a run cut short by
# the next tap leaves the browser showing part of it over the last whole run's elements.
DRAWING = "diary_drawing"
SHOWN_FAILURE = "diary_failure_shown"  # session state: a calm message is on the card (the next Save redraws it)


def draft_for(day: date) -> CardInput | None:
    return st.session_state.get(DRAFTS, {}).get(day.isoformat())


def forget_draft(day: date) -> None:
    st.session_state.get(DRAFTS, {}).pop(day.isoformat(), None)


def unsaved_days(days: list[date]) -> list[date]:
    """Days whose card has answers not saved yet (a draft is kept only while it differs)."""
    drafts = st.session_state.get(DRAFTS, {})
    return [d for d in days if d.isoformat() in drafts]


def _same(a: CardInput, b: CardInput, targets: list[Target]) -> bool:
    """The same answers, whether or not an unanswered question is written down as None."""

    def normal(c: CardInput) -> tuple:
        return (
            c.mood,
            tuple(c.emotions.get(k) for k in clinical.EMOTIONS),
            tuple(tuple(c.urges.get(t.key, (None, False))) for t in targets),
            c.craving,
            sorted(c.skills),
            c.sleep_hours,
            c.medication,
            free_text(c.note or ""),  # as stored: a note ending in a space is the note saved without it
            *recovery_ui.normal(c),
        )

    return normal(a) == normal(b)


_MISSING = object()


def _answers_in_state(
    day: date,
    targets: list[Target],
    modules: tuple[Module, ...],
    craving_on: bool,
    base: CardInput,
    options: CardOptions | None = None,
) -> CardInput | None:
    """The answers the browser sent for `day`'s card, read before anything is drawn (None if none).

    Read first thing in every run of the card: a tap on Yesterday can arrive in the same run as
    the last answer given on Today's card, and that run draws Yesterday, so Today's widgets, never
    drawn again, would take that answer with them at the end of the run."""
    k = day.isoformat()
    state = st.session_state

    def get(key, default):
        value = state.get(key, _MISSING)
        return default if value is _MISSING else value

    keys = [f"mood_{k}", f"note_{k}", *(f"{e}_{k}" for e in clinical.EMOTIONS)]
    if not any(key in state for key in keys):
        return None
    skills = [
        sid
        for module in modules
        for sid in get(f"skills_{module.id}_{k}", [x for x in base.skills if x in {s.id for s in module.skills}])
    ]
    return CardInput(
        mood=get(f"mood_{k}", base.mood),
        emotions={e: get(f"{e}_{k}", base.emotions.get(e)) for e in clinical.EMOTIONS},
        urges={
            t.key: (
                get(f"urge_{t.key}_{k}", base.urges.get(t.key, (None, False))[0]),
                get(f"acted_{t.key}_{k}", base.urges.get(t.key, (None, False))[1]),
            )
            for t in targets
        },
        craving=get(f"craving_{k}", base.craving) if craving_on else None,
        skills=skills,
        sleep_hours=get(f"sleep_{k}", base.sleep_hours),
        medication=get(f"medication_{k}", base.medication),
        note=get(f"note_{k}", base.note) or "",
        **recovery_ui.answers_in_state(get, k, base, options),
    )


def keep_drafts(
    days: list[date],
    saved: dict[date, CardView],
    *,
    targets: list[Target],
    modules: tuple[Module, ...],
    craving_on: bool,
    options: CardOptions | None = None,
) -> None:
    """Fold what the browser sent for every day's card into that day's draft (see above)."""
    drafts = st.session_state.setdefault(DRAFTS, {})
    for day in days:
        existing = saved.get(day)
        base = drafts.get(day.isoformat()) or (existing.as_input() if existing else CardInput(mood=None))
        entered = _answers_in_state(day, targets, modules, craving_on, base, options)
        if entered is None:
            continue
        if _same(entered, existing.as_input() if existing else CardInput(mood=None), targets):
            drafts.pop(day.isoformat(), None)
        else:
            drafts[day.isoformat()] = entered


TAPPED = "card_to_save"  # session state: (day, CardInput) whose Save was tapped, saved by the next run
CARD_FRAGMENT = "diary_card"  # the card's fragment (pages/today.py): an answer's tap reruns it alone
# Inside the card, two small fragments of their own (pages/today.py): the card's head (the day
# picker, with a • on each day not saved yet, and what the day's card is: filled in, or late) and its
# Save (the button, and "Saved" after it). A save changes what those two draw and nothing else, so a
# save is a run of those two alone: the card's answers (nineteen button groups, toggles, the note)
# are not drawn again, and keep in the browser what they show.
CARD_HEAD = "diary_card_head"
CARD_SAVE = "diary_card_save"
SAVE_RUN = [CARD_HEAD, CARD_SAVE]


def _tap_save(
    day: date,
    targets: list[Target],
    modules: tuple[Module, ...],
    craving_on: bool,
    existing: CardView | None,
    options: CardOptions | None = None,
) -> None:
    """Save's callback: runs before the script, with every answer the tap brought already in
    session state. It keeps what was entered for the save's run (`save_if_tapped` saves first in it),
    and names that run:

    - the card's head and Save alone (`SAVE_RUN`), when the answers pass the card's own checks and no
      field is marked: a save then changes nothing else the card draws. Should the save turn out to
      change more (refused after all, a crisis response, use recorded, a day that rolled over), that
      run asks for the whole page (`save_if_tapped(..., alone=True)`);
    - the card's whole fragment otherwise: the marks beside the fields are drawn (or taken away) with
      the fields themselves.

    A browser's tap inside Save's fragment asks for Save's run alone: naming the run here stops it
    before its body (nothing drawn yet) and starts the named one. AppTest's and the agent API's taps
    are whole-page runs, turned into the same run."""
    base = draft_for(day) or (existing.as_input() if existing else CardInput(mood=None))
    entered = _answers_in_state(day, targets, modules, craving_on, base, options) or base
    st.session_state[TAPPED] = (day, entered)
    marked = f"card_errors_{day}" in st.session_state
    # Save's run alone draws none of the answers: only when the card drawn for these answers looks as the
    # one last drawn does. An answer that reaches the server with the tap (a note typed and Save tapped at
    # once, a pick whose own run the tap overtook) may change what the card draws beside it (a warning, a
    # count, a follow-up question): the whole card's run draws it.
    # Only what a run drew to its end: a card drawn by a run the next tap cut short is partly the last run's
    # on the screen (Streamlit takes an element away only when a run that no longer draws it ends), so its
    # Save is the whole card's run, which takes what is left over away.
    shown = st.session_state.get(DRAWN, {}).get(day.isoformat())
    unfinished = day.isoformat() in st.session_state.get(DRAWING, {})
    unchanged = shown is not None and not unfinished and _drawn_alike(entered, shown)
    # (A calm message drawn in the card's run stays until that run is drawn again: the whole card's.)
    failed = st.session_state.pop(SHOWN_FAILURE, False)
    light = unchanged and not failed and not marked and _passes(entered, targets, craving_on, options)
    # (The whole card's run names Save's fragment too, nested in it and drawn by it: the run then says it
    # answers the tap's own fragment, which a browser's tap on Save asked for.)
    drawn = _registered(SAVE_RUN)  # (the card's two small fragments, drawn with it)
    wanted = SAVE_RUN if light and drawn else [CARD_FRAGMENT, CARD_SAVE] if drawn else [CARD_FRAGMENT]
    # (A run of the card's fragment already draws Save in it: a tap whose run is the card's is not stopped
    # to start the same card again.)
    if not _in_run(wanted) and not (wanted != SAVE_RUN and _in_the_cards_run()):
        st.rerun(wanted)  # from a callback: this tap's run is those fragments alone


def _drawn_alike(a: CardInput, b: CardInput) -> bool:
    """Whether the card's answers drawn for `a` look as those drawn for `b`, beyond what each widget shows of
    its own answer (which the browser already shows): the note's too-long warning, the skills' count in
    their expander's label, and the substance urge's follow-up questions (what, how much, what was going
    on) with the rest of what recovery asks. Anything else an answer changes on the card is a mark beside
    a field, which Save's run never takes alone (`_passes`, the marks on the screen)."""

    def drawn(c: CardInput) -> tuple:
        return (
            bool(over_limit(c.note or "", clinical.NOTE_MAX_CHARS)),
            sorted(set(c.skills)),
            tuple(c.urges.get(SUBSTANCE_TARGET, (None, False))),
            *recovery_ui.normal(c),
        )

    return drawn(a) == drawn(b)


def _passes(card: CardInput, targets: list[Target], craving_on: bool, options: CardOptions | None) -> bool:
    """Whether the card's own checks (core.diary.validate) find nothing to mark: the save's run then
    draws no mark beside a field. (The save checks again, and has the last word.)"""
    if not _drawable(card) or over_limit(card.note, clinical.NOTE_MAX_CHARS):
        return False
    try:
        return not diary.validate(card, targets=targets, craving_on=craving_on, options=options)
    except Exception:  # noqa: BLE001 - answers of a shape the checks cannot read: the card's run says why
        return False


def _fragments(keys: list[str]) -> tuple[list[str], list[str]]:
    """The fragment ids these keys name (empty when none is drawn yet), and the ids this run is a run of
    (empty for a whole-page run). Streamlit's internals: should they change, both come back empty, and
    the callers ask for the run they want (a run too many, never one too few)."""
    from streamlit.errors import StreamlitAPIException
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return [], []
    try:
        return list(ctx.fragment_storage.resolve_target(keys) or []), list(ctx.fragment_ids_this_run or [])
    except (StreamlitAPIException, AttributeError):
        return [], []


def _registered(keys: list[str]) -> bool:
    return bool(_fragments(keys)[0])


def _in_run(keys: list[str]) -> bool:
    """Whether this run already is exactly the run of these fragments (naming them again from a
    callback would stop the run and start it afresh: a second start of a run, for the same run)."""
    wanted, running = _fragments(keys)
    return bool(wanted) and running == wanted


def drawn_to_the_end(*, page: bool = False) -> None:
    """Called last in the page (`page`) and last in each of the card's fragments: when nothing can follow in
    this run, what the card's answers drew in it (`DRAWING`) is what the screen shows (`DRAWN`).

    Streamlit ends a run at its next element when a tap asks for another, and the browser then keeps the
    elements that run did not reach, and those it no longer drew (a note's "too long" warning, after the
    note was cut): it takes them away only when a run ends. A run's last line is past its last element, so
    a run that gets there is drawn whole: a page's run at the page's end; a run of fragments at the end of
    the last one it runs itself (one nested in another it runs is called by that one, and ends inside it).
    Should Streamlit's internals change, nothing is ever taken as drawn, and every Save is the whole card's
    run (a run too many, never a screen that says less than the truth)."""
    whole, last = _run_ends()
    if whole is None or (not whole if page else (whole or last is None or last != _fragment_running())):
        return
    drawing = st.session_state.pop(DRAWING, None)
    if drawing:
        st.session_state.setdefault(DRAWN, {}).update(drawing)


def _run_ends() -> tuple[bool | None, str | None]:
    """Whether this is a page's run (None: unknown), and for a run of fragments the last one it runs itself
    (Streamlit runs the ids asked for ancestors first, and skips one whose ancestor it has run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None:
            return None, None
        running = list(ctx.fragment_ids_this_run or [])
        if not running:
            return True, None
        asked = set(running)
        own = [f for f in running if not ctx.fragment_storage.has_ancestor_in(f, asked)]
        return False, own[-1] if own else None
    except Exception:  # noqa: BLE001 - Streamlit's internals changed: unknown, so nothing is taken as drawn
        return None, None


def _fragment_running() -> str | None:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        return ThreadState.get().fragment_id
    except Exception:  # noqa: BLE001 - as in _run_ends
        return None


def _in_the_cards_run() -> bool:
    """Whether this run is the card's fragment alone (a browser's tap on an answer asks for it)."""
    return _in_run([CARD_FRAGMENT])


def in_save_run() -> bool:
    """Whether this run is Save's alone (`SAVE_RUN`): the card's head then checks the login and saves
    first, as the card's fragment does in its own runs (in a run of the card or of the page, the card
    has done both before its head is drawn)."""
    return _in_run(SAVE_RUN)


def change_day() -> None:
    """The day picker's callback: another day's card is the card's whole fragment (the picker sits in
    the card's head, whose run alone would not draw the other day's answers)."""
    if not _in_the_cards_run() and _in_a_fragment_run():
        st.rerun([CARD_FRAGMENT])


def _in_a_fragment_run() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def card_to_save() -> tuple[date, CardInput] | None:
    """The card whose Save was tapped and is not saved yet (None when there is none).

    Left in session state until the save is done (`_tap_done`): Streamlit ends a running script at
    its next element when another request arrives (a tap inside a fragment preempts the run in
    progress), and the card's run alone draws an element before it saves (the login check's hidden
    container). A tap taken first would be lost with the run; left there, the next run saves it."""
    return st.session_state.get(TAPPED)


def _tap_done() -> None:
    st.session_state.pop(TAPPED, None)


def _records_use(card: CardInput | CardView | None) -> bool:
    """Whether a card records use: what the days-in-recovery counters count (core.recovery.counters)."""
    if card is None:
        return False
    pair = card.urges.get(SUBSTANCE_TARGET) if isinstance(card.urges, dict) else None
    acted = pair[1] if isinstance(pair, tuple | list) and len(pair) == 2 else False
    return bool(acted) or bool(card.use)


def _drawable(card: object) -> bool:
    """Whether the card can draw these answers again (its widgets read them as the browser sends
    them). Answers of another shape (session state forged, never a browser's) are refused by core
    all the same, but kept as the day's draft they would break the card on every run after."""
    return (
        isinstance(card, CardInput)
        and isinstance(card.urges, dict)
        and all(isinstance(p, tuple | list) and len(p) == 2 for p in card.urges.values())
        and isinstance(card.emotions, dict)
        and isinstance(card.skills, list | tuple)
    )


def _keep_as_draft(day: date, entered: CardInput) -> None:
    """What was tapped becomes the day's draft (unless it is of a shape the card cannot draw)."""
    if _drawable(entered):
        st.session_state.setdefault(DRAFTS, {})[day.isoformat()] = entered


def save_if_tapped(
    actor: Actor,
    *,
    today: date,
    saved: dict[date, CardView],
    options: CardOptions | None,
    page: str,
    alone: bool = False,
) -> None:
    """First thing in every run of the card's fragment: save the card whose Save was just tapped.

    A save is a run of the card alone (its fragment), not of the whole page: a crowd saving at once
    costs the server the card, not every screen's reads. That run does not go through app.py, so it
    opens its own unit of work (one transaction, the audit events written as the router writes them),
    after `start_card_run` has checked the login as the router does (a session logged out elsewhere, a
    changed password or a deactivated account saves nothing, keeps the answers as this day's draft,
    and the whole page shows the login). Whatever the save changed outside the card (a
    crisis response at the top of the page, the days-in-recovery counters above the card, a day that
    rolled over since the page was drawn) asks for a run of the whole page (`st.rerun()`): the card is
    committed by then and the tap done, so that run draws the saved card, "Saved" and the crisis
    response, once (the tap stays in session state until its save is done: see `card_to_save`).
    Inside a whole-page run (a tap merged into one) the router's unit and login check are this run's.

    `saved` is the page's read of the saved cards, which the card draws from: the saved day's card is
    read again into it, so the next runs of the card start from what was stored.

    `alone`: this is Save's run alone (`SAVE_RUN`: the card's head and Save, not its answers), which
    draws no mark beside a field: a save refused after all asks for the whole page, which does."""
    tapped = card_to_save()
    if tapped is None:
        return
    try:
        _save_tapped(tapped, actor, today=today, saved=saved, options=options, page=page, alone=alone)
    except Exception:
        _tap_done()  # a failure is shown (calm_errors) and not tried again by every run after it
        raise


_CARD_UNIT: ContextVar[bool] = ContextVar("iop_card_unit", default=False)


@contextmanager
def save_unit() -> Iterator[None]:
    """Save's run alone (`SAVE_RUN`): one unit of work for its login check and its save. The login
    check's read of the person is then the gate's too (one statement, one transaction less per save),
    as in a page run, where the router's unit holds both. (A run of the card alone that does not save,
    an answer's or another day's, keeps its login check in a unit of its own: it has nothing else.)"""
    with db.unit_of_work():
        token = _CARD_UNIT.set(True)
        try:
            yield
        finally:
            _CARD_UNIT.reset(token)


def _in_page_unit() -> bool:
    """Whether this runs in a page run's unit of work (the router's), not the card's own `save_unit`."""
    return db.in_unit_of_work() and not _CARD_UNIT.get()


def start_card_run(actor: Actor, *, page: str, keep: Callable[[], None] | None = None) -> Actor:
    """First thing in every run of the card alone: the login check app.py does for a page run, and
    the crisis response a page run was to draw.

    Every tap on the card (an answer, another day, Save) reruns the card alone, and it draws from
    what the page read when it was drawn: the last days' saved cards and notes. Unchecked, a phone
    whose login ended elsewhere (logged out, the password changed after it was lost, the account
    deactivated) would go on showing them, day by day, until a whole-page run. So each card run checks
    the login (one read of the person by id, in a unit of work of its own); a login that ended asks for
    the whole page, which shows the login. What was typed stays this day's draft, for the same person
    after they log in again; a Save tapped meanwhile is not kept as a tap (saved by a tap after the
    login, not before). `keep` folds what the browser sent into the days' drafts: a run of the card
    alone for an answer (the note's blur, sent just before a Save tapped at once) that meets the ended
    login draws no card, and would otherwise leave that answer behind.

    A risk response set by a save is drawn at the top of the page, at the end of the page's run; a
    tap that preempted that run leaves it waiting (`risk.waiting`), and a card run cannot draw it: it
    asks for the whole page, whose card saves the tap (if any) and which then draws the response.
    Inside a whole-page run the router's check is this run's: `actor` is returned. Inside `save_unit`
    the check is made in that unit (the save's)."""
    if _in_page_unit():
        return actor
    with nullcontext() if db.in_unit_of_work() else db.unit_of_work():
        checked = auth.current_actor()
    # This run's language, as app.py sets it for a page run: every text of the card is then one
    # look-up, not a look into the session's state.
    i18n.apply()
    if checked is None or checked.id != actor.id or auth.must_choose_password():
        if keep is not None:
            try:
                keep()
            except Exception:  # (what was typed may be lost; the login check's outcome may not)
                log.exception("the answers of a card whose login ended could not be kept")
        tapped = card_to_save()
        if tapped is not None:
            _keep_as_draft(*tapped)
        _tap_done()
        st.rerun()  # the whole page: the login (or the password to choose), then this card again
    if risk.waiting(page):
        st.rerun()
    return checked


def _save_tapped(
    tapped: tuple[date, CardInput],
    actor: Actor,
    *,
    today: date,
    saved: dict[date, CardView],
    options: CardOptions | None,
    page: str,
    alone: bool = False,
) -> None:
    day, entered = tapped
    # What was typed is this day's draft until the card is stored: a refusal, a login that lapsed, a
    # failure mid-save (the card is drawn again under the calm message) all keep it.
    _keep_as_draft(day, entered)
    uses = options is not None and (_records_use(saved.get(day)) or _records_use(entered))
    if _in_page_unit():  # a whole-page run: the router checked the login, and holds the unit
        whole_page = _save(actor, day, entered, today=today, saved=saved, options=options, page=page)
        _tap_done()
        if uses and whole_page is not None:  # the counters above the card were drawn before this save
            st.rerun()
        return
    own = db.in_unit_of_work()  # Save's run alone: `save_unit`, its login check's unit
    try:  # (`actor` is this run's own login check's: `start_card_run`, first thing in every card run)
        with nullcontext() if own else db.unit_of_work():
            with session_scope() as session:  # (read once per run: the save's own check reads no more)
                on_card = {t.key for t in diary.targets_for(session, actor.program_id)}
            outcome = _save(actor, day, entered, today=today, saved=saved, options=options, page=page)
            _tap_done()
            # The participant's today: as the save saw it (one transaction, no query), or, refused, as
            # the gate read it for the refusal (their zone is its fact of this run).
            now_today = outcome.today if outcome is not None else None
            if now_today is None:
                with session_scope() as session:
                    now_today = user_today(session, actor.id)
            rolled_over = now_today != today
    except AccessDenied as exc:
        # Refused by the gate (the refusal is on record: the unit wrote it as it rolled back), most
        # likely a discharge since the page was drawn: the page's guard, which this run skipped, decides
        # what is drawn now (Today's closing word). Should the page still draw the card, it says why.
        if own:
            db.fail()  # (the unit is `save_unit`'s: it ends with a rollback, the refusal on record)
        _tap_done()
        st.session_state[f"card_errors_{day}"] = {"form": str(exc)}
        st.rerun()
    # The program's card changed since the page was drawn (a behaviour retired or added): the card is
    # drawn again as the page draws it now. A behaviour no longer on it is not the person's to fix: its
    # mark goes (the answers typed stay, as the draft), and the next tap saves the card without it.
    drawn_with = set(entered.urges) if isinstance(entered.urges, dict) else on_card
    if drawn_with != on_card:
        errors = st.session_state.get(f"card_errors_{day}") or {}
        for key in drawn_with - on_card:
            errors.pop(f"urge_{key}", None)
        if not errors:
            st.session_state.pop(f"card_errors_{day}", None)
    # A day that rolled over asks for the whole page even when the save was refused: the days offered
    # are the new today's (a card refused for a day now out of the window can never be saved here).
    if rolled_over or drawn_with != on_card:
        st.rerun()
    if outcome is None:  # refused: the marks and the draft are the card's own, unless risk was routed
        if alone or st.session_state.get(risk.PENDING, {}).get("page") == page:
            st.rerun()  # (Save's run alone draws no field: the whole page draws the marks)
    elif outcome.risk.risky or uses:
        st.rerun()


def _save(
    actor: Actor,
    day: date,
    entered: CardInput,
    *,
    today: date,
    saved: dict[date, CardView],
    options: CardOptions | None,
    page: str,
) -> diary.SaveResult | None:
    """Save the card in this run's unit of work: None if refused (the fields are marked, the draft
    and widgets untouched, risk answers routed all the same), else what the save did.

    A double tap saves once (the card is an upsert on participant and day) and says "Saved" once.
    One transaction and one commit: the card and the days with a card for the streak come back from
    the save (core.diary.save_card), and the saved card becomes the page's saved card for that day
    as it was written (what a read back would give), so the card's next runs start from it."""
    with session_scope() as session:
        try:
            result = diary.save_card(
                session,
                actor,
                participant_id=actor.id,
                day=day,
                card=entered,
                language=current(),
                recent_days=diary.STREAK_DAYS,
            )
        except ValidationError as exc:
            # Still marked after the crisis dialog closes; a note over the limit says how much to cut.
            st.session_state[f"card_errors_{day}"] = with_limits(
                exc.fields, {"note": (entered.note, clinical.NOTE_MAX_CHARS)}
            )
            risk.respond(actor, alerts.risk_of(exc), page=page)  # risk answers are routed all the same
            return None
    if result.stored is not None:
        saved[day] = result.stored
    st.session_state.pop(f"card_errors_{day}", None)
    forget_draft(day)
    risk.respond(actor, result.risk, page=page)
    # A second tap of the same answers is the same save, whether its run comes before the first
    # "Saved" is drawn or after (a double tap's second run can be delivered once the first is drawn):
    # a card this session has just made is "Saved" again, never "Changes saved".
    last = st.session_state.get(LAST_SAVE)
    again = bool(last and last["day"] == day and last["created"] and last["answers"] == entered)
    st.session_state[LAST_SAVE] = {"day": day, "answers": entered, "created": result.created or again}
    st.session_state["card_saved"] = {
        "day": day,
        "created": result.created or again,
        "risky": result.risk.risky,
        "streak": diary.streak(set(result.days_with_cards), today),
    }
    return result


@contextmanager
def calm_errors(actor: Actor) -> Iterator[None]:
    """The card's own calm-error boundary: a run of the card alone does not go through app.py's
    (ui.layout.run_safely), and inside a whole-page run Streamlit would draw a fragment's exception
    itself before app.py's boundary saw it. What was typed stays in the session (the drafts); the
    person sees the calm message and the crisis lines, never a traceback."""
    try:
        yield
    except AccessDenied as exc:
        st.session_state[SHOWN_FAILURE] = True
        st.warning(str(exc))
    except Exception as exc:
        st.session_state[SHOWN_FAILURE] = True
        log.exception("the diary card failed")
        db.fail()  # a whole-page run's unfinished writes are undone (a card's own unit already was)
        st.error(_(layout.DB_DOWN if layout.is_database_error(exc) else layout.UNEXPECTED))
        crisis.resources_panel(actor.program_id, fallback=True)


def card_form(
    *,
    day: date,
    today: date,
    existing: CardView | None,
    targets: list[Target],
    craving_on: bool,
    modules: tuple[Module, ...],
    errors: FieldErrors,
    options: CardOptions | None = None,
) -> None:
    """Draw the card's answers (Save is `save_button`, drawn after them in a fragment of its own).

    Not an `st.form`: a form's answers live only in the browser until it is submitted, so moving to
    another day's card or another screen threw them away. Each answer reaches the server as it is
    given and is kept as this day's draft for the session (`DRAFTS`), so switching between Today
    and Yesterday, or opening the safety plan mid-card, loses nothing. The page draws this in a
    fragment, so a tap reruns the card alone.
    """
    start = draft_for(day) or (existing.as_input() if existing else CardInput(mood=None))
    k = day.isoformat()
    when, night = day_words(day, today)
    mood = st.pills(
        _("**Overall mood {when}** · 0 = worst, 10 = best").format(when=when),
        SCALE_0_10,
        default=start.mood,
        key=f"mood_{k}",
    )
    errors.slot("mood")

    st.markdown(_("**Emotions at their strongest** · 0 = none, 5 = extreme"))
    emotions = {}
    for key, label in clinical.EMOTIONS.items():
        emotions[key] = st.segmented_control(
            _(label), SCALE_0_5, default=start.emotions.get(key), key=f"{key}_{k}", width="stretch"
        )
        errors.slot(key)

    st.markdown(_("**Urges** · 0 = none, 5 = extreme"))
    urges = {}
    use: dict = {}
    triggers: list[str] = []
    for target in targets:
        urge, acted = start.urges.get(target.key, (None, False))
        value = st.segmented_control(
            md(_(target.label)), SCALE_0_5, default=urge, key=f"urge_{target.key}_{k}", width="stretch"
        )
        did = st.toggle(_("Acted on it"), value=acted, key=f"acted_{target.key}_{k}")
        urges[target.key] = (value, did)
        errors.slot(f"urge_{target.key}")
        if options is not None and target.key == SUBSTANCE_TARGET:  # what, how much, what was going on
            # (in a place of its own in every run, empty when not asked: see the note's warning below)
            use, triggers = recovery_ui.use_fields(
                k=k, start=start, urge=value, acted=did, options=options, errors=errors, place=st.empty()
            )

    craving = None
    if craving_on:
        craving = st.pills(
            _("**Craving** · 0 = none, 10 = strongest"), SCALE_0_10, default=start.craving, key=f"craving_{k}"
        )
        errors.slot("craving")

    chosen = set(start.skills)
    # The skills' four pickers (dozens of options) are built only while their expander is open (a
    # stateful expander: tapping it reruns the card, whose run then builds or leaves them): most taps
    # on the card do not pay for them. What was picked is the day's draft (or its saved card) while
    # they are folded away, so closing the expander loses nothing, and Save saves it.
    # The label carries the count, and a stateful expander's identity includes its label and its
    # starting state: each is given as the person left it (`expanded` from its own state), so a new
    # count never folds it shut under the person's thumb.
    opened = f"skills_open_{k}"
    with st.expander(
        (_("**Skills I used {when}** · {n} chosen") if chosen else _("**Skills I used {when}**")).format(
            when=when, n=len(chosen)
        ),
        key=opened,
        on_change="rerun",
        expanded=st.session_state.get(opened) is True,
    ) as folded:
        if folded.open:
            skills: list[str] = []
            names = skills_by_id(current())
            for module in modules:
                picked = st.pills(
                    module.name,
                    [s.id for s in module.skills],
                    selection_mode="multi",
                    default=[s.id for s in module.skills if s.id in chosen],
                    format_func=lambda sid: names[sid].name,
                    key=f"skills_{module.id}_{k}",
                )
                skills.extend(picked)
        else:
            skills = list(start.skills)
    errors.slot("skills")

    sleep = st.number_input(
        _("Hours of sleep {night}").format(night=night),
        min_value=clinical.SLEEP_MIN_HOURS,
        max_value=clinical.SLEEP_MAX_HOURS,
        step=0.5,
        value=start.sleep_hours,
        placeholder=_("Tap to enter"),
        key=f"sleep_{k}",
    )
    errors.slot("sleep_hours")
    medication = st.segmented_control(
        _("Took medication as prescribed"),
        list(clinical.MEDICATION_CHOICES),
        format_func=lambda value: _(clinical.MEDICATION_CHOICES[value]),
        default=start.medication,
        key=f"medication_{k}",
        width="stretch",
    )
    errors.slot("medication")
    mat = recovery_ui.mat_fields(k=k, start=start, options=options, errors=errors) if options is not None else {}
    # No max_chars: a browser given more than max_chars (a paste) keeps nothing at all. Whatever
    # is typed stays; a note over the limit is marked at once with how much to cut.
    note = st.text_area(
        _("Note · you and your therapist can read it"),
        value=start.note,
        placeholder=_("Anything you want to remember or tell your therapist"),
        help=_("Only you and your therapist can read this note."),
        key=f"note_{k}",
    )
    errors.slot("note")
    # The warning's place is kept in every run (an empty one when the note fits): the next run puts what it
    # draws there in its place. Left out, the warning would go only when the browser clears what a run no
    # longer drew, which it skips for a run when another tap's run is already asked for (a note cut and Save
    # tapped at once: Save's run alone, which does not draw the note, left "20 more than fit" beside "Saved").
    warning = st.empty()
    too_long = over_limit(note, clinical.NOTE_MAX_CHARS)
    if too_long:
        warning.warning(too_long, icon=":material/content_cut:")

    entered = CardInput(
        mood=mood,
        emotions=emotions,
        urges=urges,
        craving=craving,
        skills=skills,
        sleep_hours=sleep,
        medication=medication,
        note=note or "",
        use=use,
        triggers=triggers,
        mat=mat,
    )
    st.session_state.setdefault(DRAWING, {})[k] = entered  # DRAWN once the run has ended (drawn_to_the_end)
    saved_input = existing.as_input() if existing else CardInput(mood=None)
    drafts = st.session_state.setdefault(DRAFTS, {})
    if not _same(entered, saved_input, targets):
        drafts[k] = entered  # kept for the session, whatever day or screen comes next
    else:
        drafts.pop(k, None)


def save_button(
    *,
    day: date,
    targets: list[Target],
    modules: tuple[Module, ...],
    craving_on: bool,
    existing: CardView | None,
    options: CardOptions | None = None,
) -> None:
    """The card's Save (drawn under the card, in a fragment of its own: see `_tap_save`)."""
    k = day.isoformat()
    # One label and key whatever the card's state: a button whose identity changed between
    # runs would drop the tap that submitted it.
    st.button(
        _("Save my card"),
        type="primary",
        width="stretch",
        key=f"save_{k}",
        on_click=_tap_save,
        args=(day, targets, modules, craving_on, existing, options),
    )


CALM, WARM = "47, 111, 115", "214, 110, 60"  # teal for good things, orange for intensity
EMPTY_CELL = '<td class="empty">·</td>'


def _cell(value: float | None, high: float, hue: str, text: str | None = None) -> str:
    """One heat-coloured cell; stronger colour for a higher value. Text is escaped."""
    if value is None:
        return EMPTY_CELL
    alpha = 0.10 + 0.6 * min(max(value / high, 0), 1)
    return f'<td style="background: rgba({hue}, {alpha:.2f})">{html.escape(text or f"{value:g}")}</td>'


def _urge_cell(card: CardView | None, key: str) -> str:
    urge, acted = card.urges.get(key, (None, False)) if card else (None, False)
    if urge is None and not acted:
        return EMPTY_CELL
    text = f"{'' if urge is None else urge}{' ✔' if acted else ''}".strip()
    return _cell(urge or 0, clinical.URGE_MAX, WARM, text)


MEDICATION_CELLS = {"yes": ("✔", CALM, 0.35), "no": ("✘", WARM, 0.55), "not_prescribed": ("n/p", None, 0.0)}


def _medication_cell(card: CardView | None) -> str:
    """Taken as prescribed: ✔ yes, ✘ no (coloured), n/p not prescribed, · not answered."""
    if card is None or card.medication not in MEDICATION_CELLS:
        return EMPTY_CELL
    mark, hue, alpha = MEDICATION_CELLS[card.medication]
    style = f' style="background: rgba({hue}, {alpha})"' if hue else ""
    return f"<td{style}>{html.escape(mark)}</td>"


def week_grid(cards: list[CardView], week_start: date, targets: list[Target], craving_on: bool) -> str:
    """The paper card's grid: fields down the side, the week's days across. Escaped HTML."""
    by_day = {c.day: c for c in cards}
    days = [week_start + timedelta(days=n) for n in range(7)]
    week = [by_day.get(d) for d in days]

    def row(label: str, value, high: float, hue: str) -> tuple[str, list[str]]:
        return label, [_cell(value(c) if c else None, high, hue) for c in week]

    rows = [row(_("Mood"), lambda c: c.mood, clinical.MOOD_MAX, CALM)]
    rows += [
        row(
            _(label).split(" /")[0],
            lambda c, k=key: c.emotions.get(k),
            clinical.EMOTION_MAX,
            CALM if key == "joy" else WARM,
        )
        for key, label in clinical.EMOTIONS.items()
    ]
    rows += [(_("{target} urge").format(target=_(t.label)), [_urge_cell(c, t.key) for c in week]) for t in targets]
    if craving_on:
        rows.append(row(_("Craving"), lambda c: c.craving, clinical.CRAVING_MAX, WARM))
    rows.append(row(_("Skills used"), lambda c: len(c.skills), 5, CALM))
    rows.append(row(_("Sleep (h)"), lambda c: c.sleep_hours, 9, CALM))
    rows.append((_("Medication"), [_medication_cell(c) for c in week]))
    head = "".join(f"<th>{html.escape(weekday(d))}<br>{d.day}</th>" for d in days)
    legend = html.escape(
        _(
            "✔ = acted on the urge · Medication: ✔ taken as prescribed, ✘ not, n/p not prescribed · "
            "· = no card, or not rated"
        )
    )
    body = "".join(f"<tr><th class='f'>{html.escape(name)}</th>{''.join(cells)}</tr>" for name, cells in rows)
    return f"""<style>
.iop-grid {{ width: 100%; border-collapse: collapse; font-size: 0.8rem; table-layout: fixed; }}
.iop-grid th, .iop-grid td {{ border: 1px solid #dde3e2; padding: 4px 2px; text-align: center; }}
.iop-grid th.f {{ text-align: left; width: 6.5rem; font-weight: 600; overflow-wrap: anywhere; }}
.iop-grid td.empty {{ color: #9aa5a6; }}
</style><table class="iop-grid"><thead><tr><th class="f"></th>{head}</tr></thead><tbody>{body}</tbody></table>
<p style="font-size:0.75rem;color:#5b6b6d">{legend}</p>"""
