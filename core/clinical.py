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
