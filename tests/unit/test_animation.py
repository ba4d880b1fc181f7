"""The coping-tool timers the browser runs (ui/animation.py): every second of a breath labelled,
the countdown complete, and the animation placed at the elapsed moment when drawn again."""

from core import clinical
from ui import animation


def test_each_second_of_a_breath_has_its_label():
    for _label, inhale, hold, exhale in clinical.BREATHING_PATTERNS:
        labels = animation.breath_labels(inhale, hold, exhale)
        assert len(labels) == inhale + hold + exhale
        assert labels[0] == f"Breathe in · {inhale}" and labels[-1] == "Breathe out · 1"
        assert not any(x.startswith("Hold") for x in labels) or hold


def test_the_countdown_says_every_second_down_to_the_last():
    labels = animation.countdown_labels(120)
    assert labels[0] == "2:00 left" and labels[59] == "1:01 left" and labels[-1] == "0:01 left" and len(labels) == 120


def test_a_redraw_resumes_where_the_breath_is_not_at_the_start():
    pattern = clinical.BREATHING_PATTERNS[0]
    fresh = animation.breathing_html(pattern, 120, 0, key="tool_breathing")
    later = animation.breathing_html(pattern, 120, 37.5, key="tool_breathing")
    assert "-0.00s" in fresh and "-37.50s" in later and "1:23 left" in later  # 120 - 37.5 → 83 s shown
    assert "<script" not in later.lower()
