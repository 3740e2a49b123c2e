"""HTML pages: one page's text -> ``(record number, {"title", "body", ...})`` records.

The reader behind ``format="html"`` (decoding and charset happen before, in
:mod:`customs_topics.articles`).

**Headline.** Taken from the article itself. Candidates are the headings
(``<h1>``, then ``<h2>``) of the page's main ``<article>``, of ``<main>``, then
of the page, never one inside the page's header, navigation or footer, nor a
logo or the site name (``<header><h1 class="logo">Trade Gazette</h1>`` is never
a headline). The declared title is ``og:title``, else ``twitter:title``, else
``<title>``, minus the site name (``"Story | Site"``, ``" - Site"``,
``" – Site"``; the site name from ``og:site_name`` when given). The headline
is the first candidate heading that shares at least half its words with the
declared title (so a "Most popular" heading inside ``<article>`` is passed
over); failing that, the ``<article>``'s ``<h1>``; failing that, the declared
title if it has four words or more (or there is no heading), else the first
candidate heading.

**Body.** The article text without navigation, breadcrumbs, share, cookie and
newsletter blocks, related-story lists, bylines, comments and footers, one
paragraph per block, paragraphs separated by a blank line. Two extractors:

* ``"trafilatura"``: the trafilatura library (``pip install 'customs-topics[html]'``);
* ``"builtin"``: the standard-library extractor of
  :mod:`customs_topics.readers.html_builtin` (always available).

``extractor="auto"`` (the default) uses trafilatura when it is importable and
the builtin extractor otherwise, and also when trafilatura fails on a page or
finds no text in it. The environment variable ``CUSTOMS_TOPICS_HTML_EXTRACTOR``
(``auto``, ``builtin`` or ``trafilatura``) sets the default, e.g. to force the
builtin extractor from the CLI; an explicit ``extractor=`` argument wins.
Measured quality: ``benchmarks/RESULTS.md``, section "HTML body extraction".

**Several articles on one page.** A listing page, i.e. two or more top-level
``<article>`` elements that each have a heading and at least 200 characters of
text that is not links, the smaller ones at least a quarter of the largest,
gives **one record per article**, in page order, each with its own heading as
title and its own text as body (always extracted by the builtin extractor,
since trafilatura keeps one main text per page); an info message is logged.
Otherwise (one article, or a story with small teaser ``<article>`` cards
around it) the page is one record.

**Extra fields** (they end up in ``Article.meta``): ``url`` (``og:url``, else
``<link rel="canonical">``; for a listing page's records, the link of each
article's heading, resolved against the page URL) and ``date``
(``article:published_time``, ``datePublished``, ``<meta name="date">``, else
the first ``<time datetime>`` of the article), only when the page has them.

The record number is 1 for a one-article page and 1, 2, 3... for the articles
of a listing page.

Example:
    >>> page = '''<html><head><title>Fake vaccines seized | Customs Agency</title></head><body>
    ... <header><h1 class="logo">Customs Agency</h1></header>
    ... <article><h1>Fake vaccines seized</h1><p>Customs seized vials.</p></article></body></html>'''
    >>> next(parse_html(page, "page.html", extractor="builtin"))
    (1, {'title': 'Fake vaccines seized', 'body': 'Customs seized vials.'})
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any, Literal
from urllib.parse import urljoin

from ..errors import InputError
from .html_builtin import extract_paragraphs
from .html_tree import Node, build_tree, squash

log = logging.getLogger("customs_topics")

Extractor = Literal["auto", "builtin", "trafilatura"]
EXTRACTORS: tuple[str, ...] = ("auto", "builtin", "trafilatura")
ENV_VAR = "CUSTOMS_TOPICS_HTML_EXTRACTOR"

_CHROME = frozenset({"header", "nav", "footer", "aside"})
_LOGO = re.compile(r"logo|brand|site-?title|site-?name|masthead|navbar|header__title", re.IGNORECASE)
_COMMENT = re.compile(r"comment|teaser|card|promo|related", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+|\s*\|\s*")
_DATE_META = (
    "article:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
)
_ANCESTOR_LIMIT = 100  # how far up a heading looks for a header/nav/logo container
_WORD = re.compile(r"\w+")
_NOSCRIPT = re.compile(r"<noscript\b.*?</noscript\s*>", re.IGNORECASE | re.DOTALL)
_LISTING_MIN_CHARS = 200
_LISTING_MIN_SHARE = 0.25


_TRAFILATURA: list[Any] = []  # [module or None, config], filled on first use


def _trafilatura() -> Any | None:
    """The trafilatura module, or None when it is not installed or does not import (cached)."""
    if not _TRAFILATURA:
        module = None
        if importlib.util.find_spec("trafilatura") is not None:
            try:
                import trafilatura as module

                # Its per-page warnings about its own choices ("discarding data: None") would reach
                # the CLI's stderr; this reader logs its fallbacks itself. Left alone if already set.
                third_party = logging.getLogger("trafilatura")
                if third_party.level == logging.NOTSET:
                    third_party.setLevel(logging.ERROR)
            except ImportError as exc:  # installed but broken, e.g. lxml without lxml_html_clean
                log.warning("trafilatura is installed but does not import (%s); using the builtin HTML extractor", exc)
                module = None
        _TRAFILATURA.append(module)
    return _TRAFILATURA[0]


def _trafilatura_config() -> Any:
    """trafilatura's settings, except that a short article is kept as found.

    By default trafilatura replaces an extraction shorter than 250 characters (a short press release)
    by a "baseline" of the whole page's text, navigation and sidebars included.
    """
    if len(_TRAFILATURA) < 2:
        from trafilatura.settings import use_config

        config = use_config()
        config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
        _TRAFILATURA.append(config)
    return _TRAFILATURA[1]


def trafilatura_available() -> bool:
    """Whether the optional trafilatura extractor (the ``[html]`` extra) is installed and imports.

    Example:
        >>> isinstance(trafilatura_available(), bool)
        True
    """
    return _trafilatura() is not None


def _resolve_extractor(extractor: str | None) -> str:
    missing = "the trafilatura HTML extractor needs the optional extra: pip install 'customs-topics[html]'"
    if extractor is None:
        extractor = os.environ.get(ENV_VAR, "").strip().lower() or "auto"
        if extractor not in EXTRACTORS:
            raise InputError(f"{ENV_VAR}={extractor!r}: expected one of {', '.join(EXTRACTORS)}")
        if extractor == "trafilatura" and not trafilatura_available():
            # configuration (e.g. of a CLI run), so an input error the CLI reports in one line
            raise InputError(f"{ENV_VAR}=trafilatura: {missing}")
    elif extractor not in EXTRACTORS:
        raise InputError(f"extractor={extractor!r}: expected one of {', '.join(EXTRACTORS)}")
    if extractor == "trafilatura" and not trafilatura_available():
        raise ImportError(missing)
    if extractor == "auto":
        return "trafilatura" if trafilatura_available() else "builtin"
    return extractor


# --------------------------------------------------------------------------- #
# Page metadata and headline


def _meta(root: Node) -> dict[str, str]:
    """<meta property|name|itemprop=... content=...> values (lower-cased keys, first wins) and canonical link."""
    found: dict[str, str] = {}
    for node in root.iter("meta", "link", "title"):
        if node.tag == "title":
            found.setdefault("<title>", squash("".join(node.text_parts(frozenset()))))
        elif node.tag == "link":
            if "canonical" in node.attrs.get("rel", "").lower().split() and node.attrs.get("href"):
                found.setdefault("<canonical>", node.attrs["href"].strip())
        else:
            key = (node.attrs.get("property") or node.attrs.get("name") or node.attrs.get("itemprop") or "").lower()
            content = squash(node.attrs.get("content", ""))
            if key and content:
                found.setdefault(key, content)
    return found


def _in_chrome(node: Node, stop: Node | None = None) -> bool:
    for ancestor in islice(node.ancestors(), _ANCESTOR_LIMIT):
        if ancestor is stop:
            return False
        if ancestor.tag in _CHROME or _LOGO.search(ancestor.hint()):
            return True
    return False


def _is_logo(node: Node, site: str) -> bool:
    text = node.text()
    return (
        bool(_LOGO.search(node.hint()))
        or any(_LOGO.search(a.hint()) for a in node.iter("a", "img"))
        or (bool(site) and text.lower() == site.lower())
    )


def strip_site_name(title: str, site: str = "") -> str:
    """``title`` without a leading or trailing site name ("Story | Trade Gazette" -> "Story").

    With ``site`` (e.g. from ``og:site_name``) only that name is removed; without it, a short last
    part after `` | ``, `` - `` or `` – `` is taken for the site name.

    Example:
        >>> strip_site_name("Customs seize fake vaccines | Trade Gazette")
        'Customs seize fake vaccines'
        >>> strip_site_name("Trade Gazette - Customs seize fake vaccines", "Trade Gazette")
        'Customs seize fake vaccines'
    """
    title = squash(title)
    if site and title.casefold() == site.casefold():
        return ""
    parts = [p for p in _SEPARATORS.split(title) if p]
    if len(parts) < 2:
        return title
    if site:
        site_l = site.lower()
        if parts[-1].lower() == site_l or site_l in parts[-1].lower():
            return squash(title[: title.lower().rindex(parts[-1].lower())]).rstrip("|-–—:·•» ").strip()
        if parts[0].lower() == site_l:
            return squash(title[len(parts[0]) :]).lstrip("|-–—:·•» ").strip()
        return title
    last = parts[-1]
    head = squash(title[: title.rindex(last)]).rstrip("|-–—:·•» ").strip()
    if len(last.split()) <= 4 and len(head.split()) >= 2:
        return head
    return title


def _heading_of(container: Node, site: str) -> str:
    for tag in ("h1", "h2"):
        for heading in container.iter(tag):
            if not _in_chrome(heading, stop=container) and not _is_logo(heading, site):
                text = heading.text()
                if text:
                    return text
    return ""


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _agrees(heading: str, reference: str) -> bool:
    """Whether a heading and the page's declared title name the same story (half their words shared)."""
    a, b = _words(heading), _words(reference)
    return bool(a and b) and len(a & b) >= 0.5 * max(len(a), len(b))


