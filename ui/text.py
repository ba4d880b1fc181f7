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


def md(text: object) -> str:
    """`text` as literal Markdown: shown exactly as typed, never formatted or linked."""
    return _SPECIAL.sub(r"\\\1", str(text))
