"""The :class:`Article` record and the public entry points that read files into it.

Each format has its reader in :mod:`customs_topics.readers` (``digest``,
``text``, ``jsonl``, ``csv``, ``tsv``, ``html``); this module opens the
source, picks the reader (the ``format`` given, else detected from the
extension and the content, and logged at INFO level), and turns the reader's
records into articles, with ``source`` saying where each came from.

Example:
    >>> import io
    >>> from customs_topics import read_articles
    >>> digest = "Fake vaccines seized\\n\\nFake vaccines seized\\n\\nCustoms seized vials."
    >>> [a.title for a in read_articles(io.StringIO(digest), format="digest")]
    ['Fake vaccines seized']
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Union

from .errors import CustomsTopicsError, InputError, SourceError
from .readers import EXTENSIONS, FORMATS, READERS, detect
from .readers.fields import DEFAULT_FIELDS, FieldMap
from .readers.sources import (
    Source,
    binary_kind,
    byte_lines,
    decode_page,
    normalise,
    open_source,
    peek_text,
    read_head,
    read_more,
    source_name,
    text_lines,
)
from .readers.text import parse_text

log = logging.getLogger("customs_topics")

Format = Literal["digest", "jsonl", "text", "html", "csv", "tsv"]
Input = Union[Source, Iterable[Source]]
OnError = Literal["raise", "skip", "report"]

__all__ = [
    "FORMATS",
    "MAX_ARTICLE_CHARS",
    "Article",
    "Format",
    "Source",
    "detect_format",
    "iter_articles",
    "iter_inputs",
    "iter_numbered",
    "iter_records",
    "read_articles",
    "text_id",
    "write_jsonl",
]

#: Articles longer than this many characters (title + body) are truncated
#: with a warning; see :func:`read_articles`.
MAX_ARTICLE_CHARS = 5_000_000


@dataclass(frozen=True)
class Article:
    """One news article.

    ``labels`` is ``None`` when the article is unlabelled and a tuple of theme
    ids (possibly empty: "none of the themes") when it is labelled. ``meta``
    keeps any other field of the input (``url``, ``date``, ``event``, ...).
    ``source`` says where a read article came from: ``"path"`` for a file
    holding one article, ``"path:LINE"`` (the line the record starts on) for
    digests, JSON Lines, CSV/TSV and pages with several articles; ``None`` for
    articles built in code. It is not part of equality.

    Example:
        >>> a = Article.from_text("WCO launches STCE training", "Dual-use goods ...")
        >>> a.id == Article.from_text("WCO launches STCE training", "Dual-use goods ...").id
        True
    """

    id: str
    title: str
    body: str
    labels: tuple[str, ...] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)

    @staticmethod
    def make_id(title: str, body: str) -> str:
        """A stable id derived from the content: same article, same id.

        Example:
            >>> Article.make_id("Pills seized", "Customs seized pills.")
            'a-d8ab18a08643bae4'
        """
        digest = hashlib.sha1(f"{title}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()
        return "a-" + digest[:16]

    @classmethod
    def from_text(
        cls,
        title: str,
        body: str = "",
        *,
        id: str | None = None,
        labels: Iterable[str] | None = None,
        **meta: Any,
    ) -> Article:
        """Build an article, deriving a stable id from its content if none is given.

        Example:
            >>> Article.from_text("Pills seized", "Customs seized pills.", id="n1").id
            'n1'
        """
        return cls(
            id=id if id is not None else cls.make_id(title, body),
            title=title,
            body=body,
            labels=None if labels is None else tuple(labels),
            meta=meta,
        )

    @property
    def text(self) -> str:
        """Title and body joined by a blank line."""
        if not self.title:
            return self.body
        return f"{self.title}\n\n{self.body}" if self.body else self.title

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; ``read_articles`` of its JSON line gives the article back.

        Example:
            >>> Article.from_text("T", "B", id="x", url="u").to_dict()
            {'id': 'x', 'title': 'T', 'body': 'B', 'url': 'u'}
        """
        out: dict[str, Any] = {"id": self.id, "title": self.title, "body": self.body}
        if self.labels is not None:
            out["labels"] = list(self.labels)
        out.update(self.meta)
        return out