def _headings(root: Node, main_article: Node | None, site: str) -> list[str]:
    """Candidate headlines in order: the main <article>'s h1 then h2, <main>'s, then the page's, never chrome."""
    found: list[str] = []
    scopes = ([main_article] if main_article is not None else []) + list(islice(root.iter("main"), 2)) + [root]
    for scope in scopes:
        for tag in ("h1", "h2"):
            for heading in scope.iter(tag):
                stop = None if scope is root else scope
                if not _in_chrome(heading, stop=stop) and not _is_logo(heading, site):
                    text = heading.text()
                    if text and text not in found:
                        found.append(text)
    return found


def _headline(root: Node, meta: dict[str, str], main_article: Node | None) -> str:
    site = meta.get("og:site_name", "")
    declared = [strip_site_name(meta.get(key, ""), site) for key in ("og:title", "twitter:title", "<title>")]
    reference = next((title for title in declared if title), "")
    headings = _headings(root, main_article, site)
    # The article's own heading when it tells the same story as og:title/<title> (it is often the
    # fuller wording); this skips "Most popular" or "Related stories" headings inside <article>.
    for heading in headings:
        if not reference or _agrees(heading, reference):
            return heading
    if main_article is not None:  # no agreement: the <h1> of the page's <article> still wins
        for heading in main_article.iter("h1"):
            if not _in_chrome(heading, stop=main_article) and not _is_logo(heading, site) and heading.text():
                return heading.text()
    if len(_WORD.findall(reference)) >= 4 or not headings:
        return reference
    return headings[0]


