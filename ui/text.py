"""Text that people typed, shown inside Markdown as plain text.

Streamlit renders labels, captions, titles and `st.markdown` as Markdown (links, images,
`:material/...:` icons, `:red[...]` colours, `$maths$`). A name, a note or a crisis line's
description typed by one person must never become an image or a link in another person's
browser, so every such string passes through `md()` before it is put into Markdown.
"""

from __future__ import annotations

import re

# Characters that open Markdown, GFM or Streamlit constructs wherever they stand: backslash-escaped
# (CommonMark lets any ASCII punctuation be escaped, and the escape shows as the character itself).
# With "[" escaped no link, image, footnote or reference can form, so "(", ")" and "!" stay as
# typed — names and notes read the same in the page source as on screen.
_ANYWHERE = re.compile(r"([\\`*_\[\]<>|~:$&])")
# Characters that only mean something at the start of a line: list items, headings, quotes,
# setext underlines and thematic breaks ("- ", "+ ", "# ", "> ", "==="), ordered lists ("1." / "1)").
_LINE_START = re.compile(r"^([ \t]*)([-=+#])", re.MULTILINE)
_ORDERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)
# Streamlit finds some things in the text *after* Markdown has removed the escapes: bare web
# addresses and emails (GFM autolink literals: "www.", "http://", "a@b.c") and its own
# ":material/...:" icons and ":emoji:" codes. An invisible WORD JOINER after every colon and "@",
# and inside every "www.", breaks those patterns without changing what a person sees.
_WORD_JOINER = "\u2060"
_WWW = re.compile(r"(www)(?=\.)", re.IGNORECASE)


def md(text: object) -> str:
    """`text` as literal Markdown: shown exactly as typed, never formatted or linked."""
    escaped = _ANYWHERE.sub(r"\\\1", str(text))
    escaped = _ORDERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", escaped))
    escaped = _WWW.sub(r"\1" + _WORD_JOINER, escaped)
    return escaped.replace(":", ":" + _WORD_JOINER).replace("@", "@" + _WORD_JOINER)
