"""Clinical thresholds and rules, in one place. The UI, the alerts and the tests read them here.

These need sign-off from the program's medical director (see shared/docs/clinical.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.i18n import N_  # marks the words people read for translation (shown through _())

# --- Diary card scales -------------------------------------------------------------------
MOOD_MIN, MOOD_MAX = 0, 10
EMOTION_MIN, EMOTION_MAX = 0, 5
URGE_MIN, URGE_MAX = 0, 5
CRAVING_MIN, CRAVING_MAX = 0, 10
SLEEP_MIN_HOURS, SLEEP_MAX_HOURS = 0.0, 24.0
NOTE_MAX_CHARS = 2000
LATE_WINDOW_DAYS = 2  # today, plus this many days back, can be filled in
EMOTIONS = {  # key -> label, in the order of the paper card
    "sadness": N_("Sadness"),
    "anxiety": N_("Anxiety / fear"),
    "anger": N_("Anger"),
    "shame": N_("Shame"),
    "joy": N_("Joy"),
}
MEDICATION_CHOICES = {"yes": N_("Yes"), "no": N_("No"), "not_prescribed": N_("Not prescribed")}
MEDICATION_ADHERENCE_ANSWERS = ("yes", "no")  # what adherence counts; "not prescribed" counts neither way
# Targets every program starts with; programs may add more (and retire them, keeping history).
DEFAULT_TARGETS = (
    ("suicidal_thoughts", N_("Suicidal thoughts")),
    ("self_harm", N_("Self-harm")),
    ("substance_use", N_("Substance use")),
)


class Severity(StrEnum):
    URGENT = "urgent"  # review now (same hour where staffed)
    SAME_DAY = "same_day"  # review today
    REVIEW = "review"  # review before the next session

    @property
    def rank(self) -> int:
        return {"urgent": 0, "same_day": 1, "review": 2}[self.value]

    @property
    def label(self) -> str:
        return {"urgent": N_("Urgent"), "same_day": N_("Today"), "review": N_("Review")}[self.value]


# What a program may attach to one of its card targets: nothing, a review, or an urgent alert.
RULE_SEVERITIES = {"none": "No alert", "review": "Review alert", "urgent": "Urgent alert"}


# --- Risk rules for the diary card's targets ------------------------------------------------
# Design (clinical.md §2): a suicide or self-harm urge of 4-5 follows the PHQ-9 item-9 path, and
# so does acting on one. Every target has a rule; a program sets the rules of the targets it adds.
RISK_URGE_THRESHOLD = 4  # a suicidal-thoughts or self-harm urge at or above this opens an alert
ACTED_LEVEL = 1  # "acted" has one level: any act is the same signal


@dataclass(frozen=True)
class TargetRule:
    """When a target's answers open an alert: an urge at or above `min_urge` (with
    `urge_severity`), and/or acting on it (with `acted_severity`). None: that part never alerts."""

    min_urge: int | None = None
    urge_severity: Severity | None = None
    acted_severity: Severity | None = None
    acted_words: str = "acted on the urge"
    followup: bool = False  # offer the structured suicide-risk follow-up when it fires

    @property
    def alerts(self) -> bool:
        return self.urge_severity is not None or self.acted_severity is not None

    def describe(self) -> str:
        parts = []
        if self.urge_severity is not None and self.min_urge is not None:
            parts.append(f"urge {self.min_urge}+ → {self.urge_severity.label.lower()}")
        if self.acted_severity is not None:
            parts.append(f"acted → {self.acted_severity.label.lower()}")
        return "; ".join(parts) or "no alert"


# The two safety targets are clinical rules, not program settings: a program cannot lower them.
SAFETY_TARGETS = ("suicidal_thoughts", "self_harm")
DEFAULT_TARGET_RULES: dict[str, TargetRule] = {
    "suicidal_thoughts": TargetRule(RISK_URGE_THRESHOLD, Severity.URGENT, Severity.URGENT, followup=True),
    "self_harm": TargetRule(RISK_URGE_THRESHOLD, Severity.URGENT, Severity.URGENT),
    # A lapse: any use after a period of abstinence carries overdose risk (tolerance falls), so
    # acting on a substance-use urge opens a review by default; the program may change it.
    "substance_use": TargetRule(
        None, None, Severity.REVIEW, acted_words="used (a lapse; overdose risk is higher after a break)"
    ),
}
NO_RULE = TargetRule()


def rule_from_settings(min_urge: int | None, urge_severity: str, acted_severity: str) -> TargetRule:
    """A program-set rule as stored on the target ("none" means no alert)."""

    def sev(value: str) -> Severity | None:
        return None if value in (None, "", "none") else Severity(value)

    return TargetRule(min_urge, sev(urge_severity), sev(acted_severity))


def check_rule_settings(min_urge, urge_severity, acted_severity) -> dict[str, str]:
    """Errors in a program's rule for one target (empty when it is valid)."""
    errors: dict[str, str] = {}
    for name, value in (("urge_severity", urge_severity), ("acted_severity", acted_severity)):
        if not isinstance(value, str) or value not in RULE_SEVERITIES:
            errors[name] = f"Choose one of: {', '.join(RULE_SEVERITIES.values())}."
    if min_urge is not None and (
        isinstance(min_urge, bool) or not isinstance(min_urge, int) or not 1 <= min_urge <= URGE_MAX
    ):
        errors["min_urge"] = f"The urge level is a whole number from 1 to {URGE_MAX}."
    elif min_urge is None and urge_severity not in (None, "none") and "urge_severity" not in errors:
        errors["min_urge"] = "Choose the urge level that should open an alert."
    elif min_urge is not None and urge_severity in (None, "none") and "urge_severity" not in errors:
        errors["urge_severity"] = "Choose what an urge this strong should open, or clear the level."
    return errors


