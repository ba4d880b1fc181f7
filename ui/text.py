"""Text that people typed, shown inside Markdown as plain text.

Streamlit renders labels, captions, titles and `st.markdown` as Markdown (links, images,
`:material/...:` icons, `:red[...]` colours, `$maths$`). A name, a note or a crisis line's
description typed by one person must never become an image or a link in another person's
browser, so every such string passes through `md()` before it is put into Markdown.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all the ones
# Markdown, GFM autolinks and Streamlit's own directives use makes the text literal.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&@=\"'^%])")


# Streamlit finds some things in the text *after* Markdown has removed the escapes: bare web
# addresses and emails (GFM autolink literals: "www.", "http://", "a@b.c") and its own
# ":material/...:" icons and ":emoji:" codes. An invisible WORD JOINER after every colon and "@"
# and before every dot breaks those patterns without changing what a person sees.
_WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """`text` as literal Markdown: shown exactly as typed, never formatted or linked."""
    escaped = _SPECIAL.sub(r"\\\1", str(text))
    return (escaped.replace(":", ":" + _WORD_JOINER).replace("@", "@" + _WORD_JOINER)
            .replace("\\.", _WORD_JOINER + "\\."))
