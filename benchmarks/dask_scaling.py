"""Dask scaling benchmark: tagging N articles from Parquet files in one process
versus a Dask LocalCluster of worker processes, on this machine.

Run:  python benchmarks/dask_scaling.py [--articles 200000] [--files 40] [--workers 2] [--repeats 3]
Needs the [dask] extra. Writes the "dask" section of benchmarks/RESULTS.md and prints it.

The articles cycle the bundled corpus (seeds/corpus/train.jsonl) and are
written as Parquet files in a temporary directory. Each configuration reads
the same files, tags every article and brings the tagged frame back to the
calling process (id, labels and score columns: the same end state), the
three configurations interleaved so that other load on the machine hits all
of them alike:

* one process: ``pandas.read_parquet`` + ``customs_topics.frame.tag_frame``;
* one process, ``n_jobs=W``: the same, with the model's joblib scoring;
* Dask: ``dask.dataframe.read_parquet`` + ``customs_topics.dask.tag_dataframe``
  + ``.compute()`` on a LocalCluster of W single-threaded worker processes
  (cluster start-up timed separately; one warm-up run first, in which each
  worker imports the library and loads the model once).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import write_section

from customs_topics import __version__, load_model

REPO = Path(__file__).resolve().parent.parent
TRAIN_JSONL = REPO / "seeds" / "corpus" / "train.jsonl"


def write_parts(out: Path, n: int, files: int) -> None:
    import pandas as pd

    rows = [json.loads(line) for line in TRAIN_JSONL.read_text("utf-8").splitlines() if line.strip()]
    base = pd.DataFrame(rows)[["id", "title", "body"]]
    df = base.iloc[np.arange(n) % len(base)].reset_index(drop=True)
    df["id"] = [f"r{i:07d}" for i in range(n)]
    for k, idx in enumerate(np.array_split(np.arange(n), files)):
        df.iloc[idx].to_parquet(out / f"part-{k:04d}.parquet", index=False)


def prepare(parts: Path, n: int, files: int) -> tuple[object, list[str]]:
    """Write ``n`` articles as ``files`` Parquet parts; a warmed-up bundled model and the columns to compare."""
    from customs_topics.frame import output_columns

    t0 = time.perf_counter()
    write_parts(parts, n, files)
    print(f"wrote {n} articles in {files} Parquet files in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    model = load_model()
    model.predict(["warm up"])
    return model, ["id", *output_columns(model.labels)]


def timed(fn, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only, do not update RESULTS.md")
    args = ap.parse_args(argv)

    import dask
    import dask.dataframe as dd
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    from customs_topics.dask import tag_dataframe
    from customs_topics.frame import tag_frame

    n, w = args.articles, args.workers
    with tempfile.TemporaryDirectory() as tmp:
        parts = Path(tmp)
        model, cols = prepare(parts, n, args.files)
        model_jobs = load_model().set_params(n_jobs=w)

        def single() -> pd.DataFrame:
            return tag_frame(pd.read_parquet(parts), model=model)[cols]

        def joblib_jobs() -> pd.DataFrame:
            return tag_frame(pd.read_parquet(parts), model=model_jobs)[cols]

        def on_dask() -> pd.DataFrame:
            return tag_dataframe(dd.read_parquet(str(parts)))[cols].compute()

        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
            ) as cluster,
            Client(cluster),
        ):
            t_start = time.perf_counter() - t0
            on_dask()  # warm-up: workers import the library and load the model once
            t_single: list[float] = []
            t_dask: list[float] = []
            t_jobs: list[float] = []
            failed: list[str] = []
            for _ in range(args.repeats):  # interleaved, so other load on the machine hits all alike
                t_single += timed(single, 1)[0]
                times, out = timed(on_dask, 1)
                t_dask += times
                if not failed:
                    try:
                        t_jobs += timed(joblib_jobs, 1)[0]
                    except Exception as exc:  # the joblib path must pickle the model's scorer
                        failed.append(
                            f"one process, `n_jobs={w}` (joblib): failed, {type(exc).__name__}: {str(exc)[:60]}"
                        )
                print(f"single {t_single[-1]:.1f}s dask {t_dask[-1]:.1f}s", file=sys.stderr)
        ref = single()
        same = out["labels"].tolist() == ref["labels"].tolist()  # type: ignore[index]
        load_after = os.getloadavg()[0]
        rows = [("one process (pandas `tag_frame`)", t_single)]
        if t_jobs:
            rows.append((f"one process, `n_jobs={w}` (joblib)", t_jobs))
        rows.append((f"Dask LocalCluster, {w} worker processes x 1 thread", t_dask))

    base = statistics.median(t_single)
    lines = [
        f"Tagging {n:,} articles (the corpus cycled; {args.files} Parquet files; read, tag, collect id + "
        f"labels + scores), median of {args.repeats} interleaved runs (min-max), after one warm-up run. "
        f"Cluster start-up: {t_start:.1f}s, not included. "
        f"Load average (1 min) before/after: {load_before:.1f}/{load_after:.1f} on {os.cpu_count()} cores. "
        f"Dask result identical to the one-process result: {'yes' if same else 'NO'}.",
        "",
        "| configuration | seconds | articles/s | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for name, times in rows:
        med = statistics.median(times)
        lines.append(f"| {name} | {med:.2f} ({min(times):.2f}-{max(times):.2f}) | {n / med:,.0f} | {base / med:.2f}x |")
    lines += [f"| {note} | - | - | - |" for note in failed]
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, customs-topics {__version__}, "
        f"dask {dask.__version__}, pandas {pd.__version__}. "
        "Run: `python benchmarks/dask_scaling.py`.",
    ]
    body = "## Dask scaling\n\n" + "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("dask", body)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
