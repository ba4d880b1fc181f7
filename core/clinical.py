"""Clinical thresholds and rules, in one place. The UI, the alerts and the tests read them here.

These need sign-off from the program's medical director (see shared/docs/clinical.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# --- Diary card scales -------------------------------------------------------------------
MOOD_MIN, MOOD_MAX = 0, 10
EMOTION_MIN, EMOTION_MAX = 0, 5
URGE_MIN, URGE_MAX = 0, 5
CRAVING_MIN, CRAVING_MAX = 0, 10
SLEEP_MIN_HOURS, SLEEP_MAX_HOURS = 0.0, 24.0
NOTE_MAX_CHARS = 2000
LATE_WINDOW_DAYS = 2          # today, plus this many days back, can be filled in
EMOTIONS = {                  # key -> label, in the order of the paper card
    "sadness": "Sadness",
    "anxiety": "Anxiety / fear",
    "anger": "Anger",
    "shame": "Shame",
    "joy": "Joy",
}
MEDICATION_CHOICES = {"yes": "Yes", "no": "No", "not_prescribed": "Not prescribed"}
# Targets every program starts with; programs may add more (and retire them, keeping history).
DEFAULT_TARGETS = (
    ("suicidal_thoughts", "Suicidal thoughts"),
    ("self_harm", "Self-harm"),
    ("substance_use", "Substance use"),
)


class Severity(StrEnum):
    URGENT = "urgent"          # review now (same hour where staffed)
    SAME_DAY = "same_day"      # review today
    REVIEW = "review"          # review before the next session

    @property
    def rank(self) -> int:
        return {"urgent": 0, "same_day": 1, "review": 2}[self.value]


# --- Risk triggers from the diary card -----------------------------------------------------
RISK_URGE_THRESHOLD = 4       # a suicidal-thoughts or self-harm urge at or above this opens an alert


@dataclass(frozen=True)
class UrgeTrigger:
    """Opens an alert when `target`'s urge reaches `min_urge`, or (if `on_acted`) when acted on."""

    key: str
    target: str
    min_urge: int | None
    on_acted: bool
    severity: Severity
    description: str


DIARY_TRIGGERS: tuple[UrgeTrigger, ...] = (
    UrgeTrigger("suicidal_urge_high", "suicidal_thoughts", RISK_URGE_THRESHOLD, False, Severity.URGENT,
                "Suicidal thoughts rated {urge} of 5 on the diary card"),
    UrgeTrigger("suicidal_acted", "suicidal_thoughts", None, True, Severity.URGENT,
                "Acted on suicidal thoughts (diary card)"),
    UrgeTrigger("self_harm_urge_high", "self_harm", RISK_URGE_THRESHOLD, False, Severity.URGENT,
                "Urge to self-harm rated {urge} of 5 on the diary card"),
    UrgeTrigger("self_harm_acted", "self_harm", None, True, Severity.URGENT,
                "Acted on an urge to self-harm (diary card)"),
)


def diary_risks(urges: dict[str, tuple[int | None, bool]]) -> list[tuple[UrgeTrigger, str]]:
    """The triggers a card's urges fire: `urges` maps target key -> (urge 0-5 or None, acted)."""
    fired = []
    for trigger in DIARY_TRIGGERS:
        urge, acted = urges.get(trigger.target, (None, False))
        if trigger.on_acted and acted:
            fired.append((trigger, trigger.description))
        elif trigger.min_urge is not None and urge is not None and urge >= trigger.min_urge:
            fired.append((trigger, trigger.description.format(urge=urge)))
    return fired


# --- Caseload flags ------------------------------------------------------------------------------
MISSED_CARD_DAYS = 3          # no card for this many days opens a "missed check-in" alert
MOOD_DROP_FLAG = 1.5          # 7-day mood average this much below the week before: "worsening"


# --- Weekly check-ups (PHQ-9, GAD-7, craving scale) ------------------------------------------
CHECKUP_INTERVAL_DAYS = 7     # default; a program may change it
CHECKUP_LATE_DAYS = 2         # a check-up may be taken up to this many days after it falls due

