"""Page debris: the lines of a web page's text that are not the story.

Text saved or pasted from a news page carries navigation and menu lines
("Home", "Press releases", "Home > News > 2024"), bylines and datelines
without a sentence, and lists of other stories' headlines ("Related news").
Each such line holds words that belong to other stories or to none, and a
line scored as a "sentence" can fire a theme on its own. :func:`drop_debris`
removes them before scoring (and before training, so both see the same text).

A line is debris when, without ending like a sentence (``.``, ``!``, ``?``,
optionally followed by a quote or bracket), it is short (fewer than five
words), or it is a headline (at least three words of four or more letters,
at least 70% of them capitalised) that stands next to another headline or
comes after the story has begun: lists of headlines and footers go, a page's
own headline between its menu and its dateline stays. Bodies with fewer than three non-empty lines are left alone (a
one-line text is its own content), and so is a body every line of which
would be dropped.

Example:
    >>> body = "\\n".join(["Home", "Newsroom", "Customs Seize Cocaine at the Port", "Officers seized 5 kg.",
    ...                    "Related stories", "Port Opens New Scanner Lanes", "Agency Marks World Customs Day"])
    >>> drop_debris(body).splitlines()
    ['Customs Seize Cocaine at the Port', 'Officers seized 5 kg.']
"""

from __future__ import annotations

import re

__all__ = ["drop_debris", "is_debris_line"]

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s*$")
MIN_LINES = 3
SHORT = 5


def _kind(line: str) -> str:
    """The kind of one line: "text", "short" or "headline"."""
    text = line.strip()
    if not text or _SENTENCE_END.search(text):
        return "text"
    words = _WORD.findall(text)
    if len(words) < SHORT:
        return "short"
    long = [w for w in words if len(w) >= 4]
    if len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.7 * len(long):
        return "headline"
    return "text"


def is_debris_line(line: str) -> bool:
    """Whether one line of page text looks like navigation or a byline, or like a headline.

    (In :func:`drop_debris` a headline-like line goes only when it stands in a list.)

    Example:
        >>> is_debris_line("Customs Seize 2 Tonnes of Cocaine at Antwerp")
        True
        >>> is_debris_line("Customs seized 2 tonnes of cocaine at Antwerp.")
        False
    """
    return _kind(line) != "text"


def drop_debris(body: str) -> str:
    """``body`` without its debris lines (see the module docstring); other lines unchanged, in order."""
    if body.count("\n") < MIN_LINES - 1:
        return body
    lines = body.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) < MIN_LINES:
        return body
    kinds = {i: _kind(lines[i]) for i in filled}
    drop = set()
    story_begun = False
    for n, i in enumerate(filled):
        kind = kinds[i]
        if kind == "short":
            drop.add(i)
        elif kind == "headline":
            neighbours = filled[max(n - 1, 0) : n] + filled[n + 1 : n + 2]
            if story_begun or any(kinds[j] == "headline" for j in neighbours):
                drop.add(i)
        else:
            story_begun = True
    if not drop:
        return body
    if len(drop) == len(filled):
        return body
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)
