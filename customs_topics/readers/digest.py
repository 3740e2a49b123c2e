"""The seed news-digest format: many articles in one text file.

Layout (``seeds/wco_news_digest.txt``): blocks separated by blank lines; each
article is a one-line title, the same title again as the next block, then one
or more body paragraphs.

*Detection* (:func:`looks_like_digest`) is deliberately strict, because a
false positive cuts an ordinary article into pieces: a text is read as a
digest only when its **first block is a one-line title repeated as the next
block, and at least two titles are repeated that way**. Anything else is one
plain-text article unless ``format="digest"`` is given.

*Splitting* (:func:`parse_digest`): when the text has repeated titles, only a
repeated title starts an article (a subheading such as "Background" stays in
the body). A text with no repeated title at all (only read as a digest when
asked for) is split at headline-like blocks instead: one line, at most 250
characters, no closing punctuation, after a body.

Example:
    >>> text = "A title\\n\\nA title\\n\\nBody A.\\n\\nB title\\n\\nB title\\n\\nBody B."
    >>> looks_like_digest(text), [r["title"] for _, r in parse_digest(text, "d.txt")]
    (True, ['A title', 'B title'])
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("customs_topics")

_SENTENCE_END = (".", "!", "?", ";", ":", '"', "'", "\u201d", "\u2019", "\u2026", ")")


def blocks(text: str) -> tuple[list[str], list[int]]:
    """Blank-line separated blocks (lines stripped, empty blocks dropped) and the line each starts on.

    Example:
        >>> blocks("a\\n b \\n\\n\\nc\\n")
        (['a\\nb', 'c'], [1, 5])
    """
    out: list[str] = []
    starts: list[int] = []
    current: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if stripped:
            if not current:
                starts.append(number)
            current.append(stripped)
        elif current:
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out, starts


def _repeated(parts: list[str], i: int) -> bool:
    """Block ``i`` is a one-line title that the next block repeats."""
    return i + 1 < len(parts) and parts[i + 1] == parts[i] and "\n" not in parts[i] and len(parts[i]) <= 250


def _is_title_like(block: str) -> bool:
    return "\n" not in block and len(block) <= 250 and not block.endswith(_SENTENCE_END)


def looks_like_digest(text: str) -> bool:
    """The digest layout is unmistakable: the first block is a repeated title, and at least two titles are repeated.

    Example:
        >>> looks_like_digest("PRESS RELEASE\\n\\nCustoms seize pills\\n\\nBRUSSELS, 12 March 2024 - Officers ...")
        False
    """
    parts, _ = blocks(text)
    if not _repeated(parts, 0):
        return False
    return sum(1 for i in range(len(parts)) if _repeated(parts, i)) >= 2


def parse_digest(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Split a digest into ``(line, {"title", "body"})`` records (rules in the module docstring)."""
    parts, starts = blocks(text)
    by_repeat = any(_repeated(parts, i) for i in range(len(parts)))
    title: str | None = None
    title_line = 0
    body: list[str] = []
    i = 0
    while i < len(parts):
        block = parts[i]
        repeated = _repeated(parts, i)
        new_article = title is None or repeated or (not by_repeat and bool(body) and _is_title_like(block))
        if new_article:
            if title is not None:
                yield title_line, _record(title, body, name, title_line)
            title, title_line, body = block.replace("\n", " "), starts[i], []
            i += 2 if repeated else 1
            continue
        body.append(block)
        i += 1
    if title is not None:
        yield title_line, _record(title, body, name, title_line)


def _record(title: str, body: list[str], name: str, line: int) -> dict[str, Any]:
    if not body:
        log.warning("%s:%d: article %r has a title and no body", name, line, title)
    return {"title": title, "body": "\n\n".join(body)}
