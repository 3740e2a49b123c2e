"""What the command line writes: JSON Lines rows, error rows, reports, progress and exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from typing import IO, Any

from ..articles import Article
from ..errors import CustomsTopicsError

log = logging.getLogger("customs_topics")

EXIT_OK, EXIT_PARTIAL, EXIT_FAIL = 0, 1, 2


def _batches(records: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _json_line(obj: dict[str, Any]) -> str:
    """One JSON Lines row; text that cannot be UTF-8 (lone surrogates) is written as \\u escapes."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj, ensure_ascii=True)
    return line + "\n"


def _error_row(error: CustomsTopicsError) -> dict[str, Any]:
    """The ``--on-error=report`` row written in place of a bad record or an unreadable file."""
    return {
        "id": getattr(error, "record_id", None),
        "source": error.source,
        "line": error.line,
        "field": error.field,
        "error": error.reason,
    }


#: Fields ``tag`` adds to each row; an input field of the same name is kept and the added one prefixed.


_ADDED = ("source", "labels", "scores", "explanation")


_ADDED_SET = frozenset(_ADDED)


def _output_row(article: Article, tag: Any, prefix: str | None) -> dict[str, Any]:
    """One ``tag`` output row: id, source, title, the input's own fields, then the predictions.

    Input fields (JSON Lines keys, CSV columns, gold ``labels``) keep their
    names. The prediction fields (labels, scores, explanation) are all written
    as ``PREFIX + name`` when ``--prefix`` is given, or with prefix ``pred_``
    when the record has a field of one of those names; ``source`` gets the
    prefix only when the record has its own ``source``.
    """
    if prefix is None and article.labels is None and not article.meta.keys() & _ADDED_SET:  # the common case
        row = {"id": article.id, "source": article.source, "title": article.title, **article.meta}
        row["labels"], row["scores"] = tag.labels, tag.scores
        if tag.explanation is not None:
            row["explanation"] = tag.explanation
        return row
    given: dict[str, Any] = dict(article.meta)
    if article.labels is not None:
        given["labels"] = list(article.labels)
    added: dict[str, Any] = {"source": article.source, "labels": tag.labels, "scores": tag.scores}
    if tag.explanation is not None:
        added["explanation"] = tag.explanation
    predicted = prefix is not None or any(key in given for key in _ADDED[1:])
    names = {k: (prefix or "pred_") + k if k in given or (predicted and k != "source") else k for k in added}
    row: dict[str, Any] = {"id": article.id}
    row[names["source"]] = added.pop("source")
    row["title"] = article.title
    row.update(given)
    for key, value in added.items():
        row[names[key]] = value
    return row


class _Progress:
    """A one-line ``\\r``-refreshed counter on stderr, only when stderr is a terminal."""

    #: The counter on screen now, closed before a log line is printed (see :class:`_LogHandler`).
    active: _Progress | None = None

    def __init__(self, args: argparse.Namespace, what: str) -> None:
        self.what = what
        self.on = not getattr(args, "quiet", False) and _stderr_is_tty()
        self.shown = False

    def update(self, done: int, total: int | None = None) -> None:
        if self.on:
            text = f"{done}/{total}" if total is not None else str(done)
            print(f"\r{self.what}: {text}", end="", file=sys.stderr, flush=True)
            self.shown = True
            _Progress.active = self

    def close(self) -> None:
        if self.shown:
            print(file=sys.stderr, flush=True)
            self.shown = False
        if _Progress.active is self:
            _Progress.active = None


class _LogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr that end a progress line first instead of writing into it."""

    def emit(self, record: logging.LogRecord) -> None:
        if _Progress.active is not None:
            _Progress.active.close()
        super().emit(record)


def _stderr_is_tty() -> bool:
    return _is_tty(sys.stderr)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _print_report(report: dict[str, Any], title: str, as_json: bool, out: IO[str]) -> None:
    from ..evaluation import format_scores

    if as_json:
        out.write(json.dumps({k: v for k, v in report.items() if k not in ("predictions", "folds")}) + "\n")
    else:
        out.write(format_scores(report, title) + "\n")


def _progress(args: argparse.Namespace, what: str) -> Any:
    """A ``progress(done, total)`` callback for the trainer, or None off a terminal / with --quiet."""
    bar = _Progress(args, f"customs-topics: {what}")
    if not bar.on:
        return None

    def show(done: int, total: int) -> None:
        bar.update(done, total)
        if done >= total:
            bar.close()

    return show


def _status(args: argparse.Namespace, message: str) -> None:
    """A progress message on a terminal (not with --quiet, not when stderr is redirected)."""
    if not args.quiet and _stderr_is_tty():
        print(f"customs-topics: {message}", file=sys.stderr, flush=True)
