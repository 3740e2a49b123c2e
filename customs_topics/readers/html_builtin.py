"""The builtin article-body extractor (standard library only): boilerplate
removal on a :mod:`~customs_topics.readers.html_tree` tree, in the manner of
Mozilla's Readability.

1. Drop what is never article text: scripts and styles, ``<nav>``, ``<aside>``,
   ``<footer>``, page-level ``<header>``, hidden elements, ARIA navigation and
   dialog roles, and blocks whose class/id says navigation, menu, breadcrumb,
   share, cookie, newsletter, related stories, comments, sidebar, byline...
2. Score each paragraph (length, commas) into its parent and, less, its
   grandparent and further ancestors; class/id hints like ``article-body`` add,
   ``sidebar``/``promo`` subtract; each container's score is scaled by
   ``1 - link density``.
3. Keep the best container, plus siblings that score close to it or read like
   prose, then remove lists, tables and blocks inside it that are mostly links,
   forms or images.
4. Text comes out one paragraph per block, paragraphs separated by blank lines.
5. A result under 500 characters is retried with fewer rules (no class/id rules, then no class
   weights, then no final cleaning); a retry is kept only when it finds three times as much text,
   so a short press release does not gain its page furniture.

Example:
    >>> from customs_topics.readers.html_tree import build_tree
    >>> page = ("<nav><a href=/>Home</a> <a href=/news>News</a></nav><div class=story>"
    ...         "<p>Customs officers at the port seized 40,000 vials of fake vaccines, the agency said.</p>"
    ...         "<p>The shipment, declared as saline, came from a free zone.</p></div>")
    >>> extract_paragraphs(build_tree(page))
    ['Customs officers at the port seized 40,000 vials of fake vaccines, the agency said.', \
'The shipment, declared as saline, came from a free zone.']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice
from typing import ClassVar

from .html_tree import BLOCK, SKIP, Node, squash

_DROP = SKIP | {"nav", "aside", "footer", "label", "figcaption"}
_UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|"
    r"menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|"
    r"pagination|pager|popup|yom-remote|share|sharing|cookie|consent|newsletter|subscribe|signup|promo|outbrain|"
    r"taboola|byline|tags|widget|toolbar|navbar|masthead|recommend|most-?popular|trending|skip",
    re.IGNORECASE,
)
_MAYBE = re.compile(r"and|article|body|column|content|main|shadow", re.IGNORECASE)
_POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story", re.IGNORECASE)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|"
    r"media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget",
    re.IGNORECASE,
)
_UNLIKELY_ROLES = frozenset(
    {
        "menu",
        "menubar",
        "complementary",
        "navigation",
        "alert",
        "alertdialog",
        "dialog",
        "banner",
        "contentinfo",
        "search",
    }
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_KEEP_ALWAYS = frozenset({"#root", "html", "body", "article", "main", "a"})
_SCORED = frozenset({"p", "pre", "td", "blockquote"})
_CONTAINERS = frozenset({"div", "section", "article", "main", "td", "blockquote", "li", "center"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CONDITIONAL = frozenset({"table", "ul", "ol", "div", "section", "form", "fieldset", "dl"})
_SENTENCE_END = re.compile(r"\.( |$)")


def _hidden(node: Node) -> bool:
    attrs = node.attrs
    return (
        "hidden" in attrs
        or attrs.get("aria-hidden", "").lower() == "true"
        or bool(_HIDDEN_STYLE.search(attrs.get("style", "")))
    )


def _unlikely(node: Node, in_article: bool, by_hints: bool) -> bool:
    if node.tag in _KEEP_ALWAYS:
        return False
    if node.tag in _DROP:
        return True
    if node.tag == "header" and not in_article:
        return True
    if not by_hints:
        return False
    if _hidden(node):
        return True
    if node.attrs.get("role", "").lower() in _UNLIKELY_ROLES:
        return True
    hint = node.hint()
    return bool(hint) and bool(_UNLIKELY.search(hint)) and not _MAYBE.search(hint)


def _strip_boilerplate(root: Node, by_hints: bool = True) -> None:
    """Remove, in place, every element that is never article text (step 1).

    ``by_hints=False`` removes only what the tag says (scripts, ``<nav>``, ``<aside>``, ``<footer>``...),
    not what class, id, role or hidden attributes say.
    """
    stack: list[tuple[Node, bool]] = [(root, root.tag == "article")]
    while stack:
        node, in_article = stack.pop()
        kept: list[Node | str] = []
        for child in node.children:
            if isinstance(child, str):
                kept.append(child)
            elif not _unlikely(child, in_article, by_hints):
                kept.append(child)
                stack.append((child, in_article or child.tag == "article"))
        node.children = kept


class _Stats:
    """Per element, in one bottom-up pass: text length, link-text length, commas, and the counts
    of paragraphs, images, list items, inputs, embeds and heading text used by the cleaning step."""

    _COUNTED: ClassVar[dict[str, int]] = {
        "p": 0,
        "img": 1,
        "li": 2,
        "input": 3,
        "embed": 4,
        "object": 4,
        "iframe": 4,
        "video": 4,
    }

    def __init__(self, root: Node) -> None:
        self.length: dict[Node, int] = {}
        self.links: dict[Node, int] = {}
        self.commas: dict[Node, int] = {}
        self.headings: dict[Node, int] = {}
        self.counts: dict[Node, list[int]] = {}  # [p, img, li, input, embed]
        order = list(root.iter())
        for node in reversed(order):  # children before parents
            length = links = commas = headings = 0
            counts = [0, 0, 0, 0, 0]
            for child in node.children:
                if isinstance(child, str):
                    length += len(squash(child))
                    commas += child.count(",")
                else:
                    length += self.length[child]
                    links += self.links[child]
                    commas += self.commas[child]
                    headings += self.headings[child]
                    counts = [a + b for a, b in zip(counts, self.counts[child])]
            if node.tag == "a":
                links = length
            if node.tag in _HEADINGS:
                headings = length
            slot = self._COUNTED.get(node.tag)
            if slot is not None:
                counts[slot] += 1
            self.length[node] = length
            self.links[node] = links
            self.commas[node] = commas
            self.headings[node] = headings
            self.counts[node] = counts

    def link_density(self, node: Node) -> float:
        length = self.length.get(node, 0)
        return self.links.get(node, 0) / length if length else 0.0


def _class_weight(node: Node) -> int:
    """+25 for a content-like class or id, -25 for a furniture-like one (each)."""
    weight = 0
    for value in (node.attrs.get("class", ""), node.attrs.get("id", "")):
        if value:
            if _NEGATIVE.search(value):
                weight -= 25
            if _POSITIVE.search(value):
                weight += 25
    return weight


def _initial_score(node: Node, weigh_classes: bool) -> float:
    base = {
        "div": 5,
        "pre": 3,
        "td": 3,
        "blockquote": 3,
        "address": -3,
        "ol": -3,
        "ul": -3,
        "dl": -3,
        "dd": -3,
        "dt": -3,
        "li": -3,
        "form": -3,
        "th": -5,
    }.get(node.tag, 0)
    if node.tag in _HEADINGS:
        base = -5
    return base + (_class_weight(node) if weigh_classes else 0)


def _own_inline_text(node: Node) -> str:
    """Text of the children that are not blocks (a div holding bare text and <br>s).

    Nested blocks are not entered, so each piece of text belongs to one block only.
    """
    parts: list[str] = []
    stack: list[Node | str] = list(reversed(node.children))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif item.tag not in BLOCK and item.tag not in SKIP:
            parts.append(" ")
            stack.extend(reversed(item.children))
    return squash("".join(parts))


def _paragraph_units(root: Node) -> Iterable[tuple[Node, str]]:
    """(container the paragraph scores into first, paragraph text)."""
    for node in root.iter():
        if node.tag in _SCORED:
            if node.parent is not None:
                yield node.parent, node.text()
        elif node.tag in _CONTAINERS:
            text = _own_inline_text(node)
            if text:
                yield node, text


def _score_candidates(root: Node, stats: _Stats, weigh_classes: bool = True) -> dict[Node, float]:
    """Readability-style container scores (step 2); ``weigh_classes=False`` ignores class/id hints."""
    scores: dict[Node, float] = {}
    for container, text in _paragraph_units(root):
        if len(text) < 25:
            continue
        points = 1 + text.count(",") + text.count("，") + min(len(text) // 100, 3)
        chain = [container, *islice(container.ancestors(), 4)]
        for level, node in enumerate(chain):
            if node.tag == "#root":
                break
            if node not in scores:
                scores[node] = _initial_score(node, weigh_classes)
            scores[node] += points / (1 if level == 0 else 2 if level == 1 else level * 3)
    return {node: score * (1 - stats.link_density(node)) for node, score in scores.items()}


def _top_candidate(root: Node, scores: dict[Node, float]) -> Node:
    if not scores:
        return root
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    top = ranked[0]
    # Several strong candidates under one ancestor (content split into sibling blocks): take the ancestor.
    alternatives = [node for node in ranked[1:5] if scores[node] >= 0.75 * scores[top]]
    if len(alternatives) >= 3:
        lineages = [set(alt.ancestors()) for alt in alternatives]
        for ancestor in top.ancestors():
            if ancestor.tag == "#root":
                break
            if sum(1 for lineage in lineages if ancestor in lineage) >= 3:
                top = ancestor
                break
    # A parent that holds the top candidate as its only element child is the same content.
    while top.parent is not None and top.parent.tag not in ("#root", "body", "html"):
        elements = [child for child in top.parent.children if isinstance(child, Node)]
        if len(elements) != 1:
            break
        top = top.parent
    return top


def _with_siblings(top: Node, scores: dict[Node, float], stats: _Stats) -> list[Node]:
    parent = top.parent
    if parent is None or top.tag in ("body", "html", "#root"):
        return [top]
    threshold = max(10.0, scores.get(top, 0.0) * 0.2)
    top_hint = top.attrs.get("class", "")
    kept = []
    for sibling in parent.children:
        if not isinstance(sibling, Node):
            continue
        if sibling is top:
            kept.append(sibling)
            continue
        bonus = scores.get(top, 0.0) * 0.2 if top_hint and sibling.attrs.get("class", "") == top_hint else 0.0
        if scores.get(sibling, 0.0) + bonus >= threshold:
            kept.append(sibling)
        elif sibling.tag == "p":
            density = stats.link_density(sibling)
            length = stats.length.get(sibling, 0)
            text = sibling.text()
            if (length > 80 and density < 0.25) or (0 < length <= 80 and density == 0 and _SENTENCE_END.search(text)):
                kept.append(sibling)
    return kept


def _should_remove(node: Node, scores: dict[Node, float], stats: _Stats) -> bool:
    weight = _class_weight(node)
    if weight + scores.get(node, 0.0) < 0:
        return True
    if stats.commas[node] >= 10:
        return False
    is_list = node.tag in ("ul", "ol", "dl")
    paragraphs, images, items, inputs, embeds = stats.counts[node]
    items -= 100
    density = stats.link_density(node)
    length = stats.length[node]
    return (
        (images > 1 and paragraphs / images < 0.5)
        or (not is_list and items > paragraphs)
        or inputs > paragraphs // 3
        or (
            not is_list
            and length < 25
            and (images == 0 or images > 2)
            and density > 0
            and stats.headings[node] < 0.9 * max(length, 1)
        )
        or (not is_list and weight < 25 and density > 0.2)
        or (weight >= 25 and density > 0.5)
        or (embeds == 1 and length < 75)
        or embeds > 1
    )


def _clean_content(content: Node, scores: dict[Node, float], stats: _Stats) -> None:
    """Remove link lists, forms, image blocks and furniture headings inside the kept content (step 3)."""
    for node in reversed(list(content.iter())):
        if node is content or node.parent is None:
            continue
        remove = False
        if node.tag in _CONDITIONAL:
            remove = _should_remove(node, scores, stats)
        elif node.tag in _HEADINGS:
            remove = _class_weight(node) < 0 or stats.link_density(node) > 0.33
        if remove:
            node.parent.children = [child for child in node.parent.children if child is not node]


def _paragraphs_of(nodes: Iterable[Node]) -> list[str]:
    """The text of ``nodes``, one string per block element (step 4)."""
    paragraphs: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = squash("".join(buffer))
        if text:
            paragraphs.append(text)
        buffer.clear()

    stack: list[Node | str | None] = list(reversed(list(nodes)))
    while stack:
        item = stack.pop()
        if item is None:  # end of a block
            flush()
        elif isinstance(item, str):
            buffer.append(item)
        elif item.tag in SKIP:
            continue
        elif item.tag in BLOCK or item.tag == "br":
            flush()
            stack.append(None)
            stack.extend(reversed(item.children))
        else:
            stack.extend(reversed(item.children))
    flush()
    return paragraphs


_ENOUGH = 500  # characters: a shorter result makes the extractor retry with fewer rules, like Readability


def _copy(root: Node) -> Node:
    clone = Node(root.tag, root.attrs, None, root.line)
    stack = [(root, clone)]
    while stack:
        node, twin = stack.pop()
        for child in node.children:
            if isinstance(child, str):
                twin.children.append(child)
            else:
                copy = Node(child.tag, child.attrs, twin, child.line)
                twin.children.append(copy)
                stack.append((child, copy))
    return clone


def _attempt(root: Node, by_hints: bool, weigh_classes: bool, clean: bool) -> list[str]:
    _strip_boilerplate(root, by_hints)
    stats = _Stats(root)
    scores = _score_candidates(root, stats, weigh_classes)
    top = _top_candidate(root, scores)
    content = _with_siblings(top, scores, stats)
    if clean:
        for node in content:
            _clean_content(node, scores, stats)
    paragraphs = _paragraphs_of(content)
    if not paragraphs and top is not root:
        paragraphs = _paragraphs_of([root])
    return paragraphs


def extract_paragraphs(root: Node) -> list[str]:
    """The article body of the page (or element) ``root`` as paragraphs; modifies the tree.

    When the result is under 500 characters, it tries again without the class/id rules, then
    without class weights, then without the final cleaning, and takes the first retry that gives
    at least 500 characters and three times as much text (a story hidden by a misleading class);
    otherwise the first result stands.

    Example:
        >>> from customs_topics.readers.html_tree import build_tree
        >>> extract_paragraphs(build_tree("<footer>(c) Agency</footer><p>Officers seized 2 tonnes of cocaine.</p>"))
        ['Officers seized 2 tonnes of cocaine.']
    """
    first: list[str] = []
    first_length = 0
    attempts = ((True, True, True), (False, True, True), (False, False, True), (False, False, False))
    for k, flags in enumerate(attempts):
        last = k == len(attempts) - 1
        paragraphs = _attempt(root if last else _copy(root), *flags)
        length = sum(len(p) for p in paragraphs)
        if k == 0:
            if length >= _ENOUGH:
                return paragraphs
            first, first_length = paragraphs, length
        elif length >= _ENOUGH and length >= 3 * first_length:
            return paragraphs
    # A short page stays short: fewer rules would only add its furniture.
    return first