@dataclass(frozen=True)
class Reason:
    """One thing that makes an alert: plain words for the therapist, with the rating behind it."""

    key: str  # e.g. "urge:self_harm", "acted:self_harm", "phq9_item9"
    severity: Severity
    text: str
    level: int  # how strong (the urge, 1 for an act, the item-9 answer, a total)
    followup: bool = False  # the structured suicide-risk follow-up should be offered

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "severity": self.severity.value,
            "text": self.text,
            "level": self.level,
            "followup": self.followup,
        }

    @classmethod
    def of(cls, data: dict) -> Reason:
        return cls(
            str(data["key"]),
            Severity(data["severity"]),
            str(data["text"]),
            int(data["level"]),
            bool(data.get("followup")),
        )


def rises(before: list[Reason], now: list[Reason]) -> bool:
    """Is anything in `now` new, or stronger than it was in `before`? (A new alert is owed.)"""
    levels = {r.key: r.level for r in before}
    return any(r.key not in levels or r.level > levels[r.key] for r in now)


def merge(before: list[Reason], now: list[Reason]) -> list[Reason]:
    """Everything an alert has been about, each at its strongest (order: first seen)."""
    merged = {r.key: r for r in before}
    for r in now:
        if r.key not in merged or r.level >= merged[r.key].level:
            merged[r.key] = r
    return list(merged.values())


def _urge_words(urge: int | None) -> str:
    return "urge not rated" if urge is None else f"urge {urge} of {URGE_MAX}"


def diary_reasons(
    urges: dict[str, tuple[int | None, bool]], targets: dict[str, tuple[str, TargetRule]]
) -> list[Reason]:
    """What a card's urges fire. `urges`: target key -> (urge 0-5 or None, acted);
    `targets`: target key -> (label, rule). Unknown targets and bad values are ignored here
    (validation reports them): risk is read from whatever answers are usable."""
    fired = []
    for key, (label, rule) in targets.items():
        urge, acted = urges.get(key, (None, False))
        if isinstance(urge, bool) or not isinstance(urge, int) or not URGE_MIN <= urge <= URGE_MAX:
            urge = None
        if rule.urge_severity is not None and rule.min_urge is not None and urge is not None and urge >= rule.min_urge:
            fired.append(
                Reason(
                    f"urge:{key}",
                    rule.urge_severity,
                    f"{label}: urge rated {urge} of {URGE_MAX} on the diary card",
                    urge,
                    rule.followup,
                )
            )
        if rule.acted_severity is not None and acted is True:
            fired.append(
                Reason(
                    f"acted:{key}",
                    rule.acted_severity,
                    f"{label}: {rule.acted_words} ({_urge_words(urge)})",
                    ACTED_LEVEL,
                    rule.followup,
                )
            )
    return fired


def card_latest(urges: dict[str, tuple[int | None, bool]], targets: dict[str, tuple[str, TargetRule]]) -> str:
    """The card's current answers for every target that can alert: what an open alert shows as
    'latest', so an edited card never leaves an alert showing an old rating."""
    parts = []
    for key, (label, rule) in targets.items():
        if not rule.alerts:
            continue
        urge, acted = urges.get(key, (None, False))
        urge = urge if isinstance(urge, int) and not isinstance(urge, bool) else None
        parts.append(f"{label} {'–' if urge is None else urge}/{URGE_MAX}{', acted' if acted is True else ''}")
    return "Latest on the card: " + "; ".join(parts) if parts else ""


def crisis_words_reason(where: str) -> Reason:
    """A free-text match: the fact of it, never the words (`where` names the field, not its text)."""
    return Reason(
        f"crisis_words:{where}",
        Severity.REVIEW,
        f"Words in the {where} matched the crisis-word screen (not quoted here)",
        1,
    )


