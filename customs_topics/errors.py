"""Exceptions raised by customs-topics.

Every error the library raises on purpose is a :class:`CustomsTopicsError`,
and also subclasses the built-in exception a caller would naturally catch
(``ValueError`` for bad content, ``OSError`` for files that cannot be read).
Messages name the source, the line and the field involved.

Example:
    >>> from customs_topics.errors import InputError
    >>> exc = InputError("expected a string", source="a.jsonl", line=3, field="title")
    >>> str(exc)
    "a.jsonl:3: field 'title': expected a string"
    >>> isinstance(exc, ValueError), exc.line
    (True, 3)
"""

from __future__ import annotations


class CustomsTopicsError(Exception):
    """Base class of every error raised on purpose by customs-topics.

    Every instance has ``source``, ``line``, ``field`` and ``reason``
    attributes (``None`` where they do not apply).
    """

    source: str | None = None
    line: int | None = None
    field: str | None = None
    reason: str = ""


class _PathError(CustomsTopicsError):
    """An error whose message reads ``PATH: reason``; ``source`` is the path."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        if source is None and ": " in message:
            source, _, reason = message.partition(": ")
        else:
            reason = message
        self.source = source
        self.reason = reason


def _where(source: str | None, line: int | None, field: str | None) -> str:
    parts = []
    if source is not None:
        parts.append(f"{source}:{line}" if line is not None else str(source))
    elif line is not None:
        parts.append(f"line {line}")
    if field is not None:
        parts.append(f"field {field!r}")
    return ": ".join(parts)


class InputError(CustomsTopicsError, ValueError):
    """An input (article file, record, text) is malformed.

    Attributes ``source``, ``line`` and ``field`` locate the problem (each may
    be ``None``); ``reason`` is the message without the location;
    ``record_id`` is the ``id`` of the bad record when it could still be read
    (a JSON object with a valid ``id`` but, say, a missing ``body``), else
    ``None``.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
        record_id: str | None = None,
    ) -> None:
        self.reason = reason
        self.record_id = record_id
        self.source = source
        self.line = line
        self.field = field
        where = _where(source, line, field)
        super().__init__(f"{where}: {reason}" if where else reason)


class DataError(InputError):
    """Labelled training or evaluation data is inconsistent (unknown label,
    duplicate id, too few examples of a theme, ...)."""


class TaxonomyError(InputError):
    """A taxonomy file is malformed or inconsistent."""


class ModelError(_PathError, ValueError):
    """A model directory is missing, truncated, tampered with or incompatible."""


class SourceError(_PathError, OSError):
    """A file or directory cannot be read (missing, a directory, unreadable)."""
