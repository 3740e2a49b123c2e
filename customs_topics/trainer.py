"""Training and evaluation workflows: fit, cross-validate, score on held-out data.

Example:
    >>> from customs_topics import train
    >>> from customs_topics.corpus import bundled_corpus
    >>> model = train(bundled_corpus()[:300], cv_folds=0)
    >>> model.labels
    ['illicit_trade', 'strategic_trade_control', 'facilitation', 'health_goods']
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .articles import Article
from .corpus import (
    BUNDLED_SOURCE,
    NEW_THEME_HINT,
    bundled_corpus,
    label_matrix,
    merge_records,
    summarize,
    training_data_sources,
)
from .errors import DataError
from .evaluation import grouped_folds, scores
from .model import TopicClassifier
from .taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger("customs_topics")

DataSource = Sequence[Article] | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def _load_data(data: DataSource, taxonomy: Taxonomy, bundled: bool) -> tuple[list[Article], list[str]]:
    """(articles, the data files) of ``train``'s ``data``."""
    articles, _, files = _load_sources(data, taxonomy, bundled)
    return articles, files


def _load_sources(data: DataSource, taxonomy: Taxonomy, bundled: bool) -> tuple[list[Article], list[str], list[str]]:
    """(articles, the source of each, the data files) of ``train``'s ``data``."""
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    items = list(data)
    if not any(isinstance(x, Article) for x in items):
        files = [os.fspath(p) for p in items]  # type: ignore[arg-type]
        articles, sources = training_data_sources(files, taxonomy, bundled=bundled)
        return articles, sources, (["bundled corpus"] if bundled else []) + files
    if not all(isinstance(x, Article) for x in items):
        raise DataError("mix of Articles and file paths; pass one or the other", field="data")
    articles: list[Article] = items  # type: ignore[assignment]
    known = set(taxonomy.ids)
    for i, a in enumerate(articles):
        if a.labels is None:
            raise DataError(f"article {i} ({a.id}) has no labels", field="labels")
        for label in a.labels:
            if label not in known:
                raise DataError(
                    f"article {i} ({a.id}): unknown theme {label!r} (the taxonomy has: "
                    f"{', '.join(taxonomy.ids)}); {NEW_THEME_HINT}",
                    field="labels",
                )
    records = ((f"data[{i}]", None, a) for i, a in enumerate(articles))
    merged = merge_records(bundled_corpus(taxonomy) if bundled else [], records)
    ids = {a.id for a in articles}
    return merged, ["the given articles" if a.id in ids else BUNDLED_SOURCE for a in merged], []


def _events(articles: Sequence[Article]) -> list[Any]:
    return [a.meta.get("event", a.id) for a in articles]


