"""Quality benchmark: grouped K-fold cross-validation of the bundled configuration,
its ablations and the baselines, on the repo's corpus, in one run.

Run:  python benchmarks/quality.py [--folds 5] [--no-ablation]
Writes the "Quality" section of benchmarks/RESULTS.md and prints it.

Every configuration sees the same folds (grouped by news event, stratified
by theme). The bundled configuration tunes its thresholds inside each
training fold only (nested), so no test fold is looked at.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from customs_topics import TopicClassifier, __version__, load_taxonomy
from customs_topics.articles import Article
from customs_topics.corpus import bundled_corpus, label_matrix
from customs_topics.evaluation import grouped_folds, scores

RESULTS = Path(__file__).with_name("RESULTS.md")

Fitter = Callable[[list[Article], np.ndarray], Callable[[list[Article]], np.ndarray]]


def _text(a: Article) -> str:
    return f"{a.title}\n\n{a.body}"


def ours(**params: Any) -> Fitter:
    def fit(train: list[Article], Y: np.ndarray) -> Callable[[list[Article]], np.ndarray]:
        labels = load_taxonomy().ids
        model = TopicClassifier(themes=labels, **params).fit(
            train, Y, groups=[a.meta.get("event", a.id) for a in train]
        )
        return lambda test: label_matrix(model.predict(test), labels)

    return fit


def sklearn_tutorial() -> Fitter:
    """TF-IDF word 1-2 grams + one-vs-rest LogisticRegression, defaults, threshold 0.5."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    def fit(train: list[Article], Y: np.ndarray) -> Callable[[list[Article]], np.ndarray]:
        pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), OneVsRestClassifier(LogisticRegression()))
        pipe.fit([_text(a) for a in train], Y)
        return lambda test: pipe.predict([_text(a) for a in test])

    return fit


def tuned_baseline() -> Fitter:
    """TF-IDF word 1-2 + char_wb 2-5 n-grams (sublinear), OvR LR C=10 balanced, threshold 0.5."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union

    def fit(train: list[Article], Y: np.ndarray) -> Callable[[list[Article]], np.ndarray]:
        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        clf = OneVsRestClassifier(LogisticRegression(C=10, class_weight="balanced", solver="liblinear"))
        pipe = make_pipeline(features, clf)
        pipe.fit([_text(a) for a in train], Y)
        return lambda test: pipe.predict([_text(a) for a in test])

    return fit


def fasttext_ova() -> Fitter | None:
    """fastText supervised, one-vs-all loss, word bigrams, threshold 0.5 (needs the [bench] extra)."""
    try:
        import fasttext  # type: ignore[import-not-found]
    except ImportError:
        return None
    import os
    import tempfile

    labels = load_taxonomy().ids

    def clean(text: str) -> str:
        return " ".join(re.findall(r"\w+|[^\w\s]", text.lower()))

    def fit(train: list[Article], Y: np.ndarray) -> Callable[[list[Article]], np.ndarray]:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            for a, row in zip(train, Y):
                tags = " ".join(f"__label__{labels[j]}" for j in np.flatnonzero(row)) or "__label__none"
                fh.write(f"{tags} {clean(_text(a))}\n")
        model = fasttext.train_supervised(fh.name, loss="ova", wordNgrams=2, epoch=50, lr=0.5, verbose=0, thread=1)
        os.unlink(fh.name)

        def predict(test: list[Article]) -> np.ndarray:
            got, _ = model.predict([clean(_text(a)) for a in test], k=-1, threshold=0.5)
            return label_matrix([[t[9:] for t in row if t[9:] in labels] for row in got], labels)

        return predict

    return fit


def run(fitter: Fitter, articles: list[Article], Y: np.ndarray, folds: np.ndarray) -> tuple[dict[str, Any], float]:
    pred = np.zeros_like(Y)
    start = time.perf_counter()
    for k in np.unique(folds):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        predict = fitter([articles[i] for i in train], Y[train])
        pred[test] = predict([articles[i] for i in test])
    report = scores(Y, pred, load_taxonomy().ids)
    report["pred"] = pred
    return report, time.perf_counter() - start


def table(rows: Sequence[tuple[str, dict[str, Any]]], labels: Sequence[str]) -> str:
    head = "| configuration | " + " | ".join(labels) + " | micro F1 | macro F1 | exact match |"
    lines = [head, "|---" * (len(labels) + 4) + "|"]
    for name, r in rows:
        cells = [f"{r['per_label'][label]['f1']:.3f}" for label in labels]
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {r['micro']['f1']:.3f} | {r['macro']['f1']:.3f} | {r['exact_match']:.3f} |"
        )
    return "\n".join(lines)


def prf_table(rows: Sequence[tuple[str, dict[str, Any]]], labels: Sequence[str]) -> str:
    lines = ["| configuration | theme | precision | recall | F1 |", "|---|---|---:|---:|---:|"]
    for name, r in rows:
        for label in labels:
            m = r["per_label"][label]
            lines.append(f"| {name} | {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
    return "\n".join(lines)


def write_section(name: str, body: str) -> None:
    """Replace the ``name`` section of RESULTS.md (between markers), keeping the rest."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = RESULTS.read_text("utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(RESULTS)