# --- Structured suicide-risk follow-up ----------------------------------------------------------
# Offered (never forced) after PHQ-9 item 9 >= 1 or a suicidal-thoughts trigger on the card.
# Our own words, NOT the C-SSRS: the C-SSRS's electronic use is licensed exclusively (Clario
# sublicenses it for a fee and certifies each electronic implementation:
# https://clario.com/about/legal-and-privacy/c-ssrs-licensing-application), so this covers the same
# ground (wish to be dead, active thoughts, method, intent, plan, recent behaviour) in plain words.
FOLLOWUP_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("wish_dead", N_("In the past month, have there been times you wanted to be dead, or not to wake up?")),
    ("thoughts", N_("In the past month, have you had thoughts about ending your life?")),
    ("method", N_("Have you thought about a way you might do it?")),
    ("intent", N_("Have you felt you might really act on those thoughts?")),
    ("plan", N_("Have you worked out any details of how or when?")),
    (
        "behaviour",
        N_(
            "In the past three months, have you done anything to end your life or to get ready to "
            "— for example saved up pills, got hold of a weapon, written a goodbye note, or started "
            "and stopped?"
        ),
    ),
)
FOLLOWUP_SHORT = {
    "wish_dead": "Wished to be dead",
    "thoughts": "Thoughts of ending life",
    "method": "Thought of a way",
    "intent": "Might act on them",
    "plan": "Details of a plan",
    "behaviour": "Did something in the past 3 months",
}
FOLLOWUP_AFTER_THOUGHTS = ("method", "intent", "plan")  # asked only when "thoughts" is yes


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


# Derived level (our rule, the usual screening triage): intent, a plan or recent behaviour = high;
# a method in mind = moderate; a wish to be dead or thoughts alone = low.
FOLLOWUP_SEVERITY = {RiskLevel.HIGH: Severity.URGENT, RiskLevel.MODERATE: Severity.SAME_DAY}


def check_followup(answers: dict) -> dict[str, str]:
    errors = {}
    if not isinstance(answers, dict):
        return {"answers": "Answers are missing."}
    unknown = set(answers) - {k for k, _ in FOLLOWUP_QUESTIONS}
    if unknown:
        errors["answers"] = "Unknown question."
    needed = ["wish_dead", "thoughts", "behaviour"]
    if answers.get("thoughts") is True:
        needed += list(FOLLOWUP_AFTER_THOUGHTS)
    for key in needed:
        if not isinstance(answers.get(key), bool):
            errors[key] = "Please answer yes or no."
    return errors


def followup_level(answers: dict) -> RiskLevel:
    yes = {k for k, v in answers.items() if v is True}
    if not answers.get("thoughts"):
        yes -= set(FOLLOWUP_AFTER_THOUGHTS)  # not asked, so not counted
    if yes & {"intent", "plan", "behaviour"}:
        return RiskLevel.HIGH
    if "method" in yes:
        return RiskLevel.MODERATE
    if yes & {"wish_dead", "thoughts"}:
        return RiskLevel.LOW
    return RiskLevel.NONE


# --- Caseload flags ------------------------------------------------------------------------------
MISSED_CARD_DAYS = 3  # no card for this many days opens a "missed check-in" alert
MOOD_WINDOW_DAYS = 7  # the caseload's mood average covers this many days, compared with the ones before
MOOD_DROP_FLAG = 1.5  # 7-day mood average this much below the week before: "worsening"
ADHERENCE_DAYS = 14  # the caseload's card adherence: % of this many days (fewer, for someone newer) with a card
# A half-point move in an average (0-10 mood, 0-5 emotions) is worth naming: the caseload's mood
# arrow turns up or down, and "My progress" says it in words (core.encouragement).
MEANINGFUL_CHANGE = 0.5

# --- How far back screens look ------------------------------------------------------------------
HISTORY_WEEKS = 8  # a therapist's review and the participant's report cover this many weeks
# The periods "My progress" and the practice log offer, in days counted back from today (today
# included); the third choice ("Whole program", "Everything") is not a number of days.
PERIOD_DAYS = {N_("2 weeks"): 14, N_("4 weeks"): 28}  # shown through _()


def period_start(today: date, period: str | None) -> date | None:
    """The first day of a period PERIOD_DAYS names (today is its last day); None for any other choice."""
    days = PERIOD_DAYS.get(period or "")
    return None if days is None else today - timedelta(days=days - 1)


# --- Weekly check-ups (PHQ-9, GAD-7, craving scale) ------------------------------------------
CHECKUP_INTERVAL_DAYS = 7  # default; a program may change it
CHECKUP_INTERVAL_RANGE = (3, 28)  # what a program may choose (the admin's form; a CHECK on the table)
CHECKUP_LATE_DAYS = 2  # a check-up may be taken up to this many days after it falls due

