"""Quality benchmark: grouped K-fold cross-validation of the bundled configuration,
its ablations and the baselines, on the repo's corpus, on clean and page-like text, in one run.

Run:  python benchmarks/quality.py [--folds 5] [--no-ablation] [--no-nested]
Writes the "Quality" section of benchmarks/RESULTS.md and prints it.

Every configuration sees the same folds (grouped by news event, stratified
by theme) and is scored twice on each test fold: on the clean summaries, and
on the same articles turned into page text by :mod:`pages` (site debris,
"related stories" made of other test-fold headlines; no labels seen). The
bundled configuration tunes its thresholds inside each training fold only,
so no test fold is looked at; the nested row also chooses its settings
inside the training folds (:mod:`nested`).
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
from pages import page_like_fold

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


def fold_pages(articles: list[Article], folds: np.ndarray) -> dict[int, list[Article]]:
    """Page-like versions of each test fold (seeded by the fold number; "test" template pool)."""
    return {
        int(k): page_like_fold([articles[i] for i in np.flatnonzero(folds == k)], seed=int(k), pool="test")
        for k in np.unique(folds)
    }


def run(
    fitter: Fitter,
    articles: list[Article],
    Y: np.ndarray,
    folds: np.ndarray,
    pages: dict[int, list[Article]],
    train_rows: np.ndarray | None = None,
) -> tuple[dict[str, Any], dict[str, Any], float]:
    """Grouped CV of one configuration: (clean report, page-like report, seconds).

    ``train_rows`` (a boolean mask) restricts every training fold to those
    rows (learning curves); test folds are always complete.
    """
    pred, pred_page = np.zeros_like(Y), np.zeros_like(Y)
    start = time.perf_counter()
    for k in np.unique(folds):
        test = np.flatnonzero(folds == k)
        keep = folds != k if train_rows is None else (folds != k) & train_rows
        train = np.flatnonzero(keep)
        predict = fitter([articles[i] for i in train], Y[train])
        pred[test] = predict([articles[i] for i in test])
        pred_page[test] = predict(pages[int(k)])
    labels = load_taxonomy().ids
    report, page = scores(Y, pred, labels), scores(Y, pred_page, labels)
    report["pred"], page["pred"] = pred, pred_page
    return report, page, time.perf_counter() - start


Row = tuple[str, dict[str, Any], dict[str, Any]]


def table(rows: Sequence[Row], labels: Sequence[str]) -> str:
    """One line per configuration; each cell is "clean / page-like"."""
    head = "| configuration | micro F1 | macro F1 | " + " | ".join(labels) + " | exact match |"
    lines = [head, "|---" * (len(labels) + 4) + "|"]
    for name, r, p in rows:
        cells = [f"{r['per_label'][label]['f1']:.3f} / {p['per_label'][label]['f1']:.3f}" for label in labels]
        lines.append(
            f"| {name} | {r['micro']['f1']:.3f} / {p['micro']['f1']:.3f} | {r['macro']['f1']:.3f} / "
            f"{p['macro']['f1']:.3f} | " + " | ".join(cells) + f" | {r['exact_match']:.3f} / {p['exact_match']:.3f} |"
        )
    return "\n".join(lines)


def prf_table(rows: Sequence[Row], labels: Sequence[str]) -> str:
    lines = [
        "| configuration | theme | precision | recall | F1 | precision (page) | recall (page) | F1 (page) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r, p in rows:
        for label in labels:
            m, q = r["per_label"][label], p["per_label"][label]
            lines.append(
                f"| {name} | {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                f"{q['precision']:.3f} | {q['recall']:.3f} | {q['f1']:.3f} |"
            )
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


#: Today's recipe before the 1,464-article corpus (the model bundled until then).
PREVIOUS = {"sentence_weight": 0.5, "sentence_pool": "max", "drop_debris": False, "C": 30.0, "title_weight": 1}

ABLATIONS: list[tuple[str, dict[str, Any]]] = [
    ("page debris lines kept (drop_debris=False)", {"drop_debris": False}),
    ("no sentence scoring (article score only, sentence_weight=0)", {"sentence_weight": 0.0}),
    ("sentence_weight=0.25", {"sentence_weight": 0.25}),
    ("sentence_weight=0.5", {"sentence_weight": 0.5}),
    ("best-sentence pooling (sentence_pool=max)", {"sentence_pool": "max"}),
    ("soft-maximum pooling (sentence_pool=softmax)", {"sentence_pool": "softmax"}),
    ("no affix features (words and word pairs only)", {"use_affixes": False}),
    ("title counted once (title_weight=1)", {"title_weight": 1}),
    ("title counted twice (title_weight=2)", {"title_weight": 2}),
    ("C=10", {"C": 10.0}),
    ("C=30", {"C": 30.0}),
    ("fixed threshold 0.5 (no tuning)", {"threshold_folds": 0}),
]


def augmented(**params: Any) -> Fitter:
    """The bundled configuration trained on each training fold plus a page-like copy of every
    training article (the generator's "train" template pool; related headlines from the same
    training fold), labels copied: train-side augmentation that never sees a test fold."""
    base = ours(**params)

    def fit(train: list[Article], Y: np.ndarray) -> Callable[[list[Article]], np.ndarray]:
        extra = page_like_fold(train, seed=7, pool="train")
        extra = [Article(f"{a.id}#page", a.title, a.body, a.labels, dict(a.meta)) for a in extra]
        return base(train + extra, np.vstack([Y, Y]))

    return fit


#: Error classes named in the accuracy issue: (name, gold condition, error, keywords in the article).
ERROR_CLASSES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    (
        "tobacco/cigarette smuggling also tagged health_goods",
        "health_goods",
        "FP",
        "illicit_trade",
        ("tobacco", "cigarette"),
    ),
    (
        "weapons/ammunition/radioactive also tagged illicit_trade",
        "illicit_trade",
        "FP",
        "strategic_trade_control",
        ("weapon", "firearm", "ammunition", "pistol", "rifle", "gun", "radioactive", "nuclear"),
    ),
    (
        "institutional customs news tagged facilitation",
        "facilitation",
        "FP",
        "",
        (
            "appoint",
            "director general",
            "commissioner",
            "nomenclature",
            "integrity",
            "gender",
            "recruit",
            "court",
            "tender",
            "elect",
        ),
    ),
    ("undeclared cash missed", "illicit_trade", "FN", "illicit_trade", ("cash", "currency")),
    (
        "duty/revenue evasion missed",
        "illicit_trade",
        "FN",
        "illicit_trade",
        ("evasion", "evade", "undervalu", "misdeclar", "anti-dumping", "duties owed"),
    ),
    (
        "antiquities/cultural property missed",
        "illicit_trade",
        "FN",
        "illicit_trade",
        ("antiquit", "artefact", "artifact", "cultural property", "cultural heritage", "looted"),
    ),
]


def error_classes(
    articles: list[Article], Y: np.ndarray, clean: np.ndarray, page: np.ndarray, labels: Sequence[str]
) -> str:
    """Counts of the issue's error classes in the CV predictions, clean and page-like."""
    lines = [
        "| error class | articles in class | errors, clean | errors, page-like | examples (clean or page-like error) |",
        "|---|---:|---:|---:|---|",
    ]
    for name, theme, kind, gold_theme, words in ERROR_CLASSES:
        j = labels.index(theme)
        g = labels.index(gold_theme) if gold_theme else None
        members = []
        for i, a in enumerate(articles):
            text = f"{a.title} {a.body}".lower()
            if not any(w in text for w in words):
                continue
            if kind == "FP" and Y[i, j]:
                continue
            if kind == "FN" and not Y[i, j]:
                continue
            if g is not None and kind == "FP" and not Y[i, g]:
                continue
            if not gold_theme and any(Y[i]):  # institutional news: no label in the gold
                continue
            members.append(i)
        ec = [i for i in members if (clean[i, j] == 1) == (kind == "FP")]
        ep = [i for i in members if (page[i, j] == 1) == (kind == "FP")]
        examples = "; ".join(f'{articles[i].id} "{articles[i].title[:60]}"' for i in (ec or ep)[:2])
        lines.append(f"| {name} | {len(members)} | {len(ec)} | {len(ep)} | {examples} |")
    return "\n".join(lines)