def _date(meta: dict[str, str], scope: Node | None) -> str:
    for key in _DATE_META:
        if meta.get(key):
            return meta[key]
    if scope is not None:
        for node in scope.iter("time"):
            if node.attrs.get("datetime", "").strip():
                return node.attrs["datetime"].strip()
    return ""


# --------------------------------------------------------------------------- #
# Articles on the page


def _top_articles(root: Node) -> list[Node]:
    """<article> elements not inside another one, nor inside comment/teaser/related blocks."""
    found = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, aside = stack.pop()
        aside = aside or bool(_COMMENT.search(node.hint()))
        if node.tag == "article":
            if not aside:
                found.append(node)
            continue  # articles inside an article are its parts
        stack.extend((child, aside) for child in reversed(node.children) if isinstance(child, Node))
    return found


def _prose_length(node: Node) -> int:
    links = sum(len(a.text()) for a in node.iter("a"))
    return len(node.text()) - links


def _listing(articles: list[Node]) -> list[Node]:
    """The articles of a listing page (several comparable articles with headings), else []."""
    sizes = [(_prose_length(node), node) for node in articles]
    big = [(size, node) for size, node in sizes if size >= _LISTING_MIN_CHARS and _heading_of(node, "")]
    if len(big) < 2:
        return []
    largest = max(size for size, _ in big)
    if any(size < _LISTING_MIN_SHARE * largest for size, _ in big):
        return []
    return [node for _, node in big]


