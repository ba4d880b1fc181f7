"""Coping-tool timers drawn by the browser: CSS keyframes, no server round trip per second.

The paced-breathing count used to be redrawn by the server every second (a fragment rerunning on a
timer), so on a phone it stuttered and skipped whenever the network or the server was slow — the
opposite of calm. Here the server sends one piece of HTML when the timer starts; the browser grows
and shrinks the circle, changes "Breathe in · 4 … Breathe out · 6", fills the bar and counts down
the time left on its own clock. A negative animation delay (`elapsed`) puts every animation at the
right moment whenever the piece is drawn again, so a rerun for any other reason never restarts it.

Pure functions of their arguments (all text is ours, still escaped for CSS and HTML).
"""

from __future__ import annotations

import html
import math
import re

from ui.i18n import _


def _css_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _uid(key: str) -> str:
    return "iop-" + (re.sub(r"[^a-z0-9-]", "-", key.lower()) or "timer")


def clock(seconds: float) -> str:
    seconds = max(0, int(math.ceil(seconds - 1e-9)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _frames(name: str, labels: list[str]) -> str:
    """Keyframes showing each label for an equal share of the animation (one a second)."""
    n = len(labels)
    frames = " ".join(f'{100 * i / n:.4f}% {{ content: "{_css_text(label)}"; }}' for i, label in enumerate(labels))
    return f'@keyframes {name} {{ {frames} 100% {{ content: "{_css_text(labels[-1])}"; }} }}'


def breath_labels(inhale: int, hold: int, exhale: int) -> list[str]:
    """What the label says in each second of one breath: "Breathe in · 4", "Breathe in · 3", …"""
    labels = [_("Breathe in · {n}").format(n=inhale - t) for t in range(inhale)]
    labels += [_("Hold · {n}").format(n=hold - t) for t in range(hold)]
    labels += [_("Breathe out · {n}").format(n=exhale - t) for t in range(exhale)]
    return labels


def countdown_labels(seconds: int) -> list[str]:
    return [_("{time} left").format(time=clock(seconds - t)) for t in range(seconds)]


def _progress_css(uid: str, seconds: int, delay: str, elapsed: float) -> str:
    """The bar that fills over `seconds` and the time left under it (breathing and urge surfing)."""
    return f""".{uid} .bar {{ width: 100%; height: 0.5rem; border-radius: 0.25rem; background: #dde8e7;
  overflow: hidden; }}
.{uid} .bar > div {{ height: 100%; width: 0%; background: #2f6f73;
  animation: {uid}-bar {seconds}s linear {delay} 1 forwards; }}
.{uid} .left {{ color: #5b6b6d; font-size: 0.95rem; }}
.{uid} .left::after {{ content: "{clock(seconds - elapsed)} left";
  animation: {uid}-left {seconds}s steps(1, end) {delay} 1 forwards; }}"""


def breathing_html(pattern: tuple[str, int, int, int], seconds: int, elapsed: float, *, key: str) -> str:
    """A circle that grows with the in-breath and shrinks with the out-breath, the phase and its
    count, a bar, and the time left, all run by the browser from `elapsed` seconds in."""
    _, inhale, hold, exhale = pattern
    cycle = inhale + hold + exhale
    uid = _uid(key)
    full_in, full_hold = 100 * inhale / cycle, 100 * (inhale + hold) / cycle
    delay = f"-{max(elapsed, 0):.2f}s"
    return f"""<style>
@keyframes {uid}-size {{ 0% {{ transform: scale(0.55); }} {full_in:.4f}% {{ transform: scale(1); }}
  {full_hold:.4f}% {{ transform: scale(1); }} 100% {{ transform: scale(0.55); }} }}
{_frames(f"{uid}-phase", breath_labels(inhale, hold, exhale))}
{_frames(f"{uid}-left", countdown_labels(seconds))}
@keyframes {uid}-bar {{ from {{ width: 0%; }} to {{ width: 100%; }} }}
.{uid} {{ display: flex; flex-direction: column; align-items: center; gap: 0.9rem; padding: 0.5rem 0 0.25rem; }}
.{uid} .circle {{ width: 10.5rem; height: 10.5rem; border-radius: 50%; transform: scale(0.55);
  background: radial-gradient(circle at 50% 40%, #7fb3b5, #2f6f73);
  animation: {uid}-size {cycle}s ease-in-out {delay} infinite; }}
.{uid} .phase {{ font-size: 1.9rem; font-weight: 600; color: #1f2a2e; min-height: 2.4rem; }}
.{uid} .phase::after {{ content: "{_css_text(breath_labels(inhale, hold, exhale)[0])}";
  animation: {uid}-phase {cycle}s steps(1, end) {delay} infinite; }}
{_progress_css(uid, seconds, delay, elapsed)}
@media (prefers-reduced-motion: reduce) {{ .{uid} .circle {{ animation: none; transform: scale(0.8); }} }}
</style>
<div class="{uid}" data-testid="breathing-animation" role="timer"
  aria-label="Paced breathing, {html.escape(pattern[0])}">
<div class="circle"></div><div class="phase" data-testid="breath-phase"></div>
<div class="bar"><div></div></div><div class="left" data-testid="time-left"></div></div>"""


def surfing_html(prompts: tuple[str, ...], prompt_seconds: int, seconds: int, elapsed: float, *, key: str) -> str:
    """Urge surfing's prompts, one every `prompt_seconds`, a bar and the time left, run by the browser."""
    uid = _uid(key)
    delay = f"-{max(elapsed, 0):.2f}s"
    cycle = prompt_seconds * len(prompts)
    return f"""<style>
{_frames(f"{uid}-prompt", list(prompts))}
{_frames(f"{uid}-left", countdown_labels(seconds))}
@keyframes {uid}-bar {{ from {{ width: 0%; }} to {{ width: 100%; }} }}
.{uid} {{ display: flex; flex-direction: column; gap: 0.8rem; padding: 0.25rem 0; }}
.{uid} .prompt {{ font-size: 1.35rem; font-weight: 600; color: #1f2a2e; min-height: 5.5rem; }}
.{uid} .prompt::after {{ content: "{_css_text(prompts[0])}";
  animation: {uid}-prompt {cycle}s steps(1, end) {delay} infinite; }}
{_progress_css(uid, seconds, delay, elapsed)}
</style>
<div class="{uid}" data-testid="surfing-animation" role="timer" aria-label="Urge surfing timer">
<div class="prompt" data-testid="surf-prompt"></div><div class="bar"><div></div></div>
<div class="left" data-testid="time-left"></div></div>"""