def text_id(text: str) -> str:
    """The id the readers (and so the CLI) give ``text`` read as one plain-text article.

    ``model.tag("...")`` uses it for strings, so a text gets the same id from
    Python as from ``customs-topics tag`` on a file or stdin holding it.

    Example:
        >>> text_id("Pills seized\\nCustoms seized pills.") == Article.make_id("Pills seized", "Customs seized pills.")
        True
    """
    for _, record in parse_text(normalise(text), "<text>"):
        return Article.make_id(record["title"], record["body"])
    return Article.make_id("", "")


def detect_format(name: str, head: str) -> Format:
    """Guess the format from a file name and the first characters of its content.

    The extension decides (``.jsonl``, ``.csv``, ``.tsv``, ``.html``, ...),
    except for ``.txt`` and unknown extensions, which are sniffed: JSON Lines
    when the content starts with ``{``, HTML when it starts like a page, a
    digest only when the layout is unmistakable (the first block is a title
    repeated as the next block, and at least two titles are repeated), else
    one plain-text article.

    Example:
        >>> detect_format("news.jsonl", "")
        'jsonl'
        >>> detect_format("<stdin>", '{"title": "x", "body": "y"}')
        'jsonl'
        >>> detect_format("release.txt", "PRESS RELEASE\\n\\nCustoms seize pills\\n\\n###\\n\\nNotes to editors")
        'text'
    """
    return detect(name, head)[0]  # type: ignore[return-value]


def _to_article(record: dict[str, Any], name: str, line: int, max_chars: int, source: str | None) -> Article:
    record = dict(record)
    title = record.pop("title")
    body = record.pop("body")
    labels = record.pop("labels", None)
    raw_id = record.pop("id", None)
    if "\x00" in title or "\x00" in body:
        title, body = title.replace("\x00", ""), body.replace("\x00", "")
    if len(title) + len(body) > max_chars:
        log.warning(
            "%s:%d: article is %d characters, truncated to %d (max_chars)",
            name,
            line,
            len(title) + len(body),
            max_chars,
        )
        title = title[:max_chars]
        body = body[: max(0, max_chars - len(title))]
    return Article(
        id=str(raw_id) if raw_id is not None else Article.make_id(title, body),
        title=title,
        body=body,
        labels=None if labels is None else tuple(labels),
        meta=record,
        source=source,
    )


# --------------------------------------------------------------------------- #
# Public readers


def _field_map(title_field: str | None, text_field: str | None, id_field: str | None) -> FieldMap:
    if title_field is None and text_field is None and id_field is None:
        return DEFAULT_FIELDS
    for what, value in (("title_field", title_field), ("text_field", text_field), ("id_field", id_field)):
        if value is not None and (not isinstance(value, str) or not value):
            raise InputError(f"{what} must be a non-empty column or field name, got {value!r}")
    return FieldMap(title=title_field, text=text_field, id=id_field)


def iter_records(
    source: Source,
    format: Format | None = None,
    *,
    max_chars: int = MAX_ARTICLE_CHARS,
    title_field: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
) -> Iterator[Article | InputError]:
    """Stream articles, yielding an :class:`InputError` in place of each bad record.

    This is the building block for pipelines that must keep going past bad
    records (the CLI's ``--on-error``). File-level problems (missing file,
    unsupported format, undecodable bytes outside JSON Lines/CSV) are raised,
    not yielded. ``title_field`` / ``text_field`` / ``id_field`` name the
    JSON Lines fields or CSV columns holding the title, text and id (defaults
    ``title``, ``body`` else ``text``, ``id``). For many files and
    directories, see :func:`iter_inputs`.

    Example:
        >>> import io
        >>> src = io.StringIO('{"title": "a", "body": "b"}\\nnot json\\n')
        >>> [type(r).__name__ for r in iter_records(src, format="jsonl")]
        ['Article', 'InputError']
    """
    for _, item in iter_numbered(
        source, format, max_chars=max_chars, title_field=title_field, text_field=text_field, id_field=id_field
    ):
        yield item


