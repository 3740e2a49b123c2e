"""The ``on_error`` policy shared by every tagging entry point for tables and records.

``"raise"`` (default)
    the first bad row or record raises :class:`~customs_topics.errors.InputError`;
``"skip"``
    bad rows are left out, one warning each on the ``customs_topics`` logger;
``"report"``
    every row is kept; a bad one gets no labels, no scores and its message in
    an added ``error`` column or key (``None`` for good rows).

Used by :func:`customs_topics.frame.tag_frame`, :mod:`customs_topics.dask` and
:mod:`customs_topics.spark`, so that the three behave alike.

Example:
    >>> check_on_error("report")
    >>> check_on_error("ignore")
    Traceback (most recent call last):
    ...
    customs_topics.errors.InputError: field 'on_error': on_error must be one of 'raise', 'skip', 'report', got 'ignore'
"""

from __future__ import annotations

import logging
from typing import Literal

from .errors import InputError

__all__ = ["ON_ERROR", "OnError", "check_on_error", "log_skipped"]

#: What to do with a row that cannot be tagged.
OnError = Literal["raise", "skip", "report"]
ON_ERROR: tuple[str, ...] = ("raise", "skip", "report")

_logger = logging.getLogger("customs_topics")


def check_on_error(on_error: str) -> None:
    """Raise :class:`~customs_topics.errors.InputError` unless ``on_error`` is one of :data:`ON_ERROR`."""
    if on_error not in ON_ERROR:
        raise InputError(
            f"on_error must be one of {', '.join(map(repr, ON_ERROR))}, got {on_error!r}", field="on_error"
        )


def log_skipped(where: str, exc: Exception) -> None:
    """Log the one warning that ``on_error="skip"`` gives per bad row.

    Example:
        >>> log_skipped("tag_frame", InputError("expected text", field="body"))
    """
    _logger.warning("%s: skipped a bad row: %s", where, exc)
