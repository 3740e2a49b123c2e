"""Speed benchmark: throughput, cold start, latency, retraining time, model size
and CLI peak memory, each against a baseline measured in the same run.

Run:  python benchmarks/speed.py [--articles 20000] [--repeats 5] [--stream-mb 200]
Writes the "Speed" section of benchmarks/RESULTS.md and prints it.

Baselines: a scikit-learn pipeline (TF-IDF word 1-2 grams + one-vs-rest
logistic regression) trained on the same corpus and pickled with joblib, and
fastText's C++ predict (``-loss ova``) when the ``[bench]`` extra is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import page_like_fold
from quality import PREVIOUS, write_section

from customs_topics import __version__, load_model, load_taxonomy
from customs_topics.corpus import bundled_corpus, label_matrix
from customs_topics.persistence import bundled_model_path


def _median_spread(values: Sequence[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def _fmt(values: Sequence[float], unit: str = "", scale: float = 1.0, digits: int = 0) -> str:
    med, lo, hi = _median_spread([v * scale for v in values])
    return f"{med:,.{digits}f}{unit} ({lo:,.{digits}f}–{hi:,.{digits}f})"


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def sklearn_pipeline(texts: list[str], Y: np.ndarray) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        OneVsRestClassifier(LogisticRegression(C=10, class_weight="balanced", solver="liblinear")),
    )
    return pipe.fit(texts, Y)


def fasttext_model(texts: list[str], Y: np.ndarray, labels: Sequence[str], workdir: Path) -> Any:
    try:
        import fasttext  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = workdir / "ft-train.txt"
    with open(path, "w") as fh:
        for text, row in zip(texts, Y):
            tags = " ".join(f"__label__{labels[j]}" for j in np.flatnonzero(row)) or "__label__none"
            fh.write(f"{tags} {' '.join(text.lower().split())}\n")
    return fasttext.train_supervised(str(path), loss="ova", wordNgrams=2, epoch=25, verbose=0, thread=2)


class ReferenceScorer:
    """The pre-optimisation scoring path: feature rows built in Python
    (``Featurizer.transform``/``transform_units``), then ``rows @ W``."""

    def __init__(self, featurizer: Any, W: np.ndarray) -> None:
        self.f, self.W = featurizer, np.asarray(W, dtype=np.float64)

    def score(self, docs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, ...]:
        rows = self.f.transform(docs)
        units, owner = self.f.transform_units(docs)
        return rows.dot(self.W), units.dot(self.W), owner, np.diff(rows.indptr) == 0, np.diff(units.indptr) == 0


def accuracy_parity(corpus: list[Any], labels: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Grouped 5-fold CV of the bundled recipe with the fast scorer and with the reference path."""
    from customs_topics import TopicClassifier
    from customs_topics.features import Featurizer
    from customs_topics.trainer import cross_validate

    fast = cross_validate(TopicClassifier(themes=labels), corpus, 5)
    original = Featurizer.scorer
    Featurizer.scorer = lambda self, W: ReferenceScorer(self, W)  # type: ignore[method-assign]
    try:
        reference = cross_validate(TopicClassifier(themes=labels), corpus, 5)
    finally:
        Featurizer.scorer = original  # type: ignore[method-assign]
    return fast, reference