# (lowest total, band) in ascending order; a total belongs to the last band whose floor it reaches.
PHQ9_BANDS = (
    (0, N_("Minimal")),
    (5, N_("Mild")),
    (10, N_("Moderate")),
    (15, N_("Moderately severe")),
    (20, N_("Severe")),
)
GAD7_BANDS = ((0, N_("Minimal")), (5, N_("Mild")), (10, N_("Moderate")), (15, N_("Severe")))
PACS_BANDS = ((0, N_("Low")), (15, N_("High")))  # 15+: best balance of sensitivity and specificity
# Substance-use screeners (sources in core/content/screeners.yaml), at intake and on request only.
# AUDIT-C (Bush 1998; Bradley 2003): each item 0-4, total 0-12; a positive screen is 4 or more for
# men and 3 or more for women. The app does not record sex, and asking for it only to pick a
# cut-off would be intrusive, so a 3 is its own band that names the women's cut-off in words and
# the therapist reads it with what they know; 4 or more is positive for everyone.
AUDITC_POSITIVE_WOMEN = 3
AUDITC_POSITIVE_MEN = 4
AUDITC_BANDS = (
    (0, N_("Below the cut-offs")),
    (AUDITC_POSITIVE_WOMEN, N_("At the women's cut-off")),
    (AUDITC_POSITIVE_MEN, N_("Positive screen")),
)
# DAST-10 (Skinner 1982): 10 yes/no items, one point each; item 3 ("always able to stop") scores
# a point for "No". Bands: 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe.
DAST10_REVERSED_ITEMS = (2,)  # 0-based: item 3
DAST10_BANDS = (
    (0, N_("No problems reported")),
    (1, N_("Low level")),
    (3, N_("Moderate level")),
    (6, N_("Substantial level")),
    (9, N_("Severe level")),
)
SCREENER_KINDS = ("auditc", "dast10")

MAX_TOTAL = {"phq9": 27, "gad7": 21, "pacs": 30, "auditc": 12, "dast10": 10}
CHECKUP_NAMES = {
    "phq9": "PHQ-9",
    "gad7": "GAD-7",
    "pacs": N_("Craving scale"),
    "auditc": "AUDIT-C",
    "dast10": "DAST-10",
}
# What each measures, in a word (family see "PHQ-9 (mood)"; the Review explains the screeners).
CHECKUP_TOPICS = {
    "phq9": N_("mood"),
    "gad7": N_("worry"),
    "pacs": N_("craving"),
    "auditc": N_("alcohol"),
    "dast10": N_("drugs"),
}
BANDS = {"phq9": PHQ9_BANDS, "gad7": GAD7_BANDS, "pacs": PACS_BANDS, "auditc": AUDITC_BANDS, "dast10": DAST10_BANDS}

PHQ9_RELIABLE_CHANGE = 5  # points (Löwe 2004: 2 standard errors of measurement)
GAD7_MCID = 4  # points: minimal clinically important difference (Toussaint 2020)
GAD7_RELIABLE_CHANGE = 6  # points: reliable change index, 5.59 rounded up (Bischoff 2020)
# The change marked on charts and in words, per measure: (points from intake, what it is called).
CHANGE_MARKERS: dict[str, tuple[int, str]] = {
    "phq9": (PHQ9_RELIABLE_CHANGE, "reliable change"),
    "gad7": (GAD7_MCID, "minimal clinically important difference"),
}
PHQ9_RESPONSE_DROP = 0.5  # response: at least a 50% drop from intake...
PHQ9_RESPONSE_MAX = 9  # ...and a total of 9 or less (McMillan 2010)
# Remission: a total in the minimal band (PHQ-9 < 5, GAD-7 < 5), the usual threshold.
REMISSION_BELOW = {"phq9": 5, "gad7": 5}
PHQ9_ITEM9_INDEX = 8  # "Thoughts that you would be better off dead..." (0-based)
PHQ9_ITEM9_ALERT_MIN = 1  # any answer above "Not at all" alerts a clinician, whatever the total
PHQ9_WORSENING_POINTS = 5  # worse than intake by this much opens a "worsening" alert
# Alerting on worsening uses a change beyond measurement noise: PHQ-9 5 (reliable change), GAD-7 6
# (its reliable change index; the 4-point MCID marks the chart but is within noise for one person).
WORSENING_POINTS = {"phq9": PHQ9_WORSENING_POINTS, "gad7": GAD7_RELIABLE_CHANGE}

