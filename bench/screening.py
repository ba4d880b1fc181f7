"""Crisis screening's CPU per megabyte of hostile text (scr13): what one long note costs the server,
since `core.diary.save_card` screens a note before refusing its length. Prints figures, asserts nothing.

    .venv/bin/python bench/screening.py              # the screen in core/screening.py
    .venv/bin/python bench/screening.py --reference  # the screen before scr13 (tests/unit/screening_reference.py)
    .venv/bin/python bench/screening.py --both       # both, alternated text by text

CPU seconds (`time.process_time`) per megabyte (10**6 characters), the best of --rounds (default 3), each
text screened once per round after the phrase patterns are compiled. Say the load (`uptime`) with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1_000_000


def _mb(unit: str) -> str:
    return (unit * (MB // len(unit) + 1))[:MB]


TEXTS = {  # the lead's finding (brief scr13), plus a crisis phrase at the very end of a long note
    "ASCII words": _mb("I felt ok today and went for a walk with my sister after group. "),
    "words with accents": _mb("Hoy me sentí mejor, fui a la reunión y comí piña con mi niño. "),
    '"k1ll " (leet)': _mb("k1ll "),
    '"a b c d " (spelled)': _mb("a b c d "),
    '"😀x"': _mb("😀x"),
    '"a" * 10**6': "a" * MB,
    "ASCII, phrase at the end": _mb("I felt ok today and went for a walk. ")[: MB - 20] + " I want to die",
    # built against the new screen: every spelling rewrite's words, and every word of the multi-word
    # phrases (so each phrase passes the word-set check) with a word between them that no phrase has
    "every rewrite's words": _mb(
        "wanna gonna cannot can not do not i am my self harm xq pq q k x pa cortarme el pelo "
    ),
}


def _phrase_words_apart() -> str:
    from core import screening

    phrases = screening.all_phrases()
    words = sorted({w for p in phrases if " " in p for w in p.split(" ")} - set(phrases))
    return _mb(" zz ".join(words) + " zz ")


TEXTS["phrase words, never a phrase"] = _phrase_words_apart()


def screens(which: str):
    if which == "reference":
        from tests.unit import screening_reference as module
    else:
        from core import screening as module
    module.suggests_crisis("warm up: compile the patterns, k1ll m y s e l f, kiill")
    return module.suggests_crisis


def cpu_per_mb(screen, text: str, rounds: int) -> tuple[float, bool]:
    best, found = float("inf"), False
    for _ in range(rounds):
        start = time.process_time()
        found = screen(text)
        best = min(best, time.process_time() - start)
    return best * MB / len(text), found


def main() -> None:
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reference", action="store_true")
    group.add_argument("--both", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    which = ["reference", "new"] if args.both else ["reference"] if args.reference else ["new"]
    impls = {w: screens(w) for w in which}
    print(f"load {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}; CPU-s per MB, best of {args.rounds}")
    print("| text | " + " | ".join(f"{w} CPU-s/MB" for w in which) + " | match |")
    print("|---|" + "---|" * len(which) + "---|")
    for name, text in TEXTS.items():
        cells, answers = [], set()
        for w in which:
            seconds, found = cpu_per_mb(impls[w], text, args.rounds)
            cells.append(f"{seconds:.3f}")
            answers.add(found)
        answer = "yes" if answers == {True} else "no" if answers == {False} else "DIFFERENT"
        print(f"| {name} | " + " | ".join(cells) + f" | {answer} |", flush=True)


if __name__ == "__main__":
    main()
