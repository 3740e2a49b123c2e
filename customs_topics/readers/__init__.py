"""Readers: one module per input format, and the registry that picks one.

============  ==========================  =============================================
format        module                      file extensions
============  ==========================  =============================================
``digest``    :mod:`.digest`              (``.txt`` with the digest layout, see below)
``text``      :mod:`.text`                ``.txt``, ``.text``
``jsonl``     :mod:`.jsonl`               ``.jsonl``, ``.ndjson``, ``.json``
``csv``       :mod:`.csv`                 ``.csv``
``tsv``       :mod:`.csv`                 ``.tsv``, ``.tab``
``html``      :mod:`.html`                ``.html``, ``.htm``, ``.xhtml``
============  ==========================  =============================================

Decoding and opening live in :mod:`.sources`; field names in :mod:`.fields`.
Detection (:func:`detect`) trusts the extension, except that a text file is
sniffed: a first line starting with ``{`` is JSON Lines, a page starting with
``<!DOCTYPE html>``/``<html>`` (or ``<head>``, ``<body>``, ``<article>``) is
HTML, the unmistakable digest layout is a digest, anything else is one
plain-text article. Files of unknown extension and streams are sniffed the
same way. CSV/TSV are never guessed from content.

Example:
    >>> detect("news.csv", "")
    ('csv', 'extension .csv')
    >>> detect("<stdin>", "PRESS RELEASE\\n\\nCustoms seize pills\\n\\nNotes to editors")
    ('text', 'content')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .csv import parse_csv
from .digest import looks_like_digest, parse_digest
from .fields import FieldMap
from .html import parse_html
from .jsonl import parse_jsonl
from .text import parse_text

Records = Iterator[tuple[int, Any]]


@dataclass(frozen=True)
class Reader:
    """One input format: its name, the extensions that select it and its parser.

    A ``streaming`` reader's ``parse(lines, name, fields)`` takes an iterator of
    lines; the others' ``parse(text, name, fields)`` take the whole decoded
    text. Both yield ``(line, record_dict_or_InputError)``. ``multi`` readers
    hold several records per file (their records' ``source`` is ``path:LINE``).
    """

    name: str
    extensions: tuple[str, ...]
    parse: Callable[..., Records]
    streaming: bool
    multi: bool


def _whole(parser: Callable[[str, str], Records]) -> Callable[..., Records]:
    def parse(text: str, name: str, fields: FieldMap) -> Records:
        return parser(text, name)

    return parse


READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        Reader("digest", (), _whole(parse_digest), streaming=False, multi=True),
        Reader("jsonl", (".jsonl", ".ndjson", ".json"), parse_jsonl, streaming=True, multi=True),
        Reader("text", (".txt", ".text"), _whole(parse_text), streaming=False, multi=False),
        Reader("html", (".html", ".htm", ".xhtml"), _whole(parse_html), streaming=False, multi=False),
        Reader("csv", (".csv",), partial(parse_csv, delimiter=","), streaming=True, multi=True),
        Reader("tsv", (".tsv", ".tab"), partial(parse_csv, delimiter="\t"), streaming=True, multi=True),
    )
}
FORMATS: tuple[str, ...] = tuple(READERS)
#: Extensions a directory walk reads; other files in a directory are skipped.
EXTENSIONS: frozenset[str] = frozenset(ext for r in READERS.values() for ext in r.extensions)

_HTML_START = re.compile(
    r"^\s*(<\?xml[^>]*>\s*)?(<!doctype\s+html|<html|<head\b|<body\b|<article\b|<!--)", re.IGNORECASE
)


def detect(name: str, head: str) -> tuple[str, str]:
    """``(format, why)`` for a file name and the first characters of its content.

    Example:
        >>> detect("a.txt", "Lone headline\\nSome body.")
        ('text', 'content')
    """
    suffix = Path(name).suffix.lower()
    for reader in READERS.values():
        if suffix in reader.extensions and reader.name != "text":
            return reader.name, f"extension {suffix}"
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return "jsonl", "content: a JSON object"
    if _HTML_START.match(stripped):
        return "html", "content: an HTML page"
    if looks_like_digest(head.lstrip("\ufeff")):
        return "digest", "content: repeated-title digest layout"
    return "text", "content"
