"""One plain-text article per file: the first non-empty line is the title.

The rest is the body, its paragraphs (blank-line separated blocks) joined by
one blank line. This is what a ``.txt`` file is unless it is unmistakably a
digest (see :mod:`customs_topics.readers.digest`).

Example:
    >>> next(parse_text("\\nCustoms modernises clearance\\nFirst paragraph.\\n\\nSecond.", "a.txt"))
    (2, {'title': 'Customs modernises clearance', 'body': 'First paragraph.\\n\\nSecond.'})
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .digest import blocks


def parse_text(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The one ``(line, {"title", "body"})`` record of a text (none for blank text)."""
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if line.strip():
            body = "\n\n".join(blocks("\n".join(lines[number:]))[0])
            yield number, {"title": line.strip(), "body": body}
            return