ABLATIONS: list[tuple[str, dict[str, Any]]] = [
    ("no sentence scoring (article score only, sentence_weight=0)", {"sentence_weight": 0.0}),
    ("best sentence only (sentence_weight=1)", {"sentence_weight": 1.0}),
    ("no affix features (words and word pairs only)", {"use_affixes": False}),
    ("title ignored (title_weight=0)", {"title_weight": 0}),
    ("title counted twice (title_weight=2)", {"title_weight": 2}),
    ("raw TF (sublinear_tf=False)", {"sublinear_tf": False}),
    ("words only, no word pairs (ngram_max=1)", {"ngram_max": 1}),
    ("min_df=1", {"min_df": 1}),
    ("C=10", {"C": 10.0}),
    ("C=100", {"C": 100.0}),
    ("no class weighting", {"class_weight": None}),
    ("fixed threshold 0.5 (no tuning)", {"threshold_folds": 0}),
]


def with_taxonomy_prior(**params: Any) -> Fitter:
    """The bundled configuration, plus one pseudo-article per theme built from the
    taxonomy (name as title; definition and include notes as body) added to each
    training fold: the taxonomy's definitions as prior knowledge."""
    tax = load_taxonomy()
    pseudo = [
        Article.from_text(t.name, " ".join([t.definition, *t.includes]), labels=[t.id], event=f"taxonomy:{t.id}")
        for t in tax.themes
    ]
    base = ours(**params)

    def fit(train: list[Article], Y: np.ndarray) -> Callable[[list[Article]], np.ndarray]:
        extra = label_matrix([a.labels or () for a in pseudo], tax.ids)
        return base(train + pseudo, np.vstack([Y, extra]))

    return fit