def _needed(cv_folds: int, fit_need: int) -> int:
    """Fewest examples of a theme for ``cv_folds``-fold CV (one per test fold, and
    ``fit_need`` left in every training part when spread evenly)."""
    if cv_folds < 2:
        return fit_need
    n = max(cv_folds, fit_need)
    while n - -(-n // cv_folds) < fit_need:
        n += 1
    return n


def _opt(option: str, value: int) -> str:
    """``--folds 5`` for a CLI option, ``cv_folds=5`` for a Python argument."""
    return f"{option} {value}" if option.startswith("-") else f"{option}={value}"


def _where(counts: Counter[str]) -> str:
    """'4 in mine.jsonl, 2 in the bundled corpus' (most first)."""
    if not counts:
        return "none in the data"
    return ", ".join(f"{n} in {source}" for source, n in counts.most_common())


def check_examples(
    articles: Sequence[Article],
    labels: Sequence[str],
    *,
    cv_folds: int = 0,
    threshold_folds: int = 4,
    sources: Sequence[str] | None = None,
    bundled: bool | None = None,
    folds_option: str = "cv_folds",
    bundled_option: str = "bundled=True",
) -> None:
    """Check there are enough examples of every theme to train (and cross-validate).

    Raises :class:`~customs_topics.errors.DataError` saying, in terms of the
    caller's options (``folds_option``, ``bundled_option``: the CLI passes
    ``"--folds"`` and ``"--with-bundled-corpus"``), how many examples each
    short theme has per source file and how many it needs, e.g.
    ``food_safety has 4 examples (4 in mine.jsonl); --folds 5 needs at least 5
    of each theme``. ``sources`` names each article's file (see
    :func:`~customs_topics.corpus.training_data_sources`); ``bundled=False``
    adds a hint when built-in themes have no examples at all.

    Example:
        >>> arts = [Article.from_text(f"Story {i}", labels=["food_safety"] if i < 4 else []) for i in range(40)]
        >>> check_examples(arts, ["food_safety"], cv_folds=5, sources=["mine.jsonl"] * 40, folds_option="--folds")
        Traceback (most recent call last):
        ...
        customs_topics.errors.DataError: field 'labels': food_safety has 4 examples (4 in mine.jsonl); --folds 5 ...
    """
    if cv_folds == 1 or cv_folds < 0:
        raise DataError(f"{folds_option} must be 0 (no cross-validation) or at least 2, got {cv_folds}", field="folds")
    names = list(sources) if sources is not None else ["data"] * len(articles)
    per_source: dict[str, Counter[str]] = {label: Counter() for label in labels}
    for article, source in zip(articles, names):
        for label in article.labels or ():
            if label in per_source:
                per_source[label][source] += 1
    counts = {label: sum(c.values()) for label, c in per_source.items()}
    empty = [label for label in labels if counts[label] == 0]
    builtin = set(load_taxonomy().ids)
    if empty and bundled is False and set(empty) <= builtin:
        files = sorted(set(names)) or ["the data"]
        raise DataError(
            f"built-in theme(s) {', '.join(empty)} have no examples in {', '.join(files)}: your taxonomy "
            f"extends the built-in one, so add {bundled_option} to train them on the bundled corpus "
            "(or label examples of them yourself)",
            field="labels",
        )
    fit_need = max(2, threshold_folds if threshold_folds and threshold_folds >= 2 else 0)
    need = _needed(cv_folds, fit_need)
    short = [label for label in labels if counts[label] < need]
    if short:
        label = min(short, key=lambda t: counts[t])
        others = f" (also short: {', '.join(t for t in short if t != label)})" if len(short) > 1 else ""
        if cv_folds >= 2:
            why = f"{_opt(folds_option, cv_folds)} needs at least {need} of each theme"
            fallback = max((k for k in range(2, cv_folds) if _needed(k, fit_need) <= counts[label]), default=0)
            alternative = (
                f"use {_opt(folds_option, fallback)} or fewer"
                if fallback
                else f"use {_opt(folds_option, 0)} to skip cross-validation"
            )
            if counts[label] < fit_need:
                alternative = ""
        else:
            why = f"training needs at least {need} of each theme ({fit_need}-fold threshold tuning)"
            alternative = ""
        if bundled is False and label in builtin:
            alternative = ", or ".join(x for x in (alternative, f"add {bundled_option}") if x)
        missing = need - counts[label]
        raise DataError(
            f"{label} has {counts[label]} example{'s' if counts[label] != 1 else ''} ({_where(per_source[label])}); "
            f"{why}: label at least {missing} more" + (f", or {alternative}" if alternative else "") + others,
            field="labels",
        )
    events = _events(articles)
    n_events = len(set(events))
    if cv_folds >= 2 and n_events < cv_folds:
        raise DataError(
            f"{n_events} distinct events cannot fill {_opt(folds_option, cv_folds)}: "
            f"use at most {_opt(folds_option, n_events)}",
            field="folds",
        )
    if cv_folds >= 2:
        # Events keep examples together, so a training part can hold fewer than an even split gives.
        keep = set(labels)
        Y = label_matrix([[t for t in a.labels or () if t in keep] for a in articles], labels)
        folds = grouped_folds(Y, events, cv_folds)
        for k in range(cv_folds):
            left = Y[folds != k].sum(axis=0)
            for j, label in enumerate(labels):
                if left[j] < fit_need:
                    raise DataError(
                        f"{label} has {counts[label]} examples ({_where(per_source[label])}), but with "
                        f"{_opt(folds_option, cv_folds)} one training part keeps only {int(left[j])} of them (examples "
                        f"of one event stay in one fold) and threshold tuning needs {fit_need}: label more "
                        f"examples from other events, or use a smaller {folds_option}",
                        field="labels",
                    )


def cross_validate(
    estimator: TopicClassifier,
    articles: Sequence[Article],
    n_folds: int = 5,
    *,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Grouped, multi-label stratified K-fold cross-validation.

    Folds group articles by ``meta["event"]`` (else id), so two summaries of
    one story never sit on both sides. A fresh copy of ``estimator`` is fit on
    each training part (including its own threshold tuning, i.e. nested) and
    scored on the held-out part; the out-of-fold predictions are pooled into
    one :func:`~customs_topics.evaluation.scores` report, with the
    out-of-fold label lists under ``"predictions"``.
    """
    labels = (
        list(estimator.themes)
        if estimator.themes is not None
        else sorted({label for a in articles for label in (a.labels or ())})
    )
    check_examples(
        articles, labels, cv_folds=n_folds, threshold_folds=estimator.threshold_folds, folds_option="n_folds"
    )
    Y = label_matrix([a.labels or () for a in articles], labels)
    groups = _events(articles)
    folds = grouped_folds(Y, groups, n_folds, seed=seed)
    pred = np.zeros_like(Y)
    for k in range(n_folds):
        test = np.flatnonzero(folds == k)
        train_idx = np.flatnonzero(folds != k)
        model = type(estimator)(**{**estimator.get_params(), "themes": labels})
        model.fit([articles[i] for i in train_idx], Y[train_idx], groups=[groups[i] for i in train_idx])
        predicted = model.predict([articles[i] for i in test])
        pred[test] = label_matrix(predicted, labels)
        log.info("fold %d/%d done", k + 1, n_folds)
        if progress is not None:
            progress(k + 1, n_folds)
    report = scores(Y, pred, labels)
    report["predictions"] = [[labels[j] for j in np.flatnonzero(row)] for row in pred]
    report["folds"] = folds.tolist()
    return report


def train(
    data: DataSource,
    taxonomy: Taxonomy | str | os.PathLike[str] | None = None,
    *,
    bundled: bool = False,
    cv_folds: int = 5,
    progress: Callable[[int, int], None] | None = None,
    **params: Any,
) -> TopicClassifier:
    """Fit a model on labelled data, cross-validating it first when ``cv_folds >= 2``.

    ``data`` is a list of labelled :class:`Article` or one or more JSON Lines
    paths (see :func:`~customs_topics.corpus.load_labelled`); ``taxonomy`` a
    :class:`Taxonomy` or a taxonomy file (the built-in one by default).
    ``bundled=True`` adds the bundled corpus; records of ``data`` with a
    bundled article's id relabel it (see
    :func:`~customs_topics.corpus.training_data`).
    ``params`` go to :class:`TopicClassifier`. The cross-validation report and
    a training-data summary are kept in ``model.info_`` for the model card.
    Every theme of the taxonomy needs enough examples; missing ones raise
    :class:`~customs_topics.errors.DataError` naming them.
    """
    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy)
    articles, sources, files = _load_sources(data, taxonomy, bundled)
    labels = list(taxonomy.ids)
    estimator = TopicClassifier(themes=labels, **params)
    Y = label_matrix([a.labels or () for a in articles], labels)
    check_examples(
        articles,
        labels,
        cv_folds=cv_folds,
        threshold_folds=estimator.threshold_folds,
        sources=sources,
        bundled=bundled,
    )
    estimator._check_support(labels, Y, len(set(_events(articles))))
    info: dict[str, Any] = {"training_data": summarize(articles, labels), "data_files": files}
    if cv_folds and cv_folds >= 2:
        report = cross_validate(estimator, articles, cv_folds, progress=progress)
        report.pop("predictions")
        report.pop("folds")
        info.update(cv=report, cv_folds=cv_folds)
    estimator.fit(articles, Y)
    estimator.taxonomy_ = taxonomy  # type: ignore[attr-defined]
    estimator.info_ = info  # type: ignore[attr-defined]
    return estimator


def evaluate(model: TopicClassifier, articles: Sequence[Article]) -> dict[str, Any]:
    """Score a fitted model on labelled articles it was not trained on.

    Themes in the data that the model lacks raise
    :class:`~customs_topics.errors.DataError`.
    """
    labels = model.labels
    Y = label_matrix([a.labels or () for a in articles], labels)
    pred = label_matrix(model.predict(articles), labels)
    return scores(Y, pred, labels)
