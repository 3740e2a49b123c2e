"""Evaluation: grouped multi-label stratified folds and multi-label metrics.

Example:
    >>> import numpy as np
    >>> Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> scores(Y, Y)["micro"]["f1"]
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def grouped_folds(Y: np.ndarray, groups: Sequence[Any], n_folds: int, seed: int = 0) -> np.ndarray:
    """Assign each row to one of ``n_folds`` folds, keeping groups together and
    balancing every label's count across folds (greedy, deterministic).

    Groups are placed largest and rarest-label first, each into the fold that
    most lacks its labels (then the smallest fold). Returns the fold number of
    each row.

    Example:
        >>> Y = np.array([[1, 0]] * 4 + [[0, 1]] * 4)
        >>> grouped_folds(Y, list("aabbccdd"), 2).tolist()
        [1, 1, 0, 0, 1, 1, 0, 0]
    """
    Y = np.asarray(Y, dtype=np.float64)
    _n, k = Y.shape
    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {n_folds}")
    keys: dict[Any, int] = {}
    gid = np.array([keys.setdefault(g, len(keys)) for g in groups], dtype=np.int64)
    n_groups = len(keys)
    if n_groups < n_folds:
        raise ValueError(f"{n_groups} groups cannot fill {n_folds} folds")
    G = np.zeros((n_groups, k))
    np.add.at(G, gid, Y)
    sizes = np.bincount(gid, minlength=n_groups).astype(np.float64)
    totals = np.maximum(Y.sum(axis=0), 1.0)
    rarity = (G / totals).max(axis=1) if k else np.zeros(n_groups)
    rng = np.random.default_rng(seed)
    tie = rng.random(n_groups)
    order = np.lexsort((tie, -sizes, -rarity))
    target = Y.sum(axis=0) / n_folds
    fold_labels = np.zeros((n_folds, k))
    fold_sizes = np.zeros(n_folds)
    group_fold = np.empty(n_groups, dtype=np.int64)
    for g in order:
        lack = ((target - fold_labels) * (G[g] > 0) / totals).sum(axis=1) if k else np.zeros(n_folds)
        best = np.lexsort((fold_sizes, -lack))[0]
        group_fold[g] = best
        fold_labels[best] += G[g]
        fold_sizes[best] += sizes[g]
    return group_fold[gid]


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(tp), where=(precision + recall) > 0)
    return precision, recall, f1


def scores(Y_true: np.ndarray, Y_pred: np.ndarray, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-label precision/recall/F1/support, micro and macro averages, exact match.

    ``Y_true`` and ``Y_pred`` are 0/1 indicator matrices (n_articles, n_labels).
    A label with no example in ``Y_true`` (``support`` 0) has no recall or F1:
    its ``recall`` and ``f1`` are ``None`` (shown as n/a), its ``precision`` is
    ``None`` too unless it was predicted (then 0.0: every prediction was wrong),
    and it is left out of the macro average; ``report["no_support"]`` lists
    the labels left out. Micro averages and exact match count every label.

    Example:
        >>> Y = np.array([[1, 0], [0, 0]])
        >>> r = scores(Y, Y, ["a", "b"])
        >>> r["per_label"]["b"]["f1"], r["no_support"], r["macro"]["f1"]
        (None, ['b'], 1.0)
    """
    Y_true = np.asarray(Y_true, dtype=bool)
    Y_pred = np.asarray(Y_pred, dtype=bool)
    if Y_true.shape != Y_pred.shape:
        raise ValueError(f"shape mismatch: {Y_true.shape} vs {Y_pred.shape}")
    labels = list(labels) if labels is not None else [str(j) for j in range(Y_true.shape[1])]
    tp = (Y_true & Y_pred).sum(axis=0)
    fp = (~Y_true & Y_pred).sum(axis=0)
    fn = (Y_true & ~Y_pred).sum(axis=0)
    support = Y_true.sum(axis=0)
    predicted = Y_pred.sum(axis=0)
    p, r, f = _prf(tp, fp, fn)
    mp, mr, mf = _prf(tp.sum(), fp.sum(), fn.sum())
    has = support > 0
    per_label = {}
    for j, label in enumerate(labels):
        ok = bool(has[j])
        per_label[label] = {
            "precision": float(p[j]) if ok or predicted[j] else None,
            "recall": float(r[j]) if ok else None,
            "f1": float(f[j]) if ok else None,
            "support": int(support[j]),
            "predicted": int(predicted[j]),
        }

    def mean(values: np.ndarray) -> float:
        return float(values[has].mean()) if has.any() else 0.0

    return {
        "per_label": per_label,
        "micro": {"precision": float(mp), "recall": float(mr), "f1": float(mf)},
        "macro": {"precision": mean(p), "recall": mean(r), "f1": mean(f)},
        "no_support": [label for j, label in enumerate(labels) if not has[j]],
        "exact_match": float((Y_true == Y_pred).all(axis=1).mean()) if len(Y_true) else 0.0,
        "n_articles": len(Y_true),
    }


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_scores(report: dict[str, Any], title: str | None = None) -> str:
    """A plain-text (Markdown) table of a :func:`scores` report.

    Labels without examples show ``n/a``; a note under the table names them
    and says the macro average leaves them out.

    Example:
        >>> Y = np.array([[1, 0], [0, 0]])
        >>> print(format_scores(scores(Y, Y, ["a", "b"])).splitlines()[-1])
        Macro average over 1 of 2 themes: b has no examples in the test data (n/a, left out).
    """
    lines = [f"**{title}**", ""] if title else []
    lines += ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label, m in report["per_label"].items():
        cells = " | ".join(_cell(m[key]) for key in ("precision", "recall", "f1"))
        lines.append(f"| {label} | {cells} | {m['support']} |")
    for avg in ("micro", "macro"):
        m = report[avg]
        lines.append(f"| *{avg} avg* | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | |")
    lines.append(f"\nExact match (all labels right): {report['exact_match']:.3f} over {report['n_articles']} articles.")
    missing = report.get("no_support") or []
    if missing:
        n_all = len(report["per_label"])
        verb = "has" if len(missing) == 1 else "have"
        lines.append(
            f"Macro average over {n_all - len(missing)} of {n_all} themes: {', '.join(missing)} "
            f"{verb} no examples in the test data (n/a, left out)."
        )
    return "\n".join(lines)


def best_thresholds(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per-label threshold on scores ``P`` maximising F1 against ``Y``.

    The threshold is placed half-way between the lowest score kept and the
    next score below it, so it does not sit on a training example.

    Example:
        >>> Y = np.array([[1], [1], [0], [0]])
        >>> P = np.array([[0.9], [0.6], [0.4], [0.1]])
        >>> best_thresholds(Y, P).round(2).tolist()
        [0.5]
    """
    Y = np.asarray(Y, dtype=bool)
    out = np.empty(P.shape[1])
    for j in range(P.shape[1]):
        order = np.argsort(-P[:, j], kind="stable")
        s, y = P[order, j], Y[order, j]
        tp = np.cumsum(y)
        fp = np.cumsum(~y)
        fn = y.sum() - tp
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        # Only cut between distinct scores.
        cut = np.r_[s[:-1] > s[1:], True]
        f1 = np.where(cut, f1, -1.0)
        i = int(np.argmax(f1))
        out[j] = (s[i] + s[i + 1]) / 2 if i + 1 < len(s) else s[i] / 2
    return out
