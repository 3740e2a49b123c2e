"""One plain-text article per file: the first non-empty line is the title.

The rest is the body, its paragraphs (blank-line separated blocks) joined by
one blank line. This is what a ``.txt`` file is unless it is unmistakably a
digest (see :mod:`customs_topics.readers.digest`).

Press-release furniture is left out: leading kicker lines that hold only
"PRESS RELEASE", "NEWS RELEASE", "For immediate release" or "EMBARGOED
UNTIL ..." are skipped (the headline after them is the title), and end
markers alone on a line ("###", "-ENDS-", "ENDS") are dropped from the body.
Everything else (bylines, datelines, subheadings, lists, "Notes to editors")
stays in the body.

Example:
    >>> text = "PRESS RELEASE\\nFor immediate release\\n\\nCustoms seize pills\\n\\nOfficers seized pills.\\n\\n-ENDS-"
    >>> next(parse_text(text, "a.txt"))
    (4, {'title': 'Customs seize pills', 'body': 'Officers seized pills.'})
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .digest import blocks

_KICKER_WORDS = r"(?:(?:press|news|media)\s+release|(?:for\s+)?immediate\s+release|embargoed?(?:\s+until\b[^\n]*)?)"
_KICKER = re.compile(rf"^[\W_]*{_KICKER_WORDS}(?:[\W_]+{_KICKER_WORDS})*[\W_]*$", re.IGNORECASE)
_END_MARK = re.compile(r"^\s*(?:#{3,}|-+\s*ends?\s*-+|ends)\s*$", re.IGNORECASE)


def parse_text(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The one ``(line, {"title", "body"})`` record of a text (none for blank text)."""
    lines = text.split("\n")
    filled = [n for n, line in enumerate(lines) if line.strip()]
    if not filled:
        return
    start = next((n for n in filled if not _KICKER.match(lines[n])), filled[0])
    rest = [line for line in lines[start + 1 :] if not _END_MARK.match(line)]
    yield start + 1, {"title": lines[start].strip(), "body": "\n\n".join(blocks("\n".join(rest))[0])}
