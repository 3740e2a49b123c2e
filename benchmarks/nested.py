"""Nested selection of the bundled configuration, and its nested cross-validation score.

For each outer fold, every candidate configuration is judged by grouped
cross-validation *inside the training part only* (the same inner folds the
library uses to tune thresholds), on clean text and on page-like text built
from the inner test folds with the generator's ``"train"`` template pool.
The best candidate (mean of clean and page-like inner micro-F1) then
predicts the outer test fold, clean and page-like (``"test"`` pool). The
bundled configuration is chosen the same way on the whole corpus (its
5-fold out-of-fold scores, ``"train"`` pool pages).

Candidates that change only how scores are combined (sentence weight and
pooling) share their fitted linear models, so each feature setting is fitted
once per outer fold and once per inner fold; predictions are exactly those
of ``TopicClassifier(**candidate).fit(train).predict(test)``.

Run:  python benchmarks/nested.py   (prints; quality.py imports it)
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pages import page_like_fold

from customs_topics import TopicClassifier
from customs_topics.articles import Article
from customs_topics.evaluation import best_thresholds, grouped_folds, scores
from customs_topics.model import _pairs, _sigmoid, combined_scores

#: Settings that need their own fit.
FIT_GRID: list[dict[str, Any]] = [{"C": C, "title_weight": tw} for C, tw in itertools.product((10.0, 30.0), (1, 2))]
#: Settings applied to the fitted scores.
SCORE_GRID: list[dict[str, Any]] = [{"sentence_weight": 0.0, "sentence_pool": "max"}] + [
    {"sentence_weight": w, "sentence_pool": p} for w in (0.25, 0.5) for p in ("max", "softmax")
]


def _raw(model: TopicClassifier, articles: Sequence[Article], score: dict[str, Any]) -> np.ndarray:
    docs = model._page_text(_pairs(articles))
    S = combined_scores(model._get_scorer(), model.intercept_, score["sentence_weight"], docs, score["sentence_pool"])[
        0
    ]
    return _sigmoid(S)


def _micro(Y: np.ndarray, pred: np.ndarray) -> float:
    return float(scores(Y, pred)["micro"]["f1"])


def oof(
    articles: Sequence[Article],
    Y: np.ndarray,
    labels: Sequence[str],
    folds: np.ndarray,
    fit_params: dict[str, Any],
    page_pool: str,
    page_seed: int,
) -> dict[int, dict[str, np.ndarray]]:
    """Out-of-fold probabilities of every score setting, clean and page-like, for one fit setting.

    Returns ``{score index: {"clean": P, "page": P}}``; thresholds are not applied.
    """
    out = {i: {"clean": np.zeros(Y.shape), "page": np.zeros(Y.shape)} for i in range(len(SCORE_GRID))}
    for k in np.unique(folds):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        model = TopicClassifier(themes=list(labels), threshold_folds=0, **fit_params).fit(
            [articles[i] for i in train], Y[train]
        )
        clean = [articles[i] for i in test]
        page = page_like_fold(clean, seed=page_seed + int(k), pool=page_pool)
        for i, score in enumerate(SCORE_GRID):
            out[i]["clean"][test] = _raw(model, clean, score)
            out[i]["page"][test] = _raw(model, page, score)
    return out


def _groups(articles: Sequence[Article]) -> list[Any]:
    return [a.meta.get("event", a.id) for a in articles]


def nested(
    articles: list[Article], Y: np.ndarray, labels: Sequence[str], folds: np.ndarray, log: Any = None
) -> dict[str, Any]:
    """Nested CV predictions (clean and page-like), per-fold choices, and the whole-corpus ranking.

    Each (outer fold, fit setting) is fitted once on the outer training part
    and once per inner fold; the outer test predictions of every candidate
    are kept, so the whole-corpus ranking (each candidate's grouped CV with
    thresholds tuned inside the folds, as ``fit`` does) costs no extra fit.
    """
    n_fit, n_score = len(FIT_GRID), len(SCORE_GRID)
    pred = {"clean": np.zeros_like(Y), "page": np.zeros_like(Y)}
    cand = {(f, s): {"clean": np.zeros_like(Y), "page": np.zeros_like(Y)} for f in range(n_fit) for s in range(n_score)}
    chosen: list[dict[str, Any]] = []
    for k in np.unique(folds):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        tr = [articles[i] for i in train]
        clean = [articles[i] for i in test]
        page_test = page_like_fold(clean, seed=int(k), pool="test")
        page_train = page_like_fold(clean, seed=500 + int(k), pool="train")
        inner = grouped_folds(Y[train], _groups(tr), 4, seed=0)
        best: tuple[float, int, int] | None = None
        outer_test: dict[tuple[int, int], np.ndarray] = {}
        for f, fit_params in enumerate(FIT_GRID):
            P = oof(tr, Y[train], labels, inner, fit_params, "train", 100 * (int(k) + 1))
            model = TopicClassifier(themes=list(labels), threshold_folds=0, **fit_params).fit(tr, Y[train])
            for s, score in enumerate(SCORE_GRID):
                t = best_thresholds(Y[train], P[s]["clean"])
                crit = (_micro(Y[train], P[s]["clean"] >= t) + _micro(Y[train], P[s]["page"] >= t)) / 2
                if best is None or crit > best[0] + 1e-12:
                    best = (crit, f, s)
                cand[(f, s)]["clean"][test] = _raw(model, clean, score) >= t
                cand[(f, s)]["page"][test] = _raw(model, page_train, score) >= t
                outer_test[(f, s)] = _raw(model, page_test, score) >= t
        assert best is not None
        crit, f, s = best
        pred["clean"][test] = cand[(f, s)]["clean"][test]
        pred["page"][test] = outer_test[(f, s)]
        chosen.append({**FIT_GRID[f], **SCORE_GRID[s], "inner": round(crit, 4)})
        if log:
            log(f"nested fold {k}: {chosen[-1]} ({time.strftime('%X')})")
    table = []
    for (f, s), p in cand.items():
        c, g = _micro(Y, p["clean"]), _micro(Y, p["page"])
        table.append(({**FIT_GRID[f], **SCORE_GRID[s]}, round((c + g) / 2, 4), round(c, 4), round(g, 4)))
    table.sort(key=lambda row: -row[1])
    return {"pred": pred, "chosen": chosen, "whole": table}


if __name__ == "__main__":
    from customs_topics import load_taxonomy
    from customs_topics.corpus import bundled_corpus, label_matrix

    labels = load_taxonomy().ids
    articles = bundled_corpus()
    Y = label_matrix([a.labels or () for a in articles], labels)
    folds = grouped_folds(Y, _groups(articles), 5, seed=0)
    result = nested(articles, Y, labels, folds, log=lambda m: print(m, file=sys.stderr, flush=True))
    for name in ("clean", "page"):
        r = scores(Y, result["pred"][name], labels)
        print(
            name,
            round(r["micro"]["f1"], 3),
            round(r["macro"]["f1"], 3),
            {k: round(v["f1"], 3) for k, v in r["per_label"].items()},
        )
    for row in result["whole"]:
        print(row)
