"""Articles and the readers that turn user files into them.

Supported formats:

``digest``
    The seed news-digest format: a title line, the same title repeated
    (optional), then one or more body paragraphs, blocks separated by blank
    lines.
``jsonl``
    JSON Lines, one object per line with ``title`` and ``body`` (or ``text``)
    strings, optional ``id`` and ``labels``; every other key is kept in
    :attr:`Article.meta`.
``text``
    One plain-text article: the first non-empty line is the title.
``html``
    One HTML page: title from the first ``<h1>`` (else ``<title>``), body from
    the visible text, without scripts, styles or markup.

Example:
    >>> import io
    >>> from customs_topics import read_articles
    >>> digest = "Fake vaccines seized\\n\\nFake vaccines seized\\n\\nCustoms seized vials."
    >>> [a.title for a in read_articles(io.StringIO(digest), format="digest")]
    ['Fake vaccines seized']
"""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Union

from .errors import InputError, SourceError
from .readers.html import parse_html

log = logging.getLogger("customs_topics")

Format = Literal["digest", "jsonl", "text", "html"]
FORMATS: tuple[str, ...] = ("digest", "jsonl", "text", "html")
Source = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]

#: Articles longer than this many characters (title + body) are truncated
#: with a warning; see :func:`read_articles`.
MAX_ARTICLE_CHARS = 5_000_000


@dataclass(frozen=True)
class Article:
    """One news article.

    ``labels`` is ``None`` when the article is unlabelled and a tuple of theme
    ids (possibly empty: "none of the themes") when it is labelled. ``meta``
    keeps any other field of the input (``source_url``, ``event``, ...).

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

    @staticmethod
    def make_id(title: str, body: str) -> str:
        """A stable id derived from the content: same article, same id."""
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
        """Build an article, deriving a stable id from its content if none is given."""
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
        """A JSON-serialisable dict; ``read_articles`` of its JSON line gives the article back."""
        out: dict[str, Any] = {"id": self.id, "title": self.title, "body": self.body}
        if self.labels is not None:
            out["labels"] = list(self.labels)
        out.update(self.meta)
        return out


# --------------------------------------------------------------------------- #
# Decoding and sources


def _decode(data: bytes, source: str) -> str:
    """Decode bytes as UTF-8 (with or without BOM) or UTF-16/32 with a BOM."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as exc:
                raise InputError(f"invalid {enc} text at byte {exc.start}", source=source) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}); convert the file to UTF-8",
            source=source,
            line=line,
        ) from None


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)


def _decode_page(data: bytes, source: str, fmt: str) -> str:
    """Decode a whole file; an HTML page that is not UTF-8 may declare its charset in a <meta> tag."""
    try:
        return _decode(data, source)
    except InputError:
        if fmt != "html":
            raise
        found = _META_CHARSET.search(data[:8192])
        if found is None:
            raise
        try:
            charset = codecs.lookup(found.group(1).decode("ascii")).name
        except LookupError:
            raise InputError(f"unknown charset {found.group(1).decode('ascii')!r} in <meta>", source=source) from None
        return data.decode(charset, errors="replace")