# Plain words for the participant, by band.
BAND_WORDS = {
    "Minimal": N_("Few or no symptoms right now."),
    "Mild": N_("Some symptoms — worth keeping an eye on."),
    "Moderate": N_("A noticeable amount — your therapist will look at this with you."),
    "Moderately severe": N_("A lot to carry right now — your therapist will talk this through with you."),
    "Severe": N_("Very hard right now — your therapist will talk this through with you soon."),
    "Low": N_("Craving was on the lower side this week."),
    "High": N_("Craving was strong this week — worth talking over with your therapist."),
    # Screeners: what the answers describe, never a verdict on the person.
    "Below the cut-offs": N_("Your answers are below the level where this check-up suggests a closer look."),
    "At the women's cut-off": N_(
        "Your answers are at the level where, for women, this check-up suggests a "
        "closer look (for men it is one point higher). Your therapist will go over "
        "it with you."
    ),
    "Positive screen": N_(
        "Your answers are at the level where this check-up suggests a closer look at "
        "drinking. That's useful to know — your therapist will go over it with you."
    ),
    "No problems reported": N_("You didn't report problems with drug use in the past year."),
    "Low level": N_("A few answers touched on drug use. Your therapist can go over them with you."),
    "Moderate level": N_(
        "Some answers point to drug use causing problems. That's useful to know — your "
        "therapist will go over it with you."
    ),
    "Substantial level": N_(
        "Many answers point to drug use causing problems. Thank you for answering openly — "
        "your therapist will go over it with you."
    ),
    "Severe level": N_(
        "Most answers point to drug use causing problems. Thank you for answering openly — "
        "your therapist will go over it with you, and you don't have to sort it out alone."
    ),
}


# Beside a positive item 9 the total's band words ("Few or no symptoms") would contradict the
# crisis panel: these are shown instead.
ITEM9_WORDS = N_(
    "You told us about thoughts of being better off dead or of hurting yourself. That matters "
    "more than the total — your therapist will follow up with you."
)


BAND_MAX_CHARS = 32  # the column size; a test checks every band fits


def screener_total(kind: str, answers: list[int]) -> int:
    """A screener's total from the answers as chosen (each the index of its choice, "No" = 0 and
    "Yes" = 1 on the DAST-10): DAST-10 item 3 counts a point for "No"."""
    if kind == "dast10":
        return sum(1 - a if i in DAST10_REVERSED_ITEMS else a for i, a in enumerate(answers))
    return sum(answers)


def band(kind: str, total: int) -> str:
    found = BANDS[kind][0][1]
    for floor, name in BANDS[kind]:
        if total >= floor:
            found = name
    return found


def band_ranges(kind: str) -> list[tuple[int, int, str]]:
    """(lowest total, highest total, band) for each band of a measure, from BANDS and MAX_TOTAL."""
    bands = BANDS[kind]
    return [
        (floor, bands[i + 1][0] - 1 if i + 1 < len(bands) else MAX_TOTAL[kind], name)
        for i, (floor, name) in enumerate(bands)
    ]


def screeners_in_words() -> str:
    """What the substance-use screeners' totals mean, for the therapist (from the constants above)."""
    dast = ", ".join(
        f"{low if low == high else f'{low}–{high}'} {name.lower()}" for low, high, name in band_ranges("dast10")
    )
    return (
        f"{CHECKUP_NAMES['auditc']} ({CHECKUP_TOPICS['auditc']}, 0–{MAX_TOTAL['auditc']}): a positive screen is "
        f"{AUDITC_POSITIVE_MEN} or more for men, {AUDITC_POSITIVE_WOMEN} or more for women. "
        f"{CHECKUP_NAMES['dast10']} ({CHECKUP_TOPICS['dast10']}, 0–{MAX_TOTAL['dast10']}): {dast}."
    )


@dataclass(frozen=True)
class Change:
    """How a total compares with the intake total."""

    from_intake: int | None  # positive = worse
    marked_worse: bool = False  # worse by the measure's marker (CHANGE_MARKERS)
    marked_better: bool = False
    response: bool = False  # PHQ-9 only
    remission: bool = False  # PHQ-9 / GAD-7 below REMISSION_BELOW


def remission(kind: str, total: int) -> bool:
    return kind in REMISSION_BELOW and total < REMISSION_BELOW[kind]


def change_from_intake(kind: str, intake: int | None, total: int) -> Change:
    in_remission = remission(kind, total)
    if intake is None:
        return Change(None, remission=in_remission)
    diff = total - intake
    threshold = CHANGE_MARKERS[kind][0] if kind in CHANGE_MARKERS else None
    response = (
        kind == "phq9" and intake > 0 and total <= PHQ9_RESPONSE_MAX and (intake - total) >= PHQ9_RESPONSE_DROP * intake
    )
    return Change(
        diff,
        marked_worse=threshold is not None and diff >= threshold,
        marked_better=threshold is not None and -diff >= threshold,
        response=response,
        remission=in_remission,
    )


def item9_reason(answer: int, answer_words: str) -> Reason:
    return Reason(
        "phq9_item9",
        Severity.URGENT,
        f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered '{answer_words}'",
        answer,
        followup=True,
    )