# (lowest total, band) in ascending order; a total belongs to the last band whose floor it reaches.
PHQ9_BANDS = ((0, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Moderately severe"), (20, "Severe"))
GAD7_BANDS = ((0, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Severe"))
PACS_BANDS = ((0, "Low"), (15, "High"))   # 15+: best balance of sensitivity and specificity
MAX_TOTAL = {"phq9": 27, "gad7": 21, "pacs": 30}
CHECKUP_NAMES = {"phq9": "PHQ-9", "gad7": "GAD-7", "pacs": "Craving scale"}
BANDS = {"phq9": PHQ9_BANDS, "gad7": GAD7_BANDS, "pacs": PACS_BANDS}

PHQ9_RELIABLE_CHANGE = 5      # points (Löwe 2004: 2 standard errors of measurement)
GAD7_RELIABLE_CHANGE = 4      # points (Toussaint 2020, MCID)
RELIABLE_CHANGE = {"phq9": PHQ9_RELIABLE_CHANGE, "gad7": GAD7_RELIABLE_CHANGE}
PHQ9_RESPONSE_DROP = 0.5      # response: at least a 50% drop from intake...
PHQ9_RESPONSE_MAX = 9         # ...and a total of 9 or less
PHQ9_ITEM9_INDEX = 8          # "Thoughts that you would be better off dead..." (0-based)
PHQ9_ITEM9_ALERT_MIN = 1      # any answer above "Not at all" alerts a clinician, whatever the total
PHQ9_WORSENING_POINTS = 5     # worse than intake by this much opens a "worsening" alert

# Plain words for the participant, by band.
BAND_WORDS = {
    "Minimal": "Few or no symptoms right now.",
    "Mild": "Some symptoms — worth keeping an eye on.",
    "Moderate": "A noticeable amount — your therapist will look at this with you.",
    "Moderately severe": "A lot to carry right now — your therapist will talk this through with you.",
    "Severe": "Very hard right now — your therapist will talk this through with you soon.",
    "Low": "Craving was on the lower side this week.",
    "High": "Craving was strong this week — worth talking over with your therapist.",
}


BAND_MAX_CHARS = 32          # the column size; a test checks every band fits


def band(kind: str, total: int) -> str:
    found = BANDS[kind][0][1]
    for floor, name in BANDS[kind]:
        if total >= floor:
            found = name
    return found


@dataclass(frozen=True)
class Change:
    """How a total compares with the intake total."""

    from_intake: int | None          # positive = worse
    reliable_worse: bool = False
    reliable_better: bool = False
    response: bool = False           # PHQ-9 only


def change_from_intake(kind: str, intake: int | None, total: int) -> Change:
    if intake is None:
        return Change(None)
    diff = total - intake
    threshold = RELIABLE_CHANGE.get(kind)
    response = (kind == "phq9" and intake > 0 and total <= PHQ9_RESPONSE_MAX
                and (intake - total) >= PHQ9_RESPONSE_DROP * intake)
    return Change(diff, reliable_worse=bool(threshold) and diff >= threshold,
                  reliable_better=bool(threshold) and -diff >= threshold, response=response)


@dataclass(frozen=True)
class CheckupTrigger:
    key: str
    severity: Severity
    description: str


PHQ9_ITEM9 = CheckupTrigger("phq9_item9", Severity.URGENT,
                            "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
                            "'{answer}'")
PHQ9_WORSENING = CheckupTrigger("phq9_worsening", Severity.REVIEW,
                                "PHQ-9 total {total} is {diff} points worse than at intake ({intake})")


def checkup_risks(kind: str, answers: list[int], total: int, intake: int | None,
                  choices: list[str]) -> list[tuple[CheckupTrigger, str]]:
    """The alerts a submitted check-up opens."""
    fired = []
    if kind == "phq9":
        item9 = answers[PHQ9_ITEM9_INDEX]
        if item9 >= PHQ9_ITEM9_ALERT_MIN:
            fired.append((PHQ9_ITEM9, PHQ9_ITEM9.description.format(answer=choices[item9])))
        if intake is not None and total - intake >= PHQ9_WORSENING_POINTS:
            fired.append((PHQ9_WORSENING, PHQ9_WORSENING.description.format(
                total=total, diff=total - intake, intake=intake)))
    return fired


# --- Skills practice and coping tools -------------------------------------------------------------
DISTRESS_MIN, DISTRESS_MAX = 0, 10      # distress (or an urge's strength) before and after practice
HELPED_CHOICES = {"yes": "Yes", "a_bit": "A bit", "no": "No"}
PRACTICE_SITUATION_MAX = 120
PRACTICE_NOTE_MAX = 1000
PRACTICE_EDIT_DAYS = 0                  # an entry can be changed on the day it was logged only
STILL_STRONG_AFTER = 7                  # an urge this strong after surfing: point to the safety plan
# CBT thought record (seven columns); emotions and belief are rated 0–100 %.
THOUGHT_INTENSITY_MIN, THOUGHT_INTENSITY_MAX = 0, 100
THOUGHT_EMOTIONS_MAX = 3
THOUGHT_LIMITS = {"situation": 300, "automatic_thought": 500, "evidence_for": 1000,
                  "evidence_against": 1000, "balanced_thought": 500, "emotion": 40}
HOMEWORK_NOTE_MAX = 300
# Paced breathing: (label, seconds in, seconds hold, seconds out). Longer out-breaths calm the body.
BREATHING_PATTERNS = (("In 4 · out 6", 4, 0, 6), ("In 4 · out 4", 4, 0, 4), ("In 4 · hold 7 · out 8", 4, 7, 8))
BREATHING_MINUTES = (1, 2, 3, 5)
URGE_SURF_MINUTES = (3, 5, 10)
# Words in a skills search that may mean danger: the safety plan and crisis lines come first.
CRISIS_SEARCH_WORDS = ("suicide", "suicidal", "kill myself", "end it", "die", "dying", "self harm", "self-harm",
                       "hurt myself", "cutting", "overdose", "hopeless", "no way out")


def search_suggests_crisis(query: str) -> bool:
    text = " " + " ".join(query.lower().replace("-", " ").split()) + " "
    return any(f" {w.replace('-', ' ')} " in text for w in CRISIS_SEARCH_WORDS)

# --- Attendance -----------------------------------------------------------------------------------
SESSION_KINDS = {"group": "Group", "individual": "Individual", "family": "Family session"}
ATTENDANCE_STATUSES = {"attended": "Attended", "late": "Late", "excused": "Excused", "missed": "Missed"}
ATTENDED = frozenset({"attended", "late"})      # what counts as coming to a session
ATTENDANCE_BACKFILL_DAYS = 14                   # a session can be recorded up to this many days later
