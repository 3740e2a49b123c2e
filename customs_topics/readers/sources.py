"""Opening sources and decoding bytes: shared by every reader.

A source is a path or an open file (text or binary). Bytes are decoded as
UTF-8 (with or without BOM) or UTF-16/32 with a BOM; CRLF and CR become LF and
NUL characters are dropped. Files whose first bytes show a binary document
(PDF, ZIP/DOCX, images, ...) are refused as an unsupported format.

Example:
    >>> import io
    >>> fh, own = open_source(io.BytesIO(b"Title\\r\\nBody"))
    >>> normalise(fh.read().decode())
    'Title\\nBody'
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Union

from ..errors import InputError, SourceError

Source = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]

#: Bytes read before choosing a format (the rest is streamed or read whole).
HEAD_BYTES = 1 << 16
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def decode(data: bytes, source: str) -> str:
    """Decode bytes as UTF-8 (with or without BOM) or UTF-16/32 with a BOM.

    Example:
        >>> decode("caf\\u00e9".encode("utf-16"), "a.txt") == "caf\\u00e9"
        True
    """
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


def decode_page(data: bytes, source: str, fmt: str) -> str:
    """Decode a whole file; an HTML page that is not UTF-8 may declare its charset in a <meta> tag.

    Example:
        >>> decode_page(b'<meta charset="latin-1"><p>caf\\xe9</p>', "p.html", "html")[-8:]
        'caf\\xe9</p>'
    """
    try:
        return decode(data, source)
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


def normalise(text: str) -> str:
    """Drop a BOM and NUL characters, turn CRLF/CR into LF.

    Example:
        >>> normalise("\\ufeffa\\r\\nb\\x00")
        'a\\nb'
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    return unify_newlines(text)


def unify_newlines(text: str) -> str:
    """Drop NUL characters, turn CRLF/CR into LF (no BOM handling: not a file start)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def source_name(source: Source) -> str:
    """The name used in messages and ``source`` fields: the path, or the open file's name.

    Example:
        >>> source_name("news/a.txt"), source_name(io.StringIO(""))
        ('news/a.txt', '<stream>')
    """
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


def open_source(source: Source) -> tuple[IO[Any], bool]:
    """An open file for ``source`` and whether the caller must close it."""
    if isinstance(source, (str, os.PathLike)):
        return _open_path(Path(source)), True
    if not hasattr(source, "read"):
        raise InputError(f"expected a file path or an open file, got {type(source).__name__}")
    return source, False


def read_head(fh: IO[Any], name: str, whole: bool) -> Any:
    """The first bytes (or characters) of ``fh``.

    With ``whole=False`` only what is available now (``read1``: a pipe does
    not wait for 64 KiB, so JSON Lines from stdin stream); with ``whole=True``
    up to :data:`HEAD_BYTES`.
    """
    try:
        read1 = getattr(fh, "read1", None)
        head = read1(HEAD_BYTES) if read1 is not None else fh.read(HEAD_BYTES)
        if whole:
            head += read_more(fh, head)
        return head
    except OSError as exc:
        raise SourceError(f"{name}: cannot read ({exc.strerror or exc})") from None


def read_more(fh: IO[Any], head: Any) -> Any:
    """Read on until ``head`` plus the result is :data:`HEAD_BYTES` long or the input ends."""
    more = head[:0]
    while len(head) + len(more) < HEAD_BYTES:
        chunk = fh.read(HEAD_BYTES - len(head) - len(more))
        if not chunk:
            break
        more += chunk
    return more


def peek_text(head: bytes) -> str:
    """Best-effort text of the first bytes, for format detection only."""
    if head.startswith(_WIDE_BOMS):
        enc = "utf-32" if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "utf-16"
        return head.decode(enc, errors="replace")
    return head.decode("utf-8", errors="replace")


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (DOC, XLS, PPT)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
)
_ZIP_KINDS = ((b"word/", "a DOCX document"), (b"xl/", "an XLSX workbook"), (b"ppt/", "a PPTX presentation"))
_ANY_MAGIC = tuple(magic for magic, _ in _MAGIC) + (b"PK\x03\x04", b"PK\x05\x06", b"RIFF")
# Deleting every byte but the control characters text never has leaves those to count.
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (0, 9, 10, 12, 13, 27))


def binary_kind(head: bytes) -> str | None:
    """What a binary file is (``'a PDF document'``, ...), or ``None`` for text.

    Example:
        >>> binary_kind(b"%PDF-1.7\\n"), binary_kind(b"Customs news")
        ('a PDF document', None)
    """
    if not head.startswith(_ANY_MAGIC):
        pass
    elif head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        for marker, kind in _ZIP_KINDS:
            if marker in head[:4096]:
                return kind
        if b"opendocument" in head[:4096]:
            return "an OpenDocument file (ODT, ODS)"
        return "a ZIP archive"
    else:
        for magic, kind in _MAGIC:
            if head.startswith(magic):
                return kind
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return "a WebP image"
    if head.startswith(_WIDE_BOMS):
        return None
    sample = head[:4096]
    if sample and len(sample.translate(None, _NOT_CONTROL)) > len(sample) // 10:
        return "a binary file"
    return None


def byte_lines(head: bytes, fh: IO[bytes], name: str) -> Iterator[str | InputError]:
    """Stream decoded lines; a line that is not UTF-8 gives an InputError naming it, in its place."""
    if head.startswith(_WIDE_BOMS):
        # Wide encodings cannot be split on b"\n": decode the whole stream (rare).
        yield from normalise(decode(head + fh.read(), name)).split("\n")
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
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        yield (unify_newlines(line) if "\r" in line or "\x00" in line else line).rstrip("\n")


def text_lines(head: str, fh: IO[str]) -> Iterator[str]:
    """Stream normalised lines of a text stream.

    Each chunk is normalised once and only the unfinished last line is kept
    back (as a list of pieces), so one very long line costs linear time.
    """
    parts: list[str] = []  # pieces of the current, unfinished line
    carry = ""
    chunk = head
    if head.startswith("\ufeff"):
        chunk = head[1:] or fh.read(HEAD_BYTES)
    while chunk:
        data = carry + (chunk.replace("\x00", "") if "\x00" in chunk else chunk)
        # A CR at the end of a chunk may be the first half of a CRLF: keep it back.
        carry = "\r" if data.endswith("\r") else ""
        pieces = unify_newlines(data[: len(data) - len(carry)]).split("\n")
        parts.append(pieces[0])
        if len(pieces) > 1:
            yield "".join(parts)
            yield from pieces[1:-1]
            parts = [pieces[-1]]
        chunk = fh.read(HEAD_BYTES)
    tail = "".join(parts)
    if tail or carry:
        yield tail


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
