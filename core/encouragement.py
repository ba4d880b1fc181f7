"""One short, factual, encouraging sentence under each chart of "My progress".

Rules for every sentence: true of the period the person chose; plain words; never a count of
missed days or a comparison that shames; when things are harder, say so calmly and point to the
therapist rather than dressing it up. Each function returns "" when there is nothing to say (the
chart's own empty state speaks then).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from core import clinical
from core.skills import skills_by_id

MEANINGFUL_CHANGE = 0.5   # a half-point move in an average (0-10 mood, 0-5 emotions) is worth naming
MIN_CARDS_TO_COMPARE = 4  # fewer cards than this: describe, don't compare halves


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


def mood(cards) -> str:
    if not cards:
        return ""
    if len(cards) >= MIN_CARDS_TO_COMPARE:
        earlier, later = (_mean(c.mood for c in half) for half in _halves(cards))
        if later - earlier >= MEANINGFUL_CHANGE:
            return f"Your mood averaged {later:.1f} lately, up from {earlier:.1f} earlier in this period."
    average = _mean(c.mood for c in cards)
    return (f"Your mood averaged {average:.1f} over {_plural(len(cards), 'diary card')}. "
            "Writing it down each day is what makes this picture.")


def urges(cards) -> str:
    if not cards:
        return ""
    urge_days = [c for c in cards if any((u or 0) > 0 for u, _ in c.urges.values())]
    if not urge_days:
        return "No urges were recorded in this period."
    held = sum(1 for c in urge_days if not any(a for _, a in c.urges.values()))
    if held == len(urge_days):
        return f"You had urges on {_plural(held, 'day')} and did not act on them once."
    if held:
        return (f"You had urges on {_plural(len(urge_days), 'day')} and did not act on them on "
                f"{held} of those days.")
    return ("You recorded every urge honestly. That honesty is where change starts; "
            "your therapist will look at the pattern with you.")


def emotions(cards) -> str:
    if not cards:
        return ""
    if len(cards) >= MIN_CARDS_TO_COMPARE:
        earlier, later = _halves(cards)
        eased = []
        for key, label in clinical.EMOTIONS.items():
            if key == "joy":
                continue
            before, after = (_mean(c.emotions.get(key) for c in half) for half in (earlier, later))
            if before is not None and after is not None and before - after >= MEANINGFUL_CHANGE:
                eased.append((before - after, label, before, after))
        joy_before, joy_after = (_mean(c.emotions.get("joy") for c in half) for half in (earlier, later))
        if eased:
            _, label, before, after = max(eased)
            return f"{label} eased from {before:.1f} to {after:.1f} on average over this period."
        if joy_before is not None and joy_after is not None and joy_after - joy_before >= MEANINGFUL_CHANGE:
            return f"Joy rose from {joy_before:.1f} to {joy_after:.1f} on average over this period."
    return (f"You rated your emotions on {_plural(len(cards), 'day')}. "
            "Naming how strong a feeling is, is a skill in itself.")


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
    return (f"You used skills on {len(with_skills)} of the {_plural(len(cards), 'day')} "
            f"you filled in a card{most}.")


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
    return ("Distress doesn't always fall right away after practice. Practising still builds the skill "
            "for the next hard moment.")


def adherence(cards) -> str:
    if not cards:
        return ""
    return (f"You filled in {_plural(len(cards), 'diary card')} in this period. "
            "Each one helps you and your therapist see the pattern.")


def checkup(kind: str, past) -> str:
    if not past:
        return ""
    name, latest, first = clinical.CHECKUP_NAMES[kind], past[-1], past[0]
    now = f"Your latest {name} score is {latest.total} ({latest.band.lower()})"
    if latest.change.marked_better:
        return f"{now}: a real improvement since your first check-up."
    if len(past) > 1 and latest.total < first.total:
        return f"{now}, down from {first.total} at your first check-up."
    return f"{now}. Your therapist sees these scores too and will go over them with you."