def iter_numbered(
    source: Source,
    format: Format | None = None,
    *,
    max_chars: int = MAX_ARTICLE_CHARS,
    title_field: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
) -> Iterator[tuple[int, Article | InputError]]:
    """Like :func:`iter_records`, with the line number each record starts on.

    Example:
        >>> import io
        >>> [(n, a.title) for n, a in iter_numbered(io.StringIO("\\nHeadline\\nBody."), format="text")]
        [(2, 'Headline')]
    """
    name = source_name(source)
    if format is not None and format not in READERS:
        raise InputError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    fields = _field_map(title_field, text_field, id_field)
    fh, own = open_source(source)
    try:
        head = read_head(fh, name, whole=False)
        is_text = isinstance(head, str)
        if not is_text:
            kind = binary_kind(head)
            if kind is not None:
                raise InputError(f"unsupported format: this is {kind}; {_supported()}", source=name)
        sniff = head if is_text else peek_text(head)
        if format is None and head and not sniff.lstrip("\ufeff \t\r\n").startswith("{"):
            # Not JSON Lines: the other formats are detected on a full head.
            head += read_more(fh, head)
            sniff = head if is_text else peek_text(head)
        fmt, why = (format, "format given") if format else detect(name, sniff)
        log.info("%s: reading as %s (%s)", name, fmt, why)
        reader = READERS[fmt]
        if reader.streaming:
            lines = text_lines(head, fh) if is_text else byte_lines(head, fh, name)
            yield from _articles(reader.parse(lines, name, fields), name, max_chars, True)
            return
        try:
            rest = fh.read() if head else head  # nothing at all: the input has ended (a terminal's Ctrl-D)
        except OSError as exc:
            raise SourceError(f"{name}: cannot read ({exc.strerror or exc})") from None
        text = normalise(head + rest if is_text else decode_page(head + rest, name, fmt))
    finally:
        if own:
            fh.close()
    records = list(reader.parse(text, name, fields))
    yield from _articles(iter(records), name, max_chars, reader.multi or len(records) > 1)


def _supported() -> str:
    return f"supported: {', '.join(FORMATS)} (UTF-8 or UTF-16/32 text; convert other documents to text first)"


def _articles(
    records: Iterator[tuple[int, Any]], name: str, max_chars: int, numbered: bool
) -> Iterator[tuple[int, Article | InputError]]:
    """Articles from a reader's records; a repeated explicit id is a bad record naming the first."""
    seen: dict[str, int] = {}
    for number, record in records:
        if isinstance(record, InputError):
            yield number, record
            continue
        explicit = record.get("id") is not None
        article = _to_article(record, name, number, max_chars, f"{name}:{number}" if numbered else name)
        if explicit:
            first = seen.setdefault(article.id, number)
            if first != number:
                yield (
                    number,
                    InputError(
                        f"duplicate id {article.id!r} (first seen on line {first})",
                        source=name,
                        line=number,
                        field="id",
                        record_id=article.id,
                    ),
                )
                continue
        yield number, article


def iter_inputs(
    inputs: Input,
    format: Format | None = None,
    *,
    max_chars: int = MAX_ARTICLE_CHARS,
    title_field: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
) -> Iterator[Article | CustomsTopicsError]:
    """Stream the articles of many inputs, in order: files, directories and ``"-"`` (stdin).

    A directory is read recursively in sorted order; it contributes the files
    whose extension is a readable format (``.txt``, ``.jsonl``, ``.csv``,
    ``.html``, ...), skipping hidden files and folders and, with a warning
    naming them, files of other types. Like :func:`iter_records`, a bad
    record is yielded as its :class:`InputError`; unlike it, a file that
    cannot be read at all (missing, unsupported format, undecodable) is also
    *yielded*, as its :class:`InputError` or :class:`SourceError` with
    ``whole_file = True``, and the next inputs are still read.

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "b.txt").write_text("Second headline\\nBody.")
        >>> _ = (d / "a.txt").write_text("First headline\\nBody.")
        >>> [a.source.rsplit("/", 1)[-1] for a in iter_inputs([d])]
        ['a.txt', 'b.txt']
    """
    options = {"max_chars": max_chars, "title_field": title_field, "text_field": text_field, "id_field": id_field}
    items: Iterable[Source] = [inputs] if isinstance(inputs, (str, os.PathLike)) or hasattr(inputs, "read") else inputs  # type: ignore[list-item]
    for item in items:
        for source in _expand(item):
            try:
                yield from iter_records(source, format, **options)  # type: ignore[arg-type]
            except (InputError, SourceError) as exc:
                exc.whole_file = True  # type: ignore[union-attr]
                yield exc