def _normalise(text: str) -> str:
    """Drop a BOM and NUL bytes, turn CRLF/CR into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _source_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def _open_path(path: Path) -> IO[bytes]:
    name = str(path)
    if path.is_dir():
        raise SourceError(f"{name}: is a directory, expected an article file")
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise SourceError(f"{name}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot read ({exc.strerror or exc})") from None


_HEAD_BYTES = 1 << 16
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def _open(source: Source) -> tuple[IO[Any], bool]:
    """An open file for ``source`` and whether the caller must close it."""
    if isinstance(source, (str, os.PathLike)):
        return _open_path(Path(source)), True
    if not hasattr(source, "read"):
        raise InputError(f"expected a file path or an open file, got {type(source).__name__}")
    return source, False


def _peek_text(head: bytes) -> str:
    """Best-effort text of the first bytes, for format detection only."""
    if head.startswith(_WIDE_BOMS):
        enc = "utf-32" if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "utf-16"
        return head.decode(enc, errors="replace")
    return head.decode("utf-8", errors="replace")


def _byte_lines(head: bytes, fh: IO[bytes], name: str) -> Iterator[str | InputError]:
    """Stream decoded lines; a line that is not UTF-8 gives an InputError naming it, in its place."""
    if head.startswith(_WIDE_BOMS):
        # Wide encodings cannot be split on b"\n": decode the whole stream (rare).
        yield from _normalise(_decode(head + fh.read(), name)).split("\n")
        return
    reader = io.BufferedReader(_Prepend(head, fh), buffer_size=1 << 16)
    for number, raw in enumerate(reader, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            # Yielded, not raised: raising would end this generator and lose the lines after it.
            yield InputError(
                f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x}); convert the file to UTF-8",
                source=name,
                line=number,
            )
            continue
        yield _normalise(line).rstrip("\n")


def _text_lines(head: str, fh: IO[str]) -> Iterator[str]:
    """Stream normalised lines of a text stream.

    Each chunk is normalised once and only the unfinished last line is kept
    back (as a list of pieces), so one very long line costs linear time.
    """
    parts: list[str] = []  # pieces of the current, unfinished line
    carry = ""
    chunk = head
    if head.startswith("\ufeff"):
        chunk = head[1:] or fh.read(_HEAD_BYTES)
    while chunk:
        data = carry + (chunk.replace("\x00", "") if "\x00" in chunk else chunk)
        # A CR at the end of a chunk may be the first half of a CRLF: keep it back.
        carry = "\r" if data.endswith("\r") else ""
        pieces = _unify_newlines(data[: len(data) - len(carry)]).split("\n")
        parts.append(pieces[0])
        if len(pieces) > 1:
            yield "".join(parts)
            yield from pieces[1:-1]
            parts = [pieces[-1]]
        chunk = fh.read(_HEAD_BYTES)
    tail = "".join(parts)
    if tail or carry:
        yield tail


def _unify_newlines(text: str) -> str:
    """Drop NUL characters, turn CRLF/CR into LF (no BOM handling: not a file start)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Prepend(io.RawIOBase):
    """A raw stream that replays ``head`` before reading from ``fh``."""

    def __init__(self, head: bytes, fh: IO[bytes]) -> None:
        self._head = head
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        read1 = getattr(self._fh, "read1", None)
        data = read1(len(buffer)) if read1 is not None else self._fh.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --------------------------------------------------------------------------- #
# Format detection


_HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)


def detect_format(name: str, head: str) -> Format:
    """Guess the format from a file name and the first characters of its content.

    Example:
        >>> detect_format("news.jsonl", "")
        'jsonl'
        >>> detect_format("<stdin>", '{"title": "x", "body": "y"}')
        'jsonl'
    """
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return "jsonl"
    if _HTML_START.match(stripped) or re.search(r"<(p|div|h1|article)\b", stripped[:2000], re.I):
        return "html"
    blocks = _blocks(_normalise(head))
    if any(a == b for a, b in itertools.pairwise(blocks)) or _looks_like_digest(blocks):
        return "digest"
    return "text"


def _looks_like_digest(blocks: list[str]) -> bool:
    titles = sum(1 for b in blocks if _is_title_like(b))
    return titles >= 2 and len(blocks) >= 4


# --------------------------------------------------------------------------- #
# Parsers


