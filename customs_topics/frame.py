"""Tag the articles of a pandas DataFrame (optional ``[pandas]`` extra).

:func:`tag_frame` returns a **new** DataFrame: every column of the input,
shared with it and not copied (a shallow copy, so the text column's buffer is
the same object in both frames), plus

``<prefix>labels``
    the list of theme ids assigned to the row (``[]`` for none);
``<prefix>score_<theme>``
    one ``float64`` column per theme, the score in 0..1 (the same numbers as
    :meth:`~customs_topics.TopicClassifier.predict_proba`, not rounded);
``<prefix><theme>`` (with ``flags=True``)
    one ``bool`` column per theme, ``True`` where the theme is assigned;
``<prefix>explanation`` (with ``explain=k``)
    per row a ``{theme: {"terms": [...], "sentence": ...}}`` dict, as in
    :meth:`~customs_topics.TopicClassifier.tag`;
``<prefix>error`` (with ``on_error="report"``)
    ``None``, or the message saying why the row could not be tagged.

The input frame is never modified. Missing text (``None``, ``NaN``,
``pd.NA``) is tagged like empty text: no labels, every score 0. A cell that is
neither text nor missing (a number, a list, bytes, ...) is a bad row, handled
as ``on_error`` says: ``"raise"`` (default) raises
:class:`~customs_topics.errors.InputError` naming the column, the row's index
label and the value's type; ``"skip"`` leaves the row out and logs one warning
per bad row on the ``customs_topics`` logger; ``"report"`` keeps every row,
giving bad ones no labels, ``NaN`` scores and the message in ``error``.

pandas is imported when this module is, never by ``import customs_topics``.

Example:
    >>> import pandas as pd
    >>> from customs_topics.frame import tag_frame
    >>> df = pd.DataFrame({"title": ["Fake vaccines seized", None],
    ...                    "body": ["Customs seized fake COVID-19 vaccines at the airport.", None]})
    >>> out = tag_frame(df)
    >>> out["labels"].tolist()
    [['illicit_trade', 'health_goods'], []]
    >>> [c for c in out.columns if c.startswith("score_")]
    ['score_illicit_trade', 'score_strategic_trade_control', 'score_facilitation', 'score_health_goods']
    >>> bad = pd.DataFrame({"body": ["Cocaine seized at the port.", 42]})
    >>> tag_frame(bad, title=None, on_error="report")[["labels", "error"]].values.tolist()
    [[['illicit_trade'], None], [[], "field 'body': index 1: expected text or a missing value, got int 42"]]
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .articles import Article
from .errors import InputError
from .model import Thresholds, TopicClassifier
from .on_error import OnError, check_on_error, log_skipped

try:
    import pandas as pd
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "customs_topics.frame needs pandas, an optional dependency: pip install 'customs-topics[pandas]'"
    ) from exc

if TYPE_CHECKING:
    import os

__all__ = ["BATCH", "output_columns", "tag_frame"]

#: Rows turned into Python strings and scored per pass (bounds the temporary memory).
BATCH = 10_000


def output_columns(
    labels: Sequence[str], prefix: str = "", flags: bool = False, explain: int = 0, on_error: OnError = "raise"
) -> list[str]:
    """Names of the columns :func:`tag_frame` adds, in order, for a model with theme ids ``labels``.

    Example:
        >>> output_columns(["a", "b"], prefix="p_", on_error="report")
        ['p_labels', 'p_score_a', 'p_score_b', 'p_error']
    """
    cols = [f"{prefix}labels"] + [f"{prefix}score_{label}" for label in labels]
    if flags:
        cols += [f"{prefix}{label}" for label in labels]
    if explain:
        cols.append(f"{prefix}explanation")
    if on_error == "report":
        cols.append(f"{prefix}error")
    return cols


def _resolve_model(model: TopicClassifier | str | os.PathLike[str] | None) -> TopicClassifier:
    if isinstance(model, TopicClassifier):
        return model
    from .persistence import load_model

    return load_model(model)


def _column(df: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in df.columns:
        available = ", ".join(map(repr, list(df.columns)[:20])) or "none"
        hint = " (pass title=None if the frame has no titles)" if role == "title" else ""
        raise InputError(f"the DataFrame has no {role} column {name!r}{hint}; its columns: {available}", field=name)
    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise InputError(f"the DataFrame has several columns named {name!r}", field=name)
    return col


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (so messages never show ``np.int64(3)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _cell_error(value: Any, column: str, label: Any) -> InputError:
    value = _plain(value)
    shown = ""
    if isinstance(value, (numbers.Number, bytes)):
        shown = " " + reprlib.repr(value)
    elif isinstance(value, (list, tuple, dict, set)):
        shown = f" of length {len(value)}"
    elif isinstance(value, np.ndarray):
        shown = f" of length {value.size}"
    return InputError(
        f"index {_plain(label)!r}: expected text or a missing value, got {type(value).__name__}{shown}", field=column
    )


def _strings(values: list[Any], column: str, index: pd.Index, offset: int, bad: dict[int, InputError]) -> list[str]:
    """``values`` as strings (missing: ``""``); a bad cell is read as ``""`` and its error noted in ``bad``."""
    out = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            out.append(v)
        elif v is None or (not isinstance(v, (list, tuple, dict, set, np.ndarray)) and pd.isna(v) is True):
            out.append("")
        else:
            bad.setdefault(offset + i, _cell_error(v, column, index[offset + i]))
            out.append("")
    return out


def tag_frame(
    df: pd.DataFrame,
    text: str = "body",
    title: str | None = "title",
    *,
    model: TopicClassifier | str | os.PathLike[str] | None = None,
    prefix: str = "",
    flags: bool = False,
    explain: int = 0,
    thresholds: Thresholds = None,
    overwrite: bool = False,
    batch_size: int = BATCH,
    on_error: OnError = "raise",
) -> pd.DataFrame:
    """A new DataFrame with ``df``'s columns (shared, not copied) plus label and score columns.

    Parameters
    ----------
    df : pandas.DataFrame
        One article per row; any index (it is kept).
    text : str
        Column holding the article body (or the whole text).
    title : str or None
        Column holding the title; ``None`` when there are no titles.
    model : TopicClassifier, path or None
        A fitted model, a saved model directory, or ``None`` for the bundled model.
    prefix : str
        Prepended to every added column name (e.g. ``"ct_"``).
    flags : bool
        Also add one ``bool`` column per theme.
    explain : int
        Add an ``explanation`` column with the top ``explain`` terms and the
        deciding sentence per assigned theme (slower).
    thresholds : float or {theme: float}, optional
        Override the model's tuned thresholds (see ``TopicClassifier.predict``).
    overwrite : bool
        Allow added columns to replace same-named columns of ``df`` (in the
        returned frame only); by default such a clash is an error, so gold
        ``labels`` are never silently replaced: use ``prefix="pred_"``.
    batch_size : int
        Rows scored per pass.
    on_error : {"raise", "skip", "report"}
        A cell that is neither text nor missing: ``"raise"`` an
        :class:`~customs_topics.errors.InputError` naming the column, the
        row's index label and the value's type; ``"skip"`` the row (one
        warning per bad row on the ``customs_topics`` logger; the good rows
        keep their index); ``"report"``: keep every row, bad ones with no
        labels, ``NaN`` scores, ``False`` flags, no explanation, and the
        message in an added ``<prefix>error`` column (``None`` elsewhere).

    A missing ``text``/``title`` column raises
    :class:`~customs_topics.errors.InputError` naming it, whatever ``on_error`` says.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(df).__name__}", field="df")
    check_on_error(on_error)
    clf = _resolve_model(model)
    clf._check_fitted()
    labels = list(clf.labels_)
    body_col = _column(df, text, "text")
    title_col = _column(df, title, "title") if title is not None else None
    new = output_columns(labels, prefix, flags, explain, on_error)
    clash = [c for c in new if c in (text, title) or (not overwrite and c in df.columns)]
    if clash:
        raise InputError(
            f"the DataFrame already has a column {clash[0]!r}; pass prefix= (e.g. 'pred_')"
            + (" or overwrite=True" if clash[0] not in (text, title) else ""),
            field="prefix",
        )
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")

    n = len(df)
    t = clf._threshold_array(thresholds)
    P = np.zeros((n, len(labels)), dtype=np.float64)
    label_lists: list[list[str]] = []
    explanations: list[dict[str, Any] | None] = []
    bad: dict[int, InputError] = {}
    for start in range(0, n, batch_size):
        stop = min(n, start + batch_size)
        bodies = _strings(body_col.iloc[start:stop].tolist(), text, df.index, start, bad)
        if title_col is not None:
            titles = _strings(title_col.iloc[start:stop].tolist(), title, df.index, start, bad)  # type: ignore[arg-type]
        else:
            titles = [""] * len(bodies)
        if bad and on_error == "raise":
            raise bad[min(bad)]  # the first bad row
        articles = [Article(None, ti, bo) for ti, bo in zip(titles, bodies)]  # type: ignore[arg-type]
        if explain:
            tags = clf.tag(articles, thresholds=thresholds, explain=explain)
            label_lists.extend(tag.labels for tag in tags)
            explanations.extend(tag.explanation for tag in tags)
        if articles:
            P[start:stop] = clf.predict_proba(articles)
            if not explain:
                label_lists.extend(clf._labels_of(P[start:stop], t))

    errors: list[str | None] = [None] * n
    for i, exc in sorted(bad.items()):
        label_lists[i] = []
        P[i] = np.nan
        if explain:
            explanations[i] = None
        errors[i] = str(exc)
        if on_error == "skip":
            log_skipped("tag_frame", exc)

    out = df.copy(deep=False)
    index = df.index
    out[new[0]] = pd.Series(label_lists, index=index, dtype=object)
    for j, label in enumerate(labels):
        out[f"{prefix}score_{label}"] = pd.Series(P[:, j], index=index, dtype=np.float64)
    if flags:
        position = {label: j for j, label in enumerate(labels)}
        hits = np.zeros((n, len(labels)), dtype=bool)
        for i, row in enumerate(label_lists):
            for label in row:
                hits[i, position[label]] = True
        for j, label in enumerate(labels):
            out[f"{prefix}{label}"] = pd.Series(hits[:, j], index=index, dtype=bool)
    if explain:
        out[f"{prefix}explanation"] = pd.Series(explanations, index=index, dtype=object)
    if on_error == "report":
        out[f"{prefix}error"] = pd.Series(errors, index=index, dtype=object)
    elif bad:
        keep = np.ones(n, dtype=bool)
        keep[list(bad)] = False
        out = out.iloc[keep]
    return out
