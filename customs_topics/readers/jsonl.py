"""JSON Lines: one JSON object per line, streamed (never read whole).

Each object has the text in ``body`` (or ``text``) and optionally a
``title`` (missing or ``null``: no title), an ``id`` (string or integer) and
``labels`` (a list of theme ids); every other key is kept. Other field names
are mapped with a :class:`~customs_topics.readers.fields.FieldMap`. A bad line
gives an :class:`~customs_topics.errors.InputError` in its place; the next
lines are still read.

Example:
    >>> lines = iter(['{"headline": "Pills seized", "text": "Customs seized pills.", "url": "u"}'])
    >>> next(parse_jsonl(lines, "a.jsonl", FieldMap(title="headline")))
    (1, {'url': 'u', 'title': 'Pills seized', 'body': 'Customs seized pills.'})
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..errors import InputError
from .fields import DEFAULT_FIELDS, FieldMap

_MISSING: Any = object()


def parse_jsonl(
    lines: Iterator[str | InputError], name: str, fields: FieldMap = DEFAULT_FIELDS
) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    """``(line, record)`` for each non-blank line; an InputError in place of each bad one."""
    first = True
    for number, line in enumerate(lines, 1):
        if isinstance(line, InputError):  # undecodable line: report it and go on
            yield number, line
            continue
        if not line or line.isspace():
            continue
        if first:
            first = False
            _refuse_json_array(line, number, name)
        try:
            yield number, _record(line, number, name, fields)
        except InputError as exc:
            if exc.record_id is None:
                exc.record_id = _recover_id(line, fields)
            yield number, exc


def _refuse_json_array(line: str, number: int, name: str) -> None:
    """A file that is one JSON array of records (a common export) is not JSON Lines: say so.

    Raised for the whole file (not one bad record): otherwise its last element,
    alone on a line, would be read as if it were the only good record.
    """
    stripped = line.strip()
    if stripped == "[" or stripped.startswith("[{"):
        raise InputError(
            "a JSON array, not JSON Lines: expected one JSON object per line "
            "(convert it, e.g. jq -c '.[]' FILE > FILE.jsonl)",
            source=name,
            line=number,
        )


def _record(line: str, number: int, name: str, fields: FieldMap) -> dict[str, Any]:
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
            f"expected a JSON object with a text field, got {type(obj).__name__}", source=name, line=number
        )
    if fields is not DEFAULT_FIELDS:
        return _mapped(obj, number, name, fields)
    if "body" not in obj and "text" in obj:
        obj["body"] = obj.pop("text")
    body = obj.get("body", _MISSING)
    if not isinstance(body, str):
        raise InputError(_expected(body), source=name, line=number, field="body")
    title = obj.get("title")
    if title is None:
        obj["title"] = ""
    elif not isinstance(title, str):
        raise InputError(_expected(title, "a string or null"), source=name, line=number, field="title")
    _check_id_labels(obj, "id", number, name)
    return obj


def _mapped(obj: dict[str, Any], number: int, name: str, fields: FieldMap) -> dict[str, Any]:
    """The record with the mapped title/text/id fields renamed to ``title``/``body``/``id``."""
    text_key = next((k for k in fields.text_names if k in obj), fields.text_names[0])
    body = obj.pop(text_key, _MISSING)
    if not isinstance(body, str):
        raise InputError(_expected(body), source=name, line=number, field=text_key)
    title = obj.pop(fields.title_name, None)
    if title is not None and not isinstance(title, str):
        raise InputError(_expected(title, "a string or null"), source=name, line=number, field=fields.title_name)
    _check_id_labels(obj, fields.id_name, number, name)
    if fields.id_name in obj:
        obj["id"] = obj.pop(fields.id_name)
    obj["title"] = title or ""
    obj["body"] = body
    return obj


def _expected(value: Any, expected: str = "a string") -> str:
    if value is _MISSING:
        return f"missing (expected {expected})"
    return f"expected {expected}, got {'null' if value is None else type(value).__name__}"


def _check_id_labels(obj: dict[str, Any], id_key: str, number: int, name: str) -> None:
    if id_key in obj and (not isinstance(obj[id_key], (str, int)) or isinstance(obj[id_key], bool)):
        raise InputError("expected a string or integer id", source=name, line=number, field=id_key)
    labels = obj.get("labels")
    if labels is not None and (not isinstance(labels, list) or not all(isinstance(x, str) for x in labels)):
        raise InputError("expected a list of theme ids", source=name, line=number, field="labels")


def _recover_id(line: str, fields: FieldMap) -> str | None:
    """The id of a bad JSON Lines record, when the line is an object with a usable one."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    raw = obj.get(fields.id_name) if isinstance(obj, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    return str(raw)
