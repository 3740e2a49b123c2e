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
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .articles import Article
from .corpus import bundled_corpus, label_matrix, merge_records, summarize, training_data
from .errors import DataError
from .evaluation import grouped_folds, scores
from .model import TopicClassifier
from .taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger("customs_topics")

DataSource = Sequence[Article] | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def _load_data(data: DataSource, taxonomy: Taxonomy, bundled: bool) -> tuple[list[Article], list[str]]:
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    items = list(data)
    if not any(isinstance(x, Article) for x in items):
        files = [os.fspath(p) for p in items]  # type: ignore[arg-type]
        return training_data(files, taxonomy, bundled=bundled), (["bundled corpus"] if bundled else []) + files
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
                    f"article {i} ({a.id}): unknown theme {label!r} (the taxonomy has: {', '.join(taxonomy.ids)})",
                    field="labels",
                )
    records = ((f"data[{i}]", None, a) for i, a in enumerate(articles))
    return merge_records(bundled_corpus(taxonomy) if bundled else [], records), []


def _events(articles: Sequence[Article]) -> list[Any]:
    return [a.meta.get("event", a.id) for a in articles]


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
    articles, files = _load_data(data, taxonomy, bundled)
    labels = list(taxonomy.ids)
    estimator = TopicClassifier(themes=labels, **params)
    Y = label_matrix([a.labels or () for a in articles], labels)
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
