"""Frozen copy of the HTML reader before issue 10 (commit 9c7a13c), kept only as the
baseline row of benchmarks/extraction.py. Not part of the library; do not import it elsewhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

log = logging.getLogger("customs_topics")


class _HTMLText(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "table",
            "section",
            "article",
            "main",
            "header",
            "footer",
            "blockquote",
            "pre",
            "hr",
            "dd",
            "dt",
        }
    )
    _CHROME = frozenset({"nav", "footer", "header", "aside", "form", "button"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_depth = 0
        self.chrome_depth = 0
        self.in_title = False
        self.in_h1 = False
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.parts: list[str] = []
        # Text of each <article> and <main> element (nested ones feed every open one).
        self.regions: list[tuple[str, list[str]]] = []
        self.open_regions: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in self._SKIP:
            self.skip_depth += 1
            return
        if tag in self._CHROME:
            self.chrome_depth += 1
        if tag == "h1" and not self.h1_parts:
            self.in_h1 = True
        if tag in ("article", "main"):
            region: tuple[str, list[str]] = (tag, [])
            self.regions.append(region)
            self.open_regions.append(region)
        if tag in self._BLOCK:
            self._emit("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in self._SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in self._CHROME:
            self.chrome_depth = max(0, self.chrome_depth - 1)
        if tag == "h1":
            self.in_h1 = False
        if tag in self._BLOCK:
            self._emit("\n")
        if tag in ("article", "main"):
            for k in range(len(self.open_regions) - 1, -1, -1):
                if self.open_regions[k][0] == tag:
                    del self.open_regions[k]
                    break

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1_parts.append(data)
            return
        if self.chrome_depth:
            return
        self._emit(data)

    def _emit(self, data: str) -> None:
        self.parts.append(data)
        for _, parts in self.open_regions:
            parts.append(data)

    def body_parts(self) -> list[str]:
        """The longest <article>, else the longest <main>, else the whole page."""
        for kind in ("article", "main"):
            texts = [parts for k, parts in self.regions if k == kind and "".join(parts).strip()]
            if texts:
                return max(texts, key=lambda parts: len("".join(parts).strip()))
        return self.parts


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse_html(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    title = _squash("".join(parser.h1_parts)) or _squash("".join(parser.title_parts))
    parts = parser.body_parts()
    paragraphs = [_squash(p) for p in "".join(parts).split("\n")]
    body = "\n\n".join(p for p in paragraphs if p and p != title)
    if not title and not body:
        log.warning("%s: HTML page has no visible text", name)
    yield 1, {"title": title, "body": body}
