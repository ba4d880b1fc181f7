"""One short, factual, encouraging sentence under each chart of "My progress".

Rules for every sentence: true of the period the person chose; plain words; never a count of
missed days or a comparison that shames. Every act is counted. When things are worse, say so
calmly first and point to the therapist and the safety plan; never lead with the one good number
(a good number may follow). Each function returns "" when there is nothing to say (the chart's
own empty state speaks then). Sentences are whole in the catalogue (core.i18n), in the reader's language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from statistics import fmean
from typing import Any

from core import clinical, i18n
from core.i18n import N_, _, ngettext
from core.skills import skills_by_id

MEANINGFUL_CHANGE = clinical.MEANINGFUL_CHANGE  # a half-point move in an average is worth naming
MIN_CARDS_TO_COMPARE = 4  # fewer cards than this: don't name an improvement (too little to go on)...
MIN_CARDS_FOR_WORSE = 2  # ...but a change for the worse is named from two cards on
TALK_IT_OVER = N_(
    "That's worth talking over with your therapist, and your safety plan is there if things feel like too much."
)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _halves(cards):
    middle = len(cards) // 2
    return cards[:middle], cards[middle:]


def first_card(cards) -> str:
    return "" if cards else _("Your charts will grow from your first diary card.")


def _halves_mean(cards, value: Callable[[Any], float | None]) -> tuple[float | None, float | None]:
    earlier, later = _halves(cards)
    return _mean(value(c) for c in earlier), _mean(value(c) for c in later)


def _halves_mean_all(cards, value: Callable[[Any], float]) -> tuple[float, float]:
    """Like _halves_mean for a value every card has (mood, the strongest urge): from two cards on
    both halves hold one, so both means exist."""
    earlier, later = _halves(cards)
    return fmean(map(value, earlier)), fmean(map(value, later))


def mood(cards) -> str:
    if not cards:
        return ""
    if len(cards) >= MIN_CARDS_FOR_WORSE:
        earlier, later = _halves_mean_all(cards, lambda c: c.mood)
        if earlier - later >= MEANINGFUL_CHANGE:
            return _("Your mood has been lower lately: {later:.1f} on average, down from {earlier:.1f}. {talk}").format(
                later=later, earlier=earlier, talk=_(TALK_IT_OVER)
            )
        if len(cards) >= MIN_CARDS_TO_COMPARE and later - earlier >= MEANINGFUL_CHANGE:
            return _("Your mood averaged {later:.1f} lately, up from {earlier:.1f} earlier in this period.").format(
                later=later, earlier=earlier
            )
    average = _mean(c.mood for c in cards)
    return ngettext(
        "Your mood averaged {average:.1f} over {n} diary card. Writing it down each day is what makes this picture.",
        "Your mood averaged {average:.1f} over {n} diary cards. Writing it down each day is what makes this picture.",
        len(cards),
    ).format(average=average, n=len(cards))


def _strongest(card) -> int:
    return max([u for u, _acted in card.urges.values() if isinstance(u, int)], default=0)


def urges(cards) -> str:
    """Acts first (every one counts, rated or not), then urges growing stronger, then what held."""
    if not cards:
        return ""
    act_days = [c for c in cards if any(a for _urge, a in c.urges.values())]
    urge_days = [c for c in cards if _strongest(c) > 0 or c in act_days]
    if not urge_days:
        return _("No urges were recorded in this period.")
    said = []
    if len(cards) >= MIN_CARDS_FOR_WORSE:
        earlier, later = _halves_mean_all(cards, _strongest)
        if later - earlier >= MEANINGFUL_CHANGE:
            said.append(
                _(
                    "Your urges have been stronger lately: the strongest each day averaged {later:.1f}, "
                    "up from {earlier:.1f}."
                ).format(later=later, earlier=earlier)
            )
    if act_days:
        said.append(
            ngettext(
                "You acted on an urge on {n} day in this period. Thank you for writing it down honestly.",
                "You acted on an urge on {n} days in this period. Thank you for writing it down honestly.",
                len(act_days),
            ).format(n=len(act_days))
        )
    if said:
        said.append(_("Please talk this over with your therapist, and use your safety plan when urges feel strong."))
        held = len(urge_days) - len(act_days)
        if held and act_days:
            said.append(
                ngettext(
                    "On {n} other day with urges, you held off.", "On {n} other days with urges, you held off.", held
                ).format(n=held)
            )
        elif not act_days:
            said.append(_("You didn't act on them."))
        return " ".join(said)
    return ngettext(
        "You had urges on {n} day and did not act on them once.",
        "You had urges on {n} days and did not act on them once.",
        len(urge_days),
    ).format(n=len(urge_days))


def _emotion(key: str) -> Callable[[Any], float | None]:
    return lambda card: card.emotions.get(key)


def emotions(cards) -> str:
    """An emotion that got worse is named first, whatever eased; joy falling counts as worse."""
    if not cards:
        return ""
    eased, worse, less_joy = [], [], False
    if len(cards) >= MIN_CARDS_FOR_WORSE:
        for key, label in clinical.EMOTIONS.items():
            before, after = _halves_mean(cards, _emotion(key))
            if before is None or after is None:
                continue
            change = (before - after) if key != "joy" else (after - before)  # positive = better
            if change <= -MEANINGFUL_CHANGE:
                if key == "joy":
                    less_joy = True
                else:
                    worse.append(label)
            elif change >= MEANINGFUL_CHANGE:
                eased.append((change, label, before, after, key))
    if worse or less_joy:
        if worse and less_joy:
            sentence = ngettext(
                "{names} was stronger lately than earlier in this period and joy was lower.",
                "{names} were stronger lately than earlier in this period and joy was lower.",
                len(worse),
            )
        elif worse:
            sentence = ngettext(
                "{names} was stronger lately than earlier in this period.",
                "{names} were stronger lately than earlier in this period.",
                len(worse),
            )
        else:
            sentence = _("Joy was lower.")
        sentence = sentence.format(names=_names(worse))
        return f"{sentence[0].upper()}{sentence[1:]} {_(TALK_IT_OVER)}"
    if len(cards) >= MIN_CARDS_TO_COMPARE and eased:
        difference, label, before, after, key = max(eased)
        sentence = (
            _("Joy rose from {before:.1f} to {after:.1f} on average over this period.")
            if key == "joy"
            else _("{emotion} eased from {before:.1f} to {after:.1f} on average over this period.")
        )
        return sentence.format(emotion=_(label), before=before, after=after)
    return ngettext(
        "You rated your emotions on {n} day. Naming how strong a feeling is, is a skill in itself.",
        "You rated your emotions on {n} days. Naming how strong a feeling is, is a skill in itself.",
        len(cards),
    ).format(n=len(cards))


def _names(labels: list[str]) -> str:
    labels = [_(label) for label in labels]
    return i18n.plain_list(labels[:1] + [label.lower() for label in labels[1:]])


def sleep(cards) -> str:
    nights = [c.sleep_hours for c in cards if c.sleep_hours is not None]
    if not nights:
        return ""
    return ngettext(
        "You recorded your sleep on {n} night, {average:.1f} hours on average.",
        "You recorded your sleep on {n} nights, {average:.1f} hours on average.",
        len(nights),
    ).format(n=len(nights), average=sum(nights) / len(nights))


def _top_module(skill_ids) -> str | None:
    names = skills_by_id(i18n.current())
    counts = Counter(names[s].module_name for s in skill_ids if s in names)
    return counts.most_common(1)[0][0] if counts else None


def skills_used(cards) -> str:
    if not cards:
        return ""
    with_skills = [c for c in cards if c.skills]
    if not with_skills:
        return _("When you try a skill, even briefly, tick it on your card: it shows you what works.")
    module = _top_module(s for c in with_skills for s in c.skills)
    if len(with_skills) == len(cards):
        return (
            _("You used skills on every day you filled in a card, most often from {module}.")
            if module
            else _("You used skills on every day you filled in a card.")
        ).format(module=module)
    if module:
        sentence = ngettext(
            "You used skills on {used} of the {n} day you filled in a card, most often from {module}.",
            "You used skills on {used} of the {n} days you filled in a card, most often from {module}.",
            len(cards),
        )
    else:
        sentence = ngettext(
            "You used skills on {used} of the {n} day you filled in a card.",
            "You used skills on {used} of the {n} days you filled in a card.",
            len(cards),
        )
    return sentence.format(used=len(with_skills), n=len(cards), module=module)


def practice(practised: list[tuple[date, str]]) -> str:
    if not practised:
        return _("Practice you log from a skill page or a coping tool shows up here.")
    module = _top_module(s for _day, s in practised)
    if module:
        sentence = ngettext(
            "You logged skills practice {n} time in this period, most often {module}.",
            "You logged skills practice {n} times in this period, most often {module}.",
            len(practised),
        )
    else:
        sentence = ngettext(
            "You logged skills practice {n} time in this period.",
            "You logged skills practice {n} times in this period.",
            len(practised),
        )
    return sentence.format(n=len(practised), module=module)


def helpfulness(entries) -> str:
    drops = [e.drop for e in entries if e.drop is not None]
    if not drops:
        return ""
    average = sum(drops) / len(drops)
    if average > 0:
        return _("On average your distress fell {average:.1f} points after practising.").format(average=average)
    return _(
        "Distress doesn't always fall right away after practice. Practising still builds the skill "
        "for the next hard moment."
    )


def adherence(cards) -> str:
    if not cards:
        return ""
    return ngettext(
        "You filled in {n} diary card in this period. Each one helps you and your therapist see the pattern.",
        "You filled in {n} diary cards in this period. Each one helps you and your therapist see the pattern.",
        len(cards),
    ).format(n=len(cards))


def checkup(kind: str, past) -> str:
    if not past:
        return ""
    latest, first = past[-1], past[0]
    facts = {
        "name": _(clinical.CHECKUP_NAMES[kind]),
        "total": latest.total,
        "band": _(latest.band).lower(),
        "first": first.total,
        "remission": clinical.REMISSION_BELOW.get(kind),
    }
    item9 = (
        latest.answers[clinical.PHQ9_ITEM9_INDEX]
        if kind == "phq9" and len(latest.answers) > clinical.PHQ9_ITEM9_INDEX
        else 0
    )
    if item9 and item9 >= clinical.PHQ9_ITEM9_ALERT_MIN:  # no praise beside thoughts of death or self-harm
        sentence = _(
            "Your latest {name} score is {total} ({band}). Your therapist sees your answers and will go over "
            "them with you; your safety plan is there too."
        )
    elif latest.change.marked_worse:
        sentence = _(
            "Your latest {name} score is {total} ({band}), higher than at your first check-up ({first}). "
            "Your therapist sees these scores and will go over them with you."
        )
    elif latest.change.remission and len(past) > 1:
        sentence = _("Your latest {name} score is {total} ({band}): under {remission}, the range called remission.")
    elif latest.change.marked_better:
        sentence = _("Your latest {name} score is {total} ({band}): a real improvement since your first check-up.")
    elif len(past) > 1 and latest.total < first.total:
        sentence = _("Your latest {name} score is {total} ({band}), down from {first} at your first check-up.")
    else:
        sentence = _(
            "Your latest {name} score is {total} ({band}). Your therapist sees these scores too and will go "
            "over them with you."
        )
    return sentence.format(**facts)


def goals(goal_list, ratings) -> str:
    """One factual sentence about the weekly goal ratings: how many goals were rated, and which moved
    since they were first rated (by number: the goals' words are listed beside the chart)."""
    if not goal_list:
        return ""
    rated = {r.goal_id for r in ratings}
    if not rated:
        return _("Rate each goal once a week on Today: 0 is not started, 10 is fully there.")
    moves = []
    for goal in goal_list:
        mine = [r.rating for r in ratings if r.goal_id == goal.id]
        if len(mine) >= 2 and mine[-1] != mine[0]:
            moved = (
                _("{goal} is up from {first} to {last}")
                if mine[-1] > mine[0]
                else _("{goal} is down from {first} to {last}")
            )
            moves.append(moved.format(goal=goal.label, first=mine[0], last=mine[-1]))
    n = len(rated & {g.id for g in goal_list})
    if moves:
        return ngettext(
            "{n} goal rated so far; since the first rating, {moves}.",
            "{n} goals rated so far; since the first rating, {moves}.",
            n,
        ).format(n=n, moves="; ".join(moves))
    return ngettext(
        "{n} goal rated so far; no change since the first rating yet.",
        "{n} goals rated so far; no change since the first rating yet.",
        n,
    ).format(n=n)