def _blocks(text: str) -> list[str]:
    """Blank-line separated blocks, lines right-stripped, empty blocks dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    blocks: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


_SENTENCE_END = (".", "!", "?", ";", ":", '"', "'", "\u201d", "\u2019", "\u2026", ")")


def _is_title_like(block: str) -> bool:
    return "\n" not in block and len(block) <= 250 and not block.endswith(_SENTENCE_END)


def _parse_digest(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Split a digest into (title, body) records.

    A block starts an article when the next block repeats it (the seed
    layout), or when it looks like a headline (one line, at most 250
    characters, no closing punctuation) and the current article already has a
    body. Everything else is body text, paragraphs joined by a blank line.
    """
    blocks = _blocks(text)
    # Line numbers of block starts, for error messages.
    starts: list[int] = []
    in_block = False
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip() and not in_block:
            starts.append(number)
        in_block = bool(line.strip())
    title: str | None = None
    title_line = 0
    body: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        repeated = i + 1 < len(blocks) and blocks[i + 1] == block and "\n" not in block
        new_article = title is None or repeated or (bool(body) and _is_title_like(block))
        if new_article:
            if title is not None:
                yield title_line, _digest_record(title, body, name, title_line)
            title, title_line, body = block.replace("\n", " "), starts[i], []
            i += 2 if repeated else 1
            continue
        body.append(block)
        i += 1
    if title is not None:
        yield title_line, _digest_record(title, body, name, title_line)


def _digest_record(title: str, body: list[str], name: str, line: int) -> dict[str, Any]:
    if not body:
        log.warning("%s:%d: article %r has a title and no body", name, line, title)
    return {"title": title, "body": "\n\n".join(body)}


def _parse_text(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if line.strip():
            body = "\n\n".join(_blocks("\n".join(lines[number:])))
            yield number, {"title": line.strip(), "body": body}
            return


def _parse_jsonl_line(line: str, number: int, name: str) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})", source=name, line=number) from None
    except RecursionError:
        raise InputError("invalid JSON (nested too deeply)", source=name, line=number) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputError(f"invalid JSON ({exc})", source=name, line=number) from None
    if not isinstance(obj, dict):
        raise InputError(
            f"expected a JSON object with 'title' and 'body', got {type(obj).__name__}",
            source=name,
            line=number,
        )
    if "body" not in obj and "text" in obj:
        obj["body"] = obj.pop("text")
    for key in ("title", "body"):
        if key not in obj:
            raise InputError("missing (expected a string)", source=name, line=number, field=key)
        if not isinstance(obj[key], str):
            raise InputError(f"expected a string, got {type(obj[key]).__name__}", source=name, line=number, field=key)
    if "id" in obj and (not isinstance(obj["id"], (str, int)) or isinstance(obj["id"], bool)):
        raise InputError("expected a string or integer id", source=name, line=number, field="id")
    labels = obj.get("labels")
    if labels is not None and (not isinstance(labels, list) or not all(isinstance(x, str) for x in labels)):
        raise InputError("expected a list of theme ids", source=name, line=number, field="labels")
    return obj


def _to_article(record: dict[str, Any], name: str, line: int, max_chars: int) -> Article:
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
    )


# --------------------------------------------------------------------------- #
# Public readers

OnError = Literal["raise", "skip", "report"]


def iter_records(
    source: Source,
    format: Format | None = None,
    *,
    max_chars: int = MAX_ARTICLE_CHARS,
) -> Iterator[Article | InputError]:
    """Stream articles, yielding an :class:`InputError` in place of each bad record.

    This is the building block for pipelines that must keep going past bad
    records (the CLI's ``--on-error``). File-level problems (missing file,
    undecodable bytes outside JSON Lines) are raised, not yielded.

    Example:
        >>> import io
        >>> src = io.StringIO('{"title": "a", "body": "b"}\\nnot json\\n')
        >>> [type(r).__name__ for r in iter_records(src, format="jsonl")]
        ['Article', 'InputError']
    """
    for _, item in iter_numbered(source, format, max_chars=max_chars):
        yield item