def checkup_reasons(kind: str, answers: Sequence[int | None], choices: list[str]) -> list[Reason]:
    """What a check-up's answers fire at once, even when other items are still blank (item 9)."""
    if kind != "phq9" or len(answers) <= PHQ9_ITEM9_INDEX:
        return []
    item9 = answers[PHQ9_ITEM9_INDEX]
    if isinstance(item9, bool) or not isinstance(item9, int) or not 0 <= item9 < len(choices):
        return []
    return [item9_reason(item9, choices[item9])] if item9 >= PHQ9_ITEM9_ALERT_MIN else []


def worsening_reason(kind: str, total: int, intake: int | None) -> Reason | None:
    """A total worse than intake by WORSENING_POINTS: one open alert per person and measure."""
    points = WORSENING_POINTS.get(kind)
    if points is None or intake is None or total - intake < points:
        return None
    return Reason(
        f"{kind}_worsening",
        Severity.REVIEW,
        f"{CHECKUP_NAMES[kind]} total {total} is {total - intake} points worse than at intake ({intake})",
        total,
    )


# --- Skills practice and coping tools -------------------------------------------------------------
DISTRESS_MIN, DISTRESS_MAX = 0, 10  # distress (or an urge's strength) before and after practice
HELPED_CHOICES = {"yes": N_("Yes"), "a_bit": N_("A bit"), "no": N_("No")}
PRACTICE_SITUATION_MAX = 120
PRACTICE_NOTE_MAX = 1000
PRACTICE_EDIT_DAYS = 0  # an entry can be changed on the day it was logged only
STILL_STRONG_AFTER = 7  # an urge this strong after surfing: point to the safety plan
# CBT thought record (seven columns); emotions and belief are rated 0–100 %.
THOUGHT_INTENSITY_MIN, THOUGHT_INTENSITY_MAX = 0, 100
THOUGHT_EMOTIONS_MAX = 3
THOUGHT_LIMITS = {
    "situation": 300,
    "automatic_thought": 500,
    "evidence_for": 1000,
    "evidence_against": 1000,
    "balanced_thought": 500,
    "emotion": 40,
}
HOMEWORK_NOTE_MAX = 300
HOMEWORK_DUE_MAX_DAYS = 365  # a due date is within a year (a typo like 2062 is refused)
# Paced breathing as TIPP teaches it: about 5-6 breaths a minute, the out-breath longer than the
# in-breath, no breath-holding (holds such as 4-7-8 can bring on air hunger during panic).
# (label, seconds in, seconds hold, seconds out).
BREATHING_PATTERNS = (
    (N_("In 4 · out 6 · 6 a minute"), 4, 0, 6),
    (N_("In 5 · out 7 · 5 a minute"), 5, 0, 7),
    (N_("In 3 · out 5 · a gentler start"), 3, 0, 5),
)
BREATHS_PER_MINUTE_MAX = 8  # the gentler start is 7.5 a minute; nothing faster is offered
BREATHING_MINUTES = (1, 2, 3, 5)
URGE_SURF_MINUTES = (3, 5, 10)
URGE_SURF_DEFAULT_MINUTES = 5  # the timer's default; the skill's practice prompt names the same number
# --- Attendance -----------------------------------------------------------------------------------
# A new participant's program start date: within this many days of today (a typo guard).
ENROLMENT_START_MAX_DAYS = 365
SESSION_KINDS = {"group": N_("Group"), "individual": N_("Individual"), "family": N_("Family session")}
ATTENDANCE_STATUSES = {"present": "Present", "late": "Late", "absent": "Absent", "excused": "Excused"}
ATTENDED = frozenset({"present", "late"})  # what counts as coming to a session
ATTENDANCE_BACKFILL_DAYS = 14  # a session can be recorded up to this many days later
# --- The program's arc: schedule, enrolment, discharge (core/schedule.py, core/enrolment.py) --------
# An IOP runs 3-5 days a week at about 3 hours a day for 8-12 weeks (clinical.md §5); the admin sets
# the program's own pattern within these bounds.
PROGRAM_WEEKS_RANGE = (1, 26)


def program_weeks(stored: int) -> int:
    """A program's length as stored, read within PROGRAM_WEEKS_RANGE: one written straight into the
    table (a script, an import; the schedule form keeps it in range) made the calendar feed overflow
    the date and the session generator loop over millions of days."""
    return min(max(stored, PROGRAM_WEEKS_RANGE[0]), PROGRAM_WEEKS_RANGE[1])


