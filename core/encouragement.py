"""One short, factual, encouraging sentence under each chart of "My progress".

Rules for every sentence: true of the period the person chose; plain words; never a count of
missed days or a comparison that shames. Every act is counted. When things are worse, say so
calmly first and point to the therapist and the safety plan; never lead with the one good number
(a good number may follow). Each function returns "" when there is nothing to say (the chart's
own empty state speaks then).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from statistics import fmean
from typing import Any

from core import clinical
from core.skills import skills_by_id

MEANINGFUL_CHANGE = clinical.MEANINGFUL_CHANGE  # a half-point move in an average is worth naming
MIN_CARDS_TO_COMPARE = 4  # fewer cards than this: don't name an improvement (too little to go on)...
MIN_CARDS_FOR_WORSE = 2  # ...but a change for the worse is named from two cards on
TALK_IT_OVER = (
    "That's worth talking over with your therapist, and your safety plan is there if things feel like too much."
)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _halves(cards):
    middle = len(cards) // 2
    return cards[:middle], cards[middle:]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def first_card(cards) -> str:
    return "" if cards else "Your charts will grow from your first diary card."


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
            return f"Your mood has been lower lately: {later:.1f} on average, down from {earlier:.1f}. {TALK_IT_OVER}"
        if len(cards) >= MIN_CARDS_TO_COMPARE and later - earlier >= MEANINGFUL_CHANGE:
            return f"Your mood averaged {later:.1f} lately, up from {earlier:.1f} earlier in this period."
    average = _mean(c.mood for c in cards)
    return (
        f"Your mood averaged {average:.1f} over {_plural(len(cards), 'diary card')}. "
        "Writing it down each day is what makes this picture."
    )


def _strongest(card) -> int:
    return max([u for u, _ in card.urges.values() if isinstance(u, int)], default=0)


def urges(cards) -> str:
    """Acts first (every one counts, rated or not), then urges growing stronger, then what held."""
    if not cards:
        return ""
    act_days = [c for c in cards if any(a for _, a in c.urges.values())]
    urge_days = [c for c in cards if _strongest(c) > 0 or c in act_days]
    if not urge_days:
        return "No urges were recorded in this period."
    said = []
    if len(cards) >= MIN_CARDS_FOR_WORSE:
        earlier, later = _halves_mean_all(cards, _strongest)
        if later - earlier >= MEANINGFUL_CHANGE:
            said.append(
                f"Your urges have been stronger lately: the strongest each day averaged {later:.1f}, "
                f"up from {earlier:.1f}."
            )
    if act_days:
        said.append(
            f"You acted on an urge on {_plural(len(act_days), 'day')} in this period. Thank you for "
            "writing it down honestly."
        )
    if said:
        said.append("Please talk this over with your therapist, and use your safety plan when urges feel strong.")
        held = len(urge_days) - len(act_days)
        if held and act_days:
            said.append(f"On {_plural(held, 'other day')} with urges, you held off.")
        elif not act_days:
            said.append("You didn't act on them.")
        return " ".join(said)
    return f"You had urges on {_plural(len(urge_days), 'day')} and did not act on them once."


def _emotion(key: str) -> Callable[[Any], float | None]:
    return lambda card: card.emotions.get(key)


def emotions(cards) -> str:
    """An emotion that got worse is named first, whatever eased; joy falling counts as worse."""
    if not cards:
        return ""
    eased, worse = [], []
    if len(cards) >= MIN_CARDS_FOR_WORSE:
        for key, label in clinical.EMOTIONS.items():
            before, after = _halves_mean(cards, _emotion(key))
            if before is None or after is None:
                continue
            change = (before - after) if key != "joy" else (after - before)  # positive = better
            if change <= -MEANINGFUL_CHANGE:
                worse.append(label if key != "joy" else "less joy")
            elif change >= MEANINGFUL_CHANGE:
                eased.append((change, label, before, after, key))
    if worse:
        named = [w for w in worse if w != "less joy"]
        parts = []
        if named:
            parts.append(
                f"{_names(named)} {'was' if len(named) == 1 else 'were'} stronger lately than earlier in this period"
            )
        if "less joy" in worse:
            parts.append("joy was lower")
        sentence = " and ".join(parts)
        return sentence[0].upper() + sentence[1:] + f". {TALK_IT_OVER}"
    if len(cards) >= MIN_CARDS_TO_COMPARE and eased:
        difference, label, before, after, key = max(eased)
        verb = "rose" if key == "joy" else "eased"
        return f"{label} {verb} from {before:.1f} to {after:.1f} on average over this period."
    return (
        f"You rated your emotions on {_plural(len(cards), 'day')}. "
        "Naming how strong a feeling is, is a skill in itself."
    )


def _names(labels: list[str]) -> str:
    labels = [labels[0]] + [label.lower() for label in labels[1:]]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def sleep(cards) -> str:
    nights = [c.sleep_hours for c in cards if c.sleep_hours is not None]
    if not nights:
        return ""
    return (
        f"You recorded your sleep on {_plural(len(nights), 'night')}, {sum(nights) / len(nights):.1f} hours on average."
    )


def _top_module(skill_ids) -> str | None:
    names = skills_by_id()
    counts = Counter(names[s].module_name for s in skill_ids if s in names)
    return counts.most_common(1)[0][0] if counts else None


def skills_used(cards) -> str:
    if not cards:
        return ""
    with_skills = [c for c in cards if c.skills]
    if not with_skills:
        return "When you try a skill, even briefly, tick it on your card: it shows you what works."
    module = _top_module(s for c in with_skills for s in c.skills)
    most = f", most often from {module}" if module else ""
    if len(with_skills) == len(cards):
        return f"You used skills on every day you filled in a card{most}."
    return f"You used skills on {len(with_skills)} of the {_plural(len(cards), 'day')} you filled in a card{most}."


def practice(practised: list[tuple[date, str]]) -> str:
    if not practised:
        return "Practice you log from a skill page or a coping tool shows up here."
    module = _top_module(s for _, s in practised)
    most = f", most often {module}" if module else ""
    return f"You logged skills practice {_plural(len(practised), 'time')} in this period{most}."


def helpfulness(entries) -> str:
    drops = [e.drop for e in entries if e.drop is not None]
    if not drops:
        return ""
    average = sum(drops) / len(drops)
    if average > 0:
        return f"On average your distress fell {average:.1f} points after practising."
    return (
        "Distress doesn't always fall right away after practice. Practising still builds the skill "
        "for the next hard moment."
    )


def adherence(cards) -> str:
    if not cards:
        return ""
    return (
        f"You filled in {_plural(len(cards), 'diary card')} in this period. "
        "Each one helps you and your therapist see the pattern."
    )


def checkup(kind: str, past) -> str:
    if not past:
        return ""
    name, latest, first = clinical.CHECKUP_NAMES[kind], past[-1], past[0]
    now = f"Your latest {name} score is {latest.total} ({latest.band.lower()})"
    item9 = (
        latest.answers[clinical.PHQ9_ITEM9_INDEX]
        if kind == "phq9" and len(latest.answers) > clinical.PHQ9_ITEM9_INDEX
        else 0
    )
    if item9 and item9 >= clinical.PHQ9_ITEM9_ALERT_MIN:  # no praise beside thoughts of death or self-harm
        return f"{now}. Your therapist sees your answers and will go over them with you; your safety plan is there too."
    if latest.change.marked_worse:
        return (
            f"{now}, higher than at your first check-up ({first.total}). Your therapist sees these scores and "
            "will go over them with you."
        )
    if latest.change.remission and len(past) > 1:
        return f"{now}: under {clinical.REMISSION_BELOW[kind]}, the range called remission."
    if latest.change.marked_better:
        return f"{now}: a real improvement since your first check-up."
    if len(past) > 1 and latest.total < first.total:
        return f"{now}, down from {first.total} at your first check-up."
    return f"{now}. Your therapist sees these scores too and will go over them with you."


def goals(goal_list, ratings) -> str:
    """One factual sentence about the weekly goal ratings: how many goals were rated, and which moved
    since they were first rated (by number: the goals' words are listed beside the chart)."""
    if not goal_list:
        return ""
    rated = {r.goal_id for r in ratings}
    if not rated:
        return "Rate each goal once a week on Today: 0 is not started, 10 is fully there."
    moves = []
    for goal in goal_list:
        mine = [r.rating for r in ratings if r.goal_id == goal.id]
        if len(mine) >= 2 and mine[-1] != mine[0]:
            direction = "up" if mine[-1] > mine[0] else "down"
            moves.append(f"{goal.label} is {direction} from {mine[0]} to {mine[-1]}")
    counted = f"{_plural(len(rated & {g.id for g in goal_list}), 'goal')} rated so far"
    if moves:
        return f"{counted}; since the first rating, " + "; ".join(moves) + "."
    return f"{counted}; no change since the first rating yet."