def error_analysis(
    articles: list[Article], Y: np.ndarray, folds: np.ndarray, labels: Sequence[str], per_kind: int = 3
) -> str:
    """Per theme, the typical cross-validation false positives and false negatives of
    the bundled configuration (clean text), with the words that drove each decision."""
    lines = ["### Error analysis (bundled configuration, clean text, same folds)", ""]
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
                    f"  - {a.id} {a.title[:90]}{flag} — score {P[row, j]:.2f} vs threshold {model.thresholds_[j]:.2f}; "
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


def error_counts(Y: np.ndarray, rows: Sequence[Row], labels: Sequence[str]) -> str:
    lines = [
        "| configuration | theme | FP clean | FN clean | FP page-like | FN page-like |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, r, p in rows:
        for j, label in enumerate(labels):
            got = [(P[:, j] == 1, Y[:, j] == 1) for P in (r["pred"], p["pred"])]
            fp = [int((a & ~b).sum()) for a, b in got]
            fn = [int((~a & b).sum()) for a, b in got]
            lines.append(f"| {name} | {label} | {fp[0]} | {fn[0]} | {fp[1]} | {fn[1]} |")
    return "\n".join(lines)


_JOBS: list[Callable[[], Any]] = []


def _run_job(i: int) -> Any:
    return _JOBS[i]()


def run_all(jobs: Sequence[Callable[[], Any]], processes: int = 1) -> list[Any]:
    """Call each job, in ``processes`` forked worker processes; results in order."""
    _JOBS[:] = list(jobs)
    try:
        if processes <= 1 or len(_JOBS) <= 1:
            return [job() for job in _JOBS]
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return pool.map(_run_job, range(len(_JOBS)), chunksize=1)
    finally:
        _JOBS.clear()


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--no-nested", action="store_true", help="skip the nested-selection row")
    parser.add_argument("--no-errors", action="store_true", help="skip the error analysis")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update RESULTS.md")
    parser.add_argument("--jobs", type=int, default=1, help="configurations run in parallel (forked processes)")
    args = parser.parse_args(argv)

    labels = load_taxonomy().ids
    articles = bundled_corpus()
    Y = label_matrix([a.labels or () for a in articles], labels)
    folds = grouped_folds(Y, [a.meta.get("event", a.id) for a in articles], args.folds, seed=0)
    pages = fold_pages(articles, folds)
    defaults = TopicClassifier().get_params()

    configs: list[tuple[str, Fitter | None]] = [
        ("**bundled configuration**", ours()),
        ("previous recipe, retrained on this corpus", ours(**PREVIOUS)),
        ("scikit-learn tutorial (word 1-2, LR defaults, 0.5)", sklearn_tutorial()),
        ("tuned baseline (word 1-2 + char 2-5, LR C=10 balanced, 0.5)", tuned_baseline()),
        ("fastText supervised (-loss ova, bigrams, 0.5)", fasttext_ova()),
    ]
    configs = [(name, fitter) for name, fitter in configs if fitter is not None or _log(f"skipped: {name}")]
    ablations = (
        []
        if args.no_ablation
        else [(name, params) for name, params in ABLATIONS if not all(defaults.get(k) == v for k, v in params.items())]
    )
    fitters = [f for _, f in configs] + [ours(**p) for _, p in ablations]
    if not args.no_ablation:
        fitters.append(augmented())
    jobs: list[Callable[[], Any]] = []
    if not args.no_nested:
        from nested import nested

        jobs.append(lambda: nested(articles, Y, labels, folds, log=_log))  # the longest: first
    jobs += [lambda f=f: run(f, articles, Y, folds, pages) for f in fitters]
    results = run_all(jobs, args.jobs)
    result = results.pop(0) if not args.no_nested else None
    rows: list[Row] = []
    for (name, _), (report, page, seconds) in zip(configs, results):
        rows.append((name, report, page))
        _log(f"{name}: micro {report['micro']['f1']:.3f} / {page['micro']['f1']:.3f} ({seconds:.1f} s)")
    nested_text = []
    if result is not None:
        rows.insert(
            1,
            (
                "nested selection (settings chosen inside each training fold)",
                {**scores(Y, result["pred"]["clean"], labels), "pred": result["pred"]["clean"]},
                {**scores(Y, result["pred"]["page"], labels), "pred": result["pred"]["page"]},
            ),
        )
        nested_text = [
            "",
            "### Nested selection",
            "",
            "Candidates: C in {10, 30} x title_weight in {1, 2} x (sentence_weight 0; 0.25 or 0.5 with max or "
            "softmax pooling), debris lines dropped. Each outer fold chose by 4-fold grouped CV on its training "
            'part (mean of clean and page-like inner micro-F1; inner pages from the generator\'s "train" pool):',
            "",
            "| outer fold | chosen | inner criterion |",
            "|---:|---|---:|",
            *[
                f"| {k} | " + ", ".join(f"{key}={c[key]}" for key in c if key != "inner") + f" | {c['inner']:.4f} |"
                for k, c in enumerate(result["chosen"])
            ],
            "",
            "Whole corpus (each candidate's 5-fold grouped CV, thresholds tuned inside the folds, page-like text "
            'from the "train" pool), best first; the bundled defaults are the top row:',
            "",
            "| candidate | criterion | micro F1 clean | micro F1 page-like (train pool) |",
            "|---|---:|---:|---:|",
            *[
                f"| {', '.join(f'{k}={v}' for k, v in cand.items())} | {crit:.4f} | {c:.4f} | {g:.4f} |"
                for cand, crit, c, g in result["whole"]
            ],
        ]
    ablation_rows: list[Row] = []
    if not args.no_ablation:
        ablation_rows.append(("bundled configuration", rows[0][1], rows[0][2]))
        previous = next(r for r in rows if r[0].startswith("previous"))
        ablation_rows.append(
            ("previous recipe (sentence_weight=0.5, max pooling, debris kept, C=30, title once)", *previous[1:])
        )
        names = [name for name, _ in ablations] + [
            "plus a page-like copy of each training article (train-side augmentation)"
        ]
        for name, (report, page, _) in zip(names, results[len(configs) :]):
            ablation_rows.append((name, report, page))
            _log(f"ablation {name}: micro {report['micro']['f1']:.3f} / {page['micro']['f1']:.3f}")

    changed = {
        k: v
        for k, v in defaults.items()
        if k in ("C", "title_weight", "sentence_weight", "sentence_pool", "drop_debris")
    }
    body = [
        "## Quality",
        "",
        f"_Generated by `python benchmarks/quality.py` (customs-topics {__version__}, "
        f"Python {platform.python_version()}); "
        "do not edit by hand._",
        "",
        f"{args.folds}-fold cross-validation on the bundled corpus ({len(articles)} articles, "
        f"{len(set(a.meta.get('event', a.id) for a in articles))} events), folds grouped by news event and "
        "stratified by theme; the same folds for every row. Each cell is **clean / page-like**: the test fold's "
        "summaries as they are, and the same articles as page text (`benchmarks/pages.py`: menus, breadcrumb, "
        "dateline, share and cookie lines, a mission statement in 60% and a hotline/penalties paragraph in 50% "
        "of pages, a related-stories list of 4-8 other test-fold headlines, paragraphs regrouped, cut at "
        "1,700-2,300 characters). Bundled configuration: "
        + ", ".join(f"`{k}={v!r}`" for k, v in changed.items())
        + ". F1:",
        "",
        table(rows, labels),
        "",
        "Precision and recall per theme:",
        "",
        prf_table(rows, labels),
        *nested_text,
    ]
    if ablation_rows:
        body += [
            "",
            "### Ablations",
            "",
            "Each row changes one choice of the bundled configuration (same folds, clean / page-like):",
            "",
            table(ablation_rows, labels),
        ]
    if not args.no_errors:
        body += [
            "",
            "### Errors per theme (cross-validation, same folds)",
            "",
            error_counts(Y, rows[:1] + [r for r in rows if r[0].startswith("previous")], labels),
            "",
            "Error classes named in the accuracy issue (bundled configuration; class membership by keywords in "
            "the gold article):",
            "",
            error_classes(articles, Y, rows[0][1]["pred"], rows[0][2]["pred"], labels),
            "",
            error_analysis(articles, Y, folds, labels),
        ]
    text = "\n".join(body) + "\n"
    print(text)
    if not args.no_write:
        write_section("quality", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