# A time of day stored as minutes after midnight (a reminder, quiet hours, a session's start and end):
# 24:00 is no time of day (`time(24, 0)` raises), so the last one is 23:59. The tables CHECK it.
MINUTE_OF_DAY_RANGE = (0, 24 * 60 - 1)
WEEKDAY_RANGE = (0, 6)  # 0 = Monday

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SLOTS_MAX = 14  # weekly group sessions in one pattern
SESSION_MINUTES_MAX = 6 * 60  # one session; longer is a partial-hospitalization day, not an IOP group
ONE_OFF_KINDS = ("individual", "family")  # what a therapist adds by hand (group sessions are generated)
SESSION_AHEAD_DAYS = 366  # a one-off session can be planned up to a year ahead
DISCHARGE_STATUSES = {
    "completed": "Completed the program",
    "stepped_down": "Stepped down to a lower level of care",
    "left_against_advice": "Left against advice",
    "transferred": "Transferred",
}
ENROLMENT_STATES = {"enrolled": "Enrolled", "active": "Active", "discharged": "Discharged"}
# A discharge day for someone with no start date on file is not before their account was made, nor
# more than the longest program (PROGRAM_WEEKS_RANGE) and a four-week margin ago: a mistyped year
# would otherwise close their access at once.
DISCHARGE_LOOKBACK_DAYS = PROGRAM_WEEKS_RANGE[1] * 7 + 28
DISCHARGE_ACCESS_DAYS = 90  # default: days a discharged participant still reads their own record
DISCHARGE_ACCESS_RANGE = (0, 730)
# --- Program dashboard: small numbers (core/dashboard.py) ----------------------------------------
# A figure computed from 1 to MIN_CELL_SIZE - 1 people is not shown ("fewer than 5"): in a cohort of two,
# an average PHQ-9 change is one person's. CMS's cell-size rule for released data is 11 (no cell of 1-10,
# ResDAC "CMS Cell Size Suppression Policy"); the Manitoba Centre for Health Policy suppresses five or
# fewer. This dashboard is internal — seen only by the program's admin and its therapists, who are the
# program's workforce — and an IOP cohort is 8-12 people, so 11 would hide nearly every cohort figure; 5 is
# the usual floor for internal reporting and still hides the one-, two- and three-person cells that point
# at someone. Zero is shown (it identifies no one). A cell that would give a hidden one away by
# subtraction from a shown total is hidden too (core/dashboard.py: _complementary).
MIN_CELL_SIZE = 5
# --- Notifications (core/notify.py) -------------------------------------------------------------
# An urgent alert emails the participant's therapist at once; unacknowledged this many minutes
# after that, it goes to the program's clinical lead. A program may set its own window.
ESCALATION_MINUTES = 30
ESCALATION_MINUTES_RANGE = (5, 240)
# Review-level alerts and missed check-ins wait for the therapist's digest: the next working
# morning (Monday to Friday) from this hour, in the program's time zone — and only in the morning
# (a worker that was down until the afternoon leaves it to the next morning, which lists them all).
DIGEST_HOUR = 8
DIGEST_UNTIL_HOUR = 12
WORKING_DAYS = frozenset({0, 1, 2, 3, 4})
# --- Treatment-plan goals (core/goals.py) ----------------------------------------------------------
# Therapist and participant agree on a few goals, each with a measurable "how we'll know"; the
# participant rates progress on each once a week. 1–5 goals keep the plan focused (issue #19).
GOALS_MIN = 1
GOALS_MAX = 5
GOAL_TEXT_MAX = 200
GOAL_MEASURE_MAX = 200
GOAL_RATING_RANGE = (0, 10)  # 0 = no progress yet, 10 = fully there
GOAL_RATING_LATE_WEEKS = 1  # last week's rating can still be given (or changed) this week
# --- Relapse-prevention and aftercare plan (core/aftercare.py) -----------------------------------
AFTERCARE_ITEM_MAX = 200
AFTERCARE_ITEMS_MAX = 12
AFTERCARE_MEDICATION_MAX = 1000
AFTERCARE_APPOINTMENT_MAX_DAYS = 365  # a continuing-care appointment is booked within a year