def _heading_link(article: Node, page_url: str) -> str:
    for tag in ("h1", "h2", "h3"):
        for heading in article.iter(tag):
            for a in heading.iter("a"):
                href = a.attrs.get("href", "").strip()
                if href and not href.startswith(("#", "javascript:")):
                    return urljoin(page_url, href) if page_url else href
            return ""
    return ""


def _body(paragraphs: list[str], title: str) -> str:
    title_key = title.casefold()
    return "\n\n".join(p for p in paragraphs if p.casefold() != title_key)


def _trafilatura_paragraphs(text: str, name: str) -> list[str] | None:
    """trafilatura's main text as paragraphs; None when it fails or finds nothing (the caller falls back)."""
    trafilatura = _trafilatura()
    try:
        extracted = trafilatura.extract(
            _NOSCRIPT.sub(" ", text), include_comments=False, include_tables=True, config=_trafilatura_config()
        )
    except Exception as exc:  # a third-party parser: any failure on a page falls back to the builtin one
        log.info("%s: trafilatura failed (%s); using the builtin HTML extractor", name, type(exc).__name__)
        return None
    if not extracted or not extracted.strip():
        log.info("%s: trafilatura found no article text; using the builtin HTML extractor", name)
        return None
    return [squash(line) for line in extracted.splitlines() if line.strip()]


def parse_html(text: str, name: str, *, extractor: Extractor | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of one HTML page: ``(number, {"title", "body"[, "url"][, "date"]})``.

    ``extractor`` is ``"auto"`` (trafilatura when installed, else builtin), ``"builtin"`` or
    ``"trafilatura"``; ``None`` reads ``CUSTOMS_TOPICS_HTML_EXTRACTOR`` (default ``"auto"``).
    An unknown name is an ``InputError``; ``"trafilatura"`` without the ``[html]`` extra is an
    ``ImportError`` naming it (an ``InputError`` when it comes from the environment variable).
    See the module docstring for the headline, body and several-articles rules.

    Example:
        >>> page = "<title>Seizure | Agency</title><article><h2>Seizure</h2><p>Officers seized vials.</p></article>"
        >>> [rec["title"] for _, rec in parse_html(page, "p.html", extractor="builtin")]
        ['Seizure']
    """
    chosen = _resolve_extractor(extractor)
    root = build_tree(text)
    meta = _meta(root)
    page_url = meta.get("og:url") or meta.get("<canonical>", "")
    articles = _top_articles(root)
    listing = _listing(articles)
    if listing:
        log.info("%s: %d articles on the page; one record each", name, len(listing))
        for number, article in enumerate(listing, 1):
            title = _heading_of(article, "")
            url, date = _heading_link(article, page_url), _date({}, article)
            record: dict[str, Any] = {"title": title, "body": _body(extract_paragraphs(article), title)}
            if url:
                record["url"] = url
            if date:
                record["date"] = date
            yield number, record
        return
    main_article = max(articles, key=_prose_length) if articles else None
    title = _headline(root, meta, main_article)
    date = _date(meta, main_article or root)
    paragraphs = _trafilatura_paragraphs(text, name) if chosen == "trafilatura" else None
    if paragraphs is None:
        paragraphs = extract_paragraphs(root)
    body = _body(paragraphs, title)
    if not title and not body:
        log.warning("%s: HTML page has no visible text", name)
    record = {"title": title, "body": body}
    if page_url:
        record["url"] = page_url
    if date:
        record["date"] = date
    yield 1, record
