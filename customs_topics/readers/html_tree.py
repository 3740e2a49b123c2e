"""A small, forgiving HTML element tree built with the standard library's
``html.parser`` (no lxml): the input of the builtin extractor and of the
headline and metadata rules in :mod:`customs_topics.readers.html`.

Malformed markup is tolerated the way browsers mostly do: unclosed ``<p>``,
``<li>``, ``<td>`` are closed by the next sibling, stray end tags are ignored,
everything still open at the end is closed.

Example:
    >>> root = build_tree("<div class=x><p>One<p>Two</div>")
    >>> [p.text() for p in root.iter("p")]
    ['One', 'Two']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


VOID = _tags("area base br col embed hr img input link meta param source track wbr")
#: Elements whose content is never text of the page.
SKIP = _tags(
    "audio button canvas dialog head iframe map math noscript object script select style svg template textarea video"
)
BLOCK = _tags(
    "address article aside blockquote body caption center dd details div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup html li main menu nav ol p pre section summary table "
    "tbody td tfoot th thead tr ul"
)
# A new element of these kinds closes an open element of the same kind (<p>one<p>two).
# Boundaries that an implied end tag does not cross.
_SCOPE = _tags(
    "ul ol dl table div section article main body html blockquote td th li aside nav header footer form figure select"
)
_TABLE = _tags("table tbody thead tfoot")
# A new element of these kinds closes an open element of the given kinds (<p>one<p>two) found
# before any of the given boundaries.
_IMPLIED_END = {
    "p": (_tags("p"), _SCOPE),
    "li": (_tags("li"), _SCOPE - {"li"}),
    "dt": (_tags("dt dd"), _SCOPE),
    "dd": (_tags("dt dd"), _SCOPE),
    "tr": (_tags("tr"), _TABLE),
    "td": (_tags("td th"), _TABLE | {"tr"}),
    "th": (_tags("td th"), _TABLE | {"tr"}),
    "option": (_tags("option"), _tags("select datalist")),
}
# A block start inside an open <p> closes the <p> (HTML's implied end tag).
_CLOSES_P = BLOCK - {"li", "dt", "dd", "tr", "td", "th", "tbody", "thead", "tfoot", "caption", "body", "html"}
# How far up the open elements an end tag or an implied end looks (keeps hostile nesting linear).
_SEARCH_DEPTH = 512
_HEAD_CONTENT = frozenset({"meta", "link", "title", "script", "style", "base", "noscript", "template"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace into one space and strip.

    Example:
        >>> squash("  Customs   seize  vials ")
        'Customs seize vials'
    """
    return _SPACE.sub(" ", text).strip()


class Node:
    """One element: ``tag``, ``attrs``, ``children`` (nodes and text strings), ``parent``."""

    __slots__ = ("attrs", "children", "line", "parent", "tag")

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None, line: int = 0) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []
        self.line = line

    def __repr__(self) -> str:
        return f"<{self.tag} {self.hint()!r}>"

    def hint(self) -> str:
        """Class and id, lower-cased, for the boilerplate rules."""
        return f"{self.attrs.get('class', '')} {self.attrs.get('id', '')}".lower().strip()

    def iter(self, *tags: str) -> Iterator[Node]:
        """This node and its descendants (document order), optionally only of the given tags."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            if not tags or node.tag in tags:
                yield node
            stack.extend(child for child in reversed(node.children) if isinstance(child, Node))

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text_parts(self, skip: frozenset[str] = SKIP) -> Iterator[str]:
        """The text under this node (skipping ``skip`` elements), not squashed."""
        stack: list[Node | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                yield item
            elif item.tag not in skip:
                if item.tag in BLOCK or item.tag == "br":
                    yield " "
                stack.extend(reversed(item.children))

    def text(self) -> str:
        """The squashed text under this node."""
        return squash("".join(self.text_parts()))


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.stack: list[Node] = [self.root]

    def _close_to(self, index: int) -> None:
        del self.stack[index:]

    def _find_open(self, tags: frozenset[str], scope: frozenset[str]) -> int | None:
        for k in range(len(self.stack) - 1, max(0, len(self.stack) - _SEARCH_DEPTH), -1):
            tag = self.stack[k].tag
            if tag in tags:
                return k
            if tag in scope:
                return None
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <title> holds only text and <head> only metadata: an unclosed one ends at the next element.
        while self.stack[-1].tag == "title" or (self.stack[-1].tag == "head" and tag not in _HEAD_CONTENT):
            self.stack.pop()
        if tag in _HEADINGS and self.stack[-1].tag in _HEADINGS:  # <h1><h2>: a heading does not nest
            self.stack.pop()
        implied = _IMPLIED_END.get(tag)
        if implied is not None:
            k = self._find_open(*implied)
            if k is not None:
                self._close_to(k)
        if tag in _CLOSES_P:
            k = self._find_open(frozenset({"p"}), _SCOPE)
            if k is not None:
                self._close_to(k)
        node = Node(tag, {key: value or "" for key, value in attrs}, self.stack[-1], self.getpos()[0])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Any heading end tag closes the open heading, whatever its level (<h1>...</h2>), as in HTML.
        same = _HEADINGS if tag in _HEADINGS else frozenset({tag})
        for k in range(len(self.stack) - 1, max(0, len(self.stack) - _SEARCH_DEPTH), -1):
            if self.stack[k].tag in same:
                self._close_to(k)
                return
        # A stray end tag (nothing of that kind open) is ignored, as browsers do.

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def build_tree(text: str) -> Node:
    """Parse ``text`` into a :class:`Node` tree rooted at a ``#root`` node (never raises on bad markup).

    Example:
        >>> build_tree("<p>Seized <b>vials</b>").text()
        'Seized vials'
    """
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root