def iter_numbered(
    source: Source,
    format: Format | None = None,
    *,
    max_chars: int = MAX_ARTICLE_CHARS,
) -> Iterator[tuple[int, Article | InputError]]:
    """Like :func:`iter_records`, with the line number each record starts on."""
    name = _source_name(source)
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    fh, own = _open(source)
    try:
        try:
            # read1: whatever a pipe has now, so JSON Lines from stdin stream without waiting for 64 KiB.
            read1 = getattr(fh, "read1", None)
            head = read1(_HEAD_BYTES) if read1 is not None else fh.read(_HEAD_BYTES)
            is_text = isinstance(head, str)
            sniff = head if is_text else _peek_text(head)
            if format is None and head and not sniff.lstrip("\ufeff \t\r\n").startswith("{"):
                # Not JSON Lines: other formats are read whole anyway; detect on a full head.
                while len(head) < _HEAD_BYTES:
                    more = fh.read(_HEAD_BYTES - len(head))
                    if not more:
                        break
                    head += more
                sniff = head if is_text else _peek_text(head)
        except OSError as exc:
            raise SourceError(f"{name}: cannot read ({exc.strerror or exc})") from None
        fmt = format or detect_format(name, sniff)
        if fmt == "jsonl":
            lines = _text_lines(head, fh) if is_text else _byte_lines(head, fh, name)
            yield from _iter_jsonl(lines, name, max_chars)
            return
        rest = fh.read()
        text = _normalise(head + rest if is_text else _decode_page(head + rest, name, fmt))
    finally:
        if own:
            fh.close()
    parser = {"digest": _parse_digest, "text": _parse_text, "html": parse_html}[fmt]
    for line, record in parser(text, name):
        yield line, _to_article(record, name, line, max_chars)


def _iter_jsonl(
    lines: Iterator[str | InputError], name: str, max_chars: int
) -> Iterator[tuple[int, Article | InputError]]:
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if isinstance(line, InputError):  # undecodable line: report it and go on
            yield number, line
            continue
        try:
            record = _parse_jsonl_line(line, number, name)
            if record is None:
                continue
            article = _to_article(record, name, number, max_chars)
            if "id" in record:
                first = seen.setdefault(article.id, number)
                if first != number:
                    raise InputError(
                        f"duplicate id {article.id!r} (first seen on line {first})",
                        source=name,
                        line=number,
                        field="id",
                    )
        except InputError as exc:
            if exc.record_id is None:
                exc.record_id = _recover_id(line)
            yield number, exc
            continue
        yield number, article


def _recover_id(line: str) -> str | None:
    """The ``id`` of a bad JSON Lines record, when the line is an object with a usable one."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    raw = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    return str(raw)


def iter_articles(
    source: Source,
    format: Format | None = None,
    *,
    on_error: Literal["raise", "skip"] = "raise",
    max_chars: int = MAX_ARTICLE_CHARS,
) -> Iterator[Article]:
    """Stream :class:`Article` records from a file path or an open file.

    JSON Lines are read line by line (memory does not grow with the file).
    With ``on_error="skip"`` bad records are logged as warnings and skipped;
    the default raises :class:`~customs_topics.errors.InputError` at the first.

    Example:
        >>> import io
        >>> arts = iter_articles(io.StringIO('{"title": "T", "body": "B", "id": "x1"}'), format="jsonl")
        >>> next(arts).id
        'x1'
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    for item in iter_records(source, format, max_chars=max_chars):
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
) -> list[Article]:
    """Read every article of a file (path or open file) into a list.

    ``format`` is one of ``"digest"``, ``"jsonl"``, ``"text"``, ``"html"``;
    when omitted it is detected from the file extension and the content.
    Articles longer than ``max_chars`` characters are truncated with a warning.

    Example:
        >>> import io
        >>> read_articles(io.StringIO("Headline\\nFirst paragraph."), format="text")[0].body
        'First paragraph.'
    """
    return list(iter_articles(source, format, on_error=on_error, max_chars=max_chars))


def write_jsonl(articles: Iterable[Article], fh: IO[str]) -> None:
    """Write articles as JSON Lines (the inverse of ``read_articles(..., "jsonl")``)."""
    for article in articles:
        fh.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