def cold_start(code: str, repeats: int) -> list[float]:
    """Wall time of a fresh interpreter running ``code`` (median of repeats)."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def cli_peak_memory(path: Path) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of ``customs-topics tag`` over a JSON Lines file."""
    code = (
        "import resource, subprocess, sys\n"
        f"p = subprocess.run([sys.executable, '-m', 'customs_topics.cli', 'tag', {str(path)!r}, '--quiet'],"
        " stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(p.returncode)\n"
    )
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(res.stdout.strip()) / 1024, time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stream-mb", type=int, default=200, help="size of the JSON Lines file for the memory test")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-parity", action="store_true", help="skip the accuracy-parity cross-validation")
    args = parser.parse_args(argv)

    labels = list(load_taxonomy().ids)
    corpus = bundled_corpus()
    texts = [f"{a.title}\n\n{a.body}" for a in corpus]
    Y = label_matrix([a.labels or () for a in corpus], labels)
    batch = [texts[i % len(texts)] for i in range(args.articles)]
    mean_bytes = sum(len(t.encode()) for t in batch) / len(batch)
    model = load_model()
    rows: list[tuple[str, str, str]] = []
    workdir = Path(tempfile.mkdtemp(prefix="ct-bench-"))

    # --- batch throughput -------------------------------------------------
    model.predict(batch[:100])
    ours = timed(lambda: model.predict(batch), args.repeats)
    model.set_params(n_jobs=2)
    model.predict(batch)  # start the two worker processes once
    ours2 = timed(lambda: model.predict(batch), args.repeats)
    model.set_params(n_jobs=None)
    pipe = sklearn_pipeline(texts, Y)
    skl = timed(lambda: pipe.predict(batch), args.repeats)
    ft = fasttext_model(texts, Y, labels, workdir)
    best = statistics.median(ours2)
    rows.append(
        ("batch tagging, customs-topics, 1 process, 1 core", _fmt([args.articles / t for t in ours], "/s"), "—")
    )
    rows.append(
        (
            "batch tagging, customs-topics, 1 call using 2 cores (n_jobs=2)",
            _fmt([args.articles / t for t in ours2], "/s"),
            f"{statistics.median(ours) / best:.2f}x the 1-core run",
        )
    )
    rows.append(
        (
            "batch tagging, scikit-learn pipeline (1 core)",
            _fmt([args.articles / t for t in skl], "/s"),
            f"ours (2 cores) / sklearn = {statistics.median(skl) / best:.2f}x; "
            f"ours (1 core) / sklearn = {statistics.median(skl) / statistics.median(ours):.2f}x",
        )
    )
    if ft is not None:
        ft_batch = [" ".join(t.lower().split()) for t in batch]
        ftt = timed(lambda: ft.predict(ft_batch, k=-1, threshold=0.5), args.repeats)
        rows.append(
            (
                "batch tagging, fastText predict (C++, 1 thread)",
                _fmt([args.articles / t for t in ftt], "/s"),
                f"ours (2 cores) / fastText = {statistics.median(ftt) / best:.2f}x; "
                f"ours (1 core) / fastText = {statistics.median(ftt) / statistics.median(ours):.2f}x",
            )
        )

    # --- against the previous recipe (same corpus, same run, interleaved) ------------
    from customs_topics import TopicClassifier

    prev = TopicClassifier(themes=labels, threshold_folds=0, **PREVIOUS).fit(corpus)
    page_texts = [f"{a.title}\n\n{a.body}" for a in page_like_fold(corpus, seed=0, pool="test")]
    page_batch = [page_texts[i % len(page_texts)] for i in range(args.articles)]
    prev.predict(batch[:100])
    for name, texts_in in (("corpus summaries", batch), ("page-like text", page_batch)):
        new_t: list[float] = []
        old_t: list[float] = []
        for _ in range(args.repeats):
            new_t += timed(lambda texts_in=texts_in: model.predict(texts_in), 1)
            old_t += timed(lambda texts_in=texts_in: prev.predict(texts_in), 1)
        rows.append(
            (
                f"batch tagging, {name}, 1 core: bundled vs previous recipe (retrained on this corpus)",
                f"{_fmt([args.articles / t for t in new_t], '/s')} vs {_fmt([args.articles / t for t in old_t], '/s')}",
                f"bundled / previous = {statistics.median(old_t) / statistics.median(new_t):.2f}x (target >= 0.70)",
            )
        )

    # --- cold start ------------------------------------------------------------
    import joblib

    pkl = workdir / "pipeline.joblib"
    joblib.dump(pipe, pkl)
    sample = json.dumps(texts[0])
    ours_cold = cold_start(
        f"import customs_topics; m = customs_topics.load_model(); m.predict([{sample}])", args.repeats
    )
    skl_cold = cold_start(f"import joblib; p = joblib.load({str(pkl)!r}); p.predict([{sample}])", args.repeats)
    rows.append(("cold start: import, load, tag one (customs-topics)", _fmt(ours_cold, " s", digits=3), "—"))
    rows.append(
        (
            "cold start: joblib-pickled scikit-learn pipeline",
            _fmt(skl_cold, " s", digits=3),
            f"ours/sklearn = {statistics.median(ours_cold) / statistics.median(skl_cold):.2f}x",
        )
    )

    # --- warm single-article latency -------------------------------------------
    lat = []
    for i in range(2000):
        start = time.perf_counter()
        model.predict(texts[i % len(texts)])
        lat.append(time.perf_counter() - start)
    p50, p99 = np.percentile(lat, [50, 99]) * 1000
    rows.append(("single article, warm: p50 / p99", f"{p50:.3f} ms / {p99:.3f} ms", "targets 0.3 / 1 ms"))

    # --- retraining -------------------------------------------------------------
    fit = timed(lambda: TopicClassifier(themes=labels).fit(corpus), max(1, args.repeats // 2))
    rows.append(("retrain on the corpus incl. threshold tuning", _fmt(fit, " s", digits=2), "target <= 10 s"))

    # --- model size -------------------------------------------------------------
    size = sum(p.stat().st_size for p in bundled_model_path().iterdir()) / 1e6
    rows.append(
        ("bundled model on disk", f"{size:.2f} MB", f"pickled sklearn pipeline {pkl.stat().st_size / 1e6:.2f} MB")
    )

    # --- CLI streaming memory ----------------------------------------------------
    big = workdir / "big.jsonl"
    with open(big, "w") as fh:
        written, i = 0, 0
        while written < args.stream_mb * 1e6:
            a = corpus[i % len(corpus)]
            line = json.dumps({"id": f"x{i}", "title": a.title, "body": a.body}) + "\n"
            fh.write(line)
            written += len(line)
            i += 1
    peak, wall = cli_peak_memory(big)
    rows.append(
        (
            f"CLI tag of a {args.stream_mb} MB JSON Lines file ({i:,} articles)",
            f"peak RSS {peak:.0f} MB, {wall:.1f} s ({i / wall:,.0f}/s)",
            "target < 300 MB",
        )
    )

    # --- accuracy unchanged -------------------------------------------------------
    if not args.no_parity:
        fast, ref = accuracy_parity(corpus, labels)
        rows.append(
            (
                "CV micro / macro F1, fast scorer vs reference (pre-optimisation) path",
                f"{fast['micro']['f1']:.4f} / {fast['macro']['f1']:.4f} vs "
                f"{ref['micro']['f1']:.4f} / {ref['macro']['f1']:.4f}",
                f"differences {abs(fast['micro']['f1'] - ref['micro']['f1']):.4f} / "
                f"{abs(fast['macro']['f1'] - ref['macro']['f1']):.4f} (target <= 0.005)",
            )
        )

    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, customs-topics {__version__}"
    )
    body = [
        "## Speed",
        "",
        f"_Generated by `python benchmarks/speed.py` on {machine}; median (min–max) of {args.repeats} runs "
        f"unless noted; {args.articles:,} articles of {mean_bytes:.0f} bytes on average. Do not edit by hand._",
        "",
        "| measurement | result | ratio / target |",
        "|---|---|---|",
    ] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(body) + "\n"
    print(text)
    if not args.no_write:
        write_section("speed", text)
    big.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
