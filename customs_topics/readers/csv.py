"""CSV and TSV: a header row, then one article per row, streamed.

Columns are found by name in the header: the text in ``body`` (else
``text``), the title in ``title`` (optional: no such column, or an empty
cell, gives an empty title), the id in ``id`` (an empty cell: an id is
derived from the content) and gold ``labels`` as theme ids separated by
``;``, ``,`` or ``|``. Other names are mapped with a
:class:`~customs_topics.readers.fields.FieldMap`. Every other column is kept,
as a string. A ``.csv`` whose header line has more ``;`` than ``,`` is read
as ``;``-separated (what Excel writes in many locales). Quoted cells may span lines; a record's line is the line it
starts on (the header is line 1).

Example:
    >>> rows = iter(["id,headline,content", 'n1,Pills seized,"Customs seized pills, vials."'])
    >>> next(parse_csv(rows, "news.csv", FieldMap(title="headline", text="content")))
    (2, {'title': 'Pills seized', 'body': 'Customs seized pills, vials.', 'id': 'n1'})
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from typing import Any

from ..errors import InputError
from .fields import DEFAULT_FIELDS, FieldMap

_LABEL_SPLIT = re.compile(r"[;,|]")
_LABEL = re.compile(r"^[A-Za-z0-9_.-]+$")
# Cells may hold whole articles: lift the csv module's 128 KiB default (max_chars truncates later).
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def parse_csv(
    lines: Iterator[str | InputError], name: str, fields: FieldMap = DEFAULT_FIELDS, delimiter: str = ","
) -> Iterator[tuple[int, dict[str, Any] | InputError]]:
    """``(line, record)`` per row; an InputError in place of each bad row.

    A header without a text column raises :class:`~customs_topics.errors.InputError`
    (the file cannot be read at all).
    """
    pending: list[InputError] = []
    ahead: list[str | InputError] = []
    for item in lines:  # look at the header line: Excel in many locales writes ';'-separated "CSV"
        ahead.append(item)
        if isinstance(item, str) and item.strip():
            if delimiter == "," and item.count(";") > item.count(","):
                delimiter = ";"
            break

    def feed() -> Iterator[str]:
        for line in itertools.chain(ahead, lines):
            if isinstance(line, InputError):  # undecodable line: an empty row in its place
                pending.append(line)
                yield "\n"
            else:
                yield line + "\n"

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield start, InputError(f"malformed {_kind(delimiter)} ({exc})", source=name, line=start)
            continue
        while pending:
            error = pending.pop(0)
            yield error.line or start, error
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if header is None:
            header = [cell.strip() for cell in row]
            columns = _columns(header, name, fields, delimiter)
            continue
        yield start, _record(row, header, columns, name, start)
    while pending:
        error = pending.pop(0)
        yield error.line or 0, error


def _kind(delimiter: str) -> str:
    return "TSV" if delimiter == "\t" else "CSV"


def _columns(header: list[str], name: str, fields: FieldMap, delimiter: str) -> dict[str, int]:
    """Column index of ``title``, ``body``, ``id`` and ``labels`` (those present)."""
    listed = ", ".join(repr(h) for h in header)
    seen: dict[str, int] = {}
    for i, column in enumerate(header):
        if column in seen:
            raise InputError(f"column {column!r} appears twice in the header", source=name, line=1)
        seen[column] = i
    out: dict[str, int] = {}
    text = next((c for c in fields.text_names if c in seen), None)
    if text is None:
        wanted = " or ".join(repr(c) for c in fields.text_names)
        raise InputError(
            f"no {wanted} column in the {_kind(delimiter)} header (columns: {listed}); {fields.hint('text')}",
            source=name,
            line=1,
        )
    out["body"] = seen[text]
    if fields.title_name in seen:
        out["title"] = seen[fields.title_name]
    elif fields.title is not None:
        raise InputError(
            f"no {fields.title!r} column in the header (columns: {listed})", source=name, line=1, field=fields.title
        )
    if fields.id_name in seen:
        out["id"] = seen[fields.id_name]
    elif fields.id is not None:
        raise InputError(f"no {fields.id!r} column in the header (columns: {listed})", source=name, line=1)
    if "labels" in seen:
        out["labels"] = seen["labels"]
    return out


def _record(
    row: list[str], header: list[str], columns: dict[str, int], name: str, line: int
) -> dict[str, Any] | InputError:
    if len(row) != len(header):
        if len(row) < len(header):
            missing = ", ".join(repr(c) for c in header[len(row) :])
            reason = f"row has {len(row)} of the header's {len(header)} columns (missing {missing})"
            return InputError(reason, source=name, line=line, field=header[len(row)])
        return InputError(
            f"row has {len(row)} cells, the header {len(header)} columns (extra cells after {header[-1]!r})",
            source=name,
            line=line,
        )
    special = {i: key for key, i in columns.items()}
    record: dict[str, Any] = {header[i]: cell for i, cell in enumerate(row) if i not in special}
    record["title"] = row[columns["title"]].strip() if "title" in columns else ""
    record["body"] = row[columns["body"]]
    if "id" in columns and row[columns["id"]].strip():
        record["id"] = row[columns["id"]].strip()
    if "labels" in columns:
        cell = row[columns["labels"]].strip()
        labels = [x.strip() for x in _LABEL_SPLIT.split(cell) if x.strip()] if cell else []
        bad = next((x for x in labels if not _LABEL.match(x)), None)
        if bad is not None:
            return InputError(
                f"expected theme ids separated by ';', got {bad!r}",
                source=name,
                line=line,
                field=header[columns["labels"]],
            )
        record["labels"] = labels
    return record
