"""Safety planning (the Stanley-Brown steps, described in our own words)."""

from __future__ import annotations

# (title, what the step asks of you) — in the order a person works through them in a crisis.
SAFETY_PLAN_STEPS: tuple[tuple[str, str], ...] = (
    ("My warning signs", "the thoughts, moods or situations that tell me a crisis may be building."),
    ("Things I can do on my own", "to take my mind off things for a while: a walk, music, a shower."),
    ("People and places that distract me", "company or a setting that helps, without having to explain."),
    ("People I can ask for help", "someone I trust who I can tell how I really feel."),
    ("Professionals and crisis lines", "my therapist, the program's after-hours line, 988."),
    ("Making my space safer", "putting distance between me and anything I could use to hurt myself."),
    ("My reasons for living", "what matters most to me, even on the hardest days."),
)