def error_analysis(
    articles: list[Article], Y: np.ndarray, folds: np.ndarray, labels: Sequence[str], per_kind: int = 5
) -> str:
    """Per theme, the typical cross-validation false positives and false negatives of
    the bundled configuration, with the words that drove each decision."""
    lines = ["### Error analysis (bundled configuration, same folds)", ""]
    found: dict[tuple[str, str], list[str]] = {(label, kind): [] for label in labels for kind in ("FP", "FN")}
    counts: dict[tuple[str, str], int] = dict.fromkeys(found, 0)
    for k in np.unique(folds):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        model = TopicClassifier(themes=list(labels)).fit(
            [articles[i] for i in train],
            Y[train],
            groups=[articles[i].meta.get("event", articles[i].id) for i in train],
        )
        tags = model.tag([articles[i] for i in test], explain=4)
        P = model.predict_proba([articles[i] for i in test])
        for row, (i, tag) in enumerate(zip(test, tags)):
            a = articles[i]
            for j, label in enumerate(labels):
                predicted, gold = label in tag.labels, bool(Y[i, j])
                if predicted == gold:
                    continue
                kind = "FP" if predicted else "FN"
                counts[(label, kind)] += 1
                if len(found[(label, kind)]) >= per_kind:
                    continue
                contrib = model.featurizer_.term_contributions(a.title, a.body, model.coef_[:, j])
                top = sorted(contrib.items(), key=lambda kv: -kv[1] if kind == "FP" else kv[1])[:4]
                words = ", ".join(f"`{t}` {v:+.2f}" for t, v in top)
                flag = " (borderline)" if a.meta.get("borderline") else ""
                found[(label, kind)].append(
                    f"  - {a.title[:90]}{flag} — score {P[row, j]:.2f} vs threshold {model.thresholds_[j]:.2f}; "
                    f"{'pushed up' if kind == 'FP' else 'held down'} by {words}"
                )
    for label in labels:
        lines.append(f"**{label}**: {counts[(label, 'FP')]} false positives, {counts[(label, 'FN')]} false negatives.")
        lines.append("")
        for kind, what in (("FP", "False positives"), ("FN", "False negatives")):
            lines.append(f"- {what} (first {min(per_kind, counts[(label, kind)])}):")
            lines += found[(label, kind)] or ["  - none"]
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--no-errors", action="store_true", help="skip the error analysis")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update RESULTS.md")
    args = parser.parse_args(argv)

    labels = load_taxonomy().ids
    articles = bundled_corpus()
    Y = label_matrix([a.labels or () for a in articles], labels)
    folds = grouped_folds(Y, [a.meta.get("event", a.id) for a in articles], args.folds, seed=0)

    configs: list[tuple[str, Fitter | None]] = [
        ("**bundled configuration**", ours()),
        ("scikit-learn tutorial (word 1-2, LR defaults, 0.5)", sklearn_tutorial()),
        ("tuned baseline (word 1-2 + char 2-5, LR C=10 balanced, 0.5)", tuned_baseline()),
        ("fastText supervised (-loss ova, bigrams, 0.5)", fasttext_ova()),
    ]
    rows, times = [], {}
    for name, fitter in configs:
        if fitter is None:
            print(f"skipped: {name} (install the [bench] extra)", file=sys.stderr)
            continue
        report, seconds = run(fitter, articles, Y, folds)
        rows.append((name, report))
        times[name] = seconds
        print(
            f"{name}: micro {report['micro']['f1']:.3f} macro {report['macro']['f1']:.3f} ({seconds:.1f} s)",
            file=sys.stderr,
        )
    ablation_rows = []
    if not args.no_ablation:
        ablation_rows.append(("bundled configuration", rows[0][1]))
        for name, params in ABLATIONS:
            report, seconds = run(ours(**params), articles, Y, folds)
            ablation_rows.append((name, report))
            print(
                f"ablation {name}: micro {report['micro']['f1']:.3f} macro {report['macro']['f1']:.3f}", file=sys.stderr
            )
        report, _ = run(with_taxonomy_prior(), articles, Y, folds)
        ablation_rows.append(("plus one pseudo-article per theme from the taxonomy's definitions", report))

    body = [
        "## Quality",
        "",
        f"_Generated by `python benchmarks/quality.py` (customs-topics {__version__}, "
        f"Python {platform.python_version()}); "
        "do not edit by hand._",
        "",
        f"{args.folds}-fold cross-validation on the bundled corpus ({len(articles)} articles, "
        f"{len(set(a.meta.get('event', a.id) for a in articles))} events), folds grouped by news event and "
        "stratified by theme; the same folds for every row. F1 per theme:",
        "",
        table(rows, labels),
        "",
        "Precision and recall per theme:",
        "",
        prf_table(rows, labels),
    ]
    if ablation_rows:
        body += [
            "",
            "### Ablations",
            "",
            "Each row changes one choice of the bundled configuration (same folds):",
            "",
            table(ablation_rows, labels),
        ]
    if not args.no_errors:
        body += ["", error_analysis(articles, Y, folds, labels)]
    text = "\n".join(body) + "\n"
    print(text)
    if not args.no_write:
        write_section("quality", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