def _expand(item: Source) -> Iterator[Source]:
    """``item`` itself, stdin for ``"-"``, or the readable files of a directory."""
    if isinstance(item, str) and item == "-":
        yield sys.stdin.buffer
        return
    if not isinstance(item, (str, os.PathLike)) or not os.path.isdir(item):
        yield item
        return
    found = skipped = 0
    names: list[str] = []
    for path in _walk(Path(item)):
        if path.suffix.lower() in EXTENSIONS:
            found += 1
            yield path
        else:
            skipped += 1
            names.append(str(path))
    if skipped:
        shown = ", ".join(names[:5]) + (f" and {skipped - 5} more" if skipped > 5 else "")
        log.warning("%s: skipped %d file(s) that are not a readable format: %s", os.fspath(item), skipped, shown)
    if not found:
        log.warning(
            "%s: no readable files in this directory (extensions: %s)", os.fspath(item), " ".join(sorted(EXTENSIONS))
        )


def _walk(directory: Path) -> Iterator[Path]:
    """Files under ``directory``, depth first in name order, without hidden files and folders."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        log.warning("%s: cannot list this directory (%s), skipped", directory, exc.strerror or exc)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)


def iter_articles(
    source: Source,
    format: Format | None = None,
    *,
    on_error: Literal["raise", "skip"] = "raise",
    max_chars: int = MAX_ARTICLE_CHARS,
    title_field: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
) -> Iterator[Article]:
    """Stream :class:`Article` records from a file path or an open file.

    JSON Lines and CSV are read line by line (memory does not grow with the
    file). With ``on_error="skip"`` bad records are logged as warnings and
    skipped; the default raises :class:`~customs_topics.errors.InputError` at
    the first.

    Example:
        >>> import io
        >>> arts = iter_articles(io.StringIO('{"title": "T", "body": "B", "id": "x1"}'), format="jsonl")
        >>> next(arts).id
        'x1'
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    for item in iter_records(
        source, format, max_chars=max_chars, title_field=title_field, text_field=text_field, id_field=id_field
    ):
        if isinstance(item, InputError):
            if on_error == "raise":
                raise item
            log.warning("skipped: %s", item)
            continue
        yield item


def read_articles(
    source: Source,
    format: Format | None = None,
    *,
    on_error: Literal["raise", "skip"] = "raise",
    max_chars: int = MAX_ARTICLE_CHARS,
    title_field: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
) -> list[Article]:
    """Read every article of a file (path or open file) into a list.

    ``format`` is one of ``"digest"``, ``"jsonl"``, ``"text"``, ``"html"``,
    ``"csv"``, ``"tsv"``; when omitted it is detected from the file extension
    and the content (see :func:`detect_format`). ``title_field`` /
    ``text_field`` / ``id_field`` map JSON Lines fields or CSV columns.
    Articles longer than ``max_chars`` characters are truncated with a warning.

    Example:
        >>> import io
        >>> read_articles(io.StringIO("Headline\\nFirst paragraph."), format="text")[0].body
        'First paragraph.'
        >>> csv = io.StringIO("headline,content\\nPills seized,Customs seized pills.\\n")
        >>> read_articles(csv, "csv", title_field="headline", text_field="content")[0].title
        'Pills seized'
    """
    return list(
        iter_articles(
            source,
            format,
            on_error=on_error,
            max_chars=max_chars,
            title_field=title_field,
            text_field=text_field,
            id_field=id_field,
        )
    )


def write_jsonl(articles: Iterable[Article], fh: IO[str]) -> None:
    """Write articles as JSON Lines (the inverse of ``read_articles(..., "jsonl")``).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> write_jsonl([Article.from_text("T", "B", id="x")], out)
        >>> out.getvalue()
        '{"id": "x", "title": "T", "body": "B"}\\n'
    """
    for article in articles:
        fh.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