# --- Dual diagnosis: use on the card, lapses, recovery counters, MAT (core/recovery.py) --------------
# What a program may list on the card (clinical.md §2: "record what and how much, including PRN and
# over-the-counter medications"). A program chooses which of SUBSTANCES its card offers; the two
# medicine kinds are always offered where substance use is tracked.
SUBSTANCES = {
    "alcohol": N_("Alcohol"),
    "cannabis": N_("Cannabis"),
    "opioids": N_("Opioids"),
    "stimulants": N_("Stimulants"),
    "benzodiazepines": N_("Benzodiazepines"),
    "other": N_("Another drug"),
}
MEDICINE_USE = {
    "prn": N_("An as-needed medicine, beyond what's prescribed"),
    "otc": N_("An over-the-counter medicine, to change how I feel"),
}
USE_KINDS = {**SUBSTANCES, **MEDICINE_USE}
# Plain units and the range a rough amount may take, per substance (the first unit is offered first).
# Ranges are wide enough for a heavy day and refuse typos (a 400 where 4 was meant).
USE_UNITS = {"drinks": N_("drinks"), "times": N_("times"), "pills": N_("pills"), "doses": N_("doses")}
USE_AMOUNTS: dict[str, dict[str, tuple[int, int]]] = {
    "alcohol": {"drinks": (1, 40)},  # standard drinks
    "cannabis": {"times": (1, 20)},
    "opioids": {"times": (1, 20), "pills": (1, 40)},
    "stimulants": {"times": (1, 20)},
    "benzodiazepines": {"pills": (1, 40), "times": (1, 20)},
    "other": {"times": (1, 20), "pills": (1, 40)},
    "prn": {"doses": (1, 20)},
    "otc": {"doses": (1, 20)},
}
# What was going on (relapse prevention, clinical.md §3): external cues (people, places, things),
# feelings, and HALT — Hungry, Angry, Lonely, Tired.
TRIGGERS = {
    "people": N_("People"),
    "places": N_("Places"),
    "things": N_("Things that remind me"),
    "feelings": N_("Feelings"),
    "hungry": N_("Hungry"),
    "angry": N_("Angry"),
    "lonely": N_("Lonely"),
    "tired": N_("Tired"),
}
HALT = ("hungry", "angry", "lonely", "tired")
# Lapse alerts, per substance used (the card's "acted" on substance use already opens a review):
# - opioids: tolerance falls within days of stopping, so a return to the old dose can be fatal
#   (NIDA; WHO "Community management of opioid overdose" 2014) -> the care team looks today;
# - benzodiazepines: respiratory depression, above all with opioids or alcohol -> today;
# - stimulants: the US stimulant supply is widely contaminated with fentanyl (CDC) -> today;
# - opioids together with benzodiazepines or alcohol on the same day: the combination the FDA's
#   2016 boxed warning is about (overdose risk multiplies) -> urgent;
# - alcohol, cannabis, another drug, as-needed and over-the-counter medicines -> review.
LAPSE_SEVERITY: dict[str, Severity] = {
    "opioids": Severity.SAME_DAY,
    "benzodiazepines": Severity.SAME_DAY,
    "stimulants": Severity.SAME_DAY,
}
LAPSE_DEFAULT_SEVERITY = Severity.REVIEW
LAPSE_URGENT_COMBINATIONS: tuple[frozenset[str], ...] = (
    frozenset({"opioids", "benzodiazepines"}),
    frozenset({"opioids", "alcohol"}),
)
# Naloxone information goes to participants whose program's card lists these (fentanyl in stimulants).
NALOXONE_SUBSTANCES = frozenset({"opioids", "stimulants"})
# Days-in-recovery counters: per substance the participant chooses, or everything at once ("any":
# any use recorded on the card, medicines taken to change how one feels included, and any day the
# card's substance-use urge was acted on even when what was used is not named).
COUNTER_ANY = "any"
COUNTER_KINDS = {COUNTER_ANY: N_("Alcohol and drugs"), **SUBSTANCES}
RECOVERY_MILESTONES = (1, 7, 14, 30, 60, 90, 180, 270, 365)  # then every year
COUNTER_START_MAX_YEARS = 50  # a start date further back is a typo
# Medication for addiction treatment, per medication the program turns on.
MAT_MEDICATIONS = {
    "buprenorphine": N_("Buprenorphine"),
    "methadone": N_("Methadone"),
    "naltrexone": N_("Naltrexone"),
    "acamprosate": N_("Acamprosate"),
    "disulfiram": N_("Disulfiram"),
}
MAT_CHOICES = {"yes": N_("Yes"), "no": N_("No"), "not_prescribed": N_("Not mine")}


def lapse_reasons(used: set[str]) -> list[Reason]:
    """What the substances used on one card fire (beyond the card's own "acted" rule). Unknown
    keys are ignored here (validation reports them)."""
    known = sorted(used & set(USE_KINDS))
    fired = [
        Reason(
            f"lapse:{key}",
            LAPSE_SEVERITY.get(key, LAPSE_DEFAULT_SEVERITY),
            f"Use recorded on the diary card: {USE_KINDS[key].lower()}",
            ACTED_LEVEL,
        )
        for key in known
    ]
    for combination in LAPSE_URGENT_COMBINATIONS:
        if combination <= used:
            names = " and ".join(USE_KINDS[k].lower() for k in sorted(combination))
            fired.append(
                Reason(
                    f"lapse:{'+'.join(sorted(combination))}",
                    Severity.URGENT,
                    f"Use of {names} on the same day recorded (high overdose risk together)",
                    ACTED_LEVEL,
                )
            )
    return fired


def milestones_up_to(days: int) -> tuple[int | None, int]:
    """(the last milestone reached, or None; the next one) for a count of days."""
    reached = [m for m in RECOVERY_MILESTONES if m <= days]
    if days >= RECOVERY_MILESTONES[-1]:
        years = days // 365
        return 365 * years, 365 * (years + 1)
    following = next(m for m in RECOVERY_MILESTONES if m > days)
    return (reached[-1] if reached else None), following
