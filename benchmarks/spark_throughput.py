"""Spark throughput benchmark: tagging N articles from Parquet files in one process,
on a Dask LocalCluster and on Spark ``local[W]``, on this machine.

Run:  python benchmarks/spark_throughput.py [--articles 100000] [--files 20] [--workers 2] [--repeats 3]
Needs the [spark] and [dask] extras and Java. Writes the "spark" section of
benchmarks/RESULTS.md and prints it.

The articles cycle the bundled corpus (seeds/corpus/train.jsonl, the same
files as benchmarks/dask_scaling.py writes). Every configuration reads the
same Parquet files, tags every article with the bundled model and brings id,
labels and scores back to the calling process as a pandas DataFrame (the same
end state), the three interleaved so that other load on the machine hits all
of them alike; after one warm-up run each (workers import the library and
load the model once per process):

* one process: ``pandas.read_parquet`` + ``customs_topics.frame.tag_frame``;
* Dask: ``dask.dataframe.read_parquet`` + ``customs_topics.dask.tag_dataframe``
  + ``.compute()`` on a LocalCluster of W single-threaded worker processes;
* Spark: ``spark.read.parquet`` + ``customs_topics.spark.tag_dataframe``
  + ``.toPandas()`` (Arrow) on ``local[W]`` (W Python workers).

Start-up of the cluster and of the Spark session is timed separately and not
included. The result of each engine is compared with the one-process result.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_scaling import prepare, timed
from quality import write_section

from customs_topics import __version__


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only, do not update RESULTS.md")
    args = ap.parse_args(argv)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import dask
    import dask.dataframe as dd
    import pandas as pd
    import pyspark
    from dask.distributed import Client, LocalCluster
    from pyspark.sql import SparkSession

    from customs_topics.dask import tag_dataframe as dask_tag
    from customs_topics.frame import tag_frame
    from customs_topics.spark import tag_dataframe as spark_tag

    n, w = args.articles, args.workers
    with tempfile.TemporaryDirectory() as tmp:
        parts = Path(tmp)
        model, cols = prepare(parts, n, args.files)

        def single() -> pd.DataFrame:
            return tag_frame(pd.read_parquet(parts), model=model)[cols]

        def on_dask() -> pd.DataFrame:
            return dask_tag(dd.read_parquet(str(parts)))[cols].compute()

        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        spark = (
            SparkSession.builder.master(f"local[{w}]")
            .appName("customs-topics-benchmark")
            .config("spark.pyspark.python", sys.executable)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        t_spark_start = time.perf_counter() - t0

        def on_spark() -> pd.DataFrame:
            return spark_tag(spark.read.parquet(str(parts)), verify_workers=False).select(*cols).toPandas()

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
            ) as cluster,
            Client(cluster),
        ):
            t_dask_start = time.perf_counter() - t0
            on_dask()  # warm-up: workers import the library and load the model once
            on_spark()
            times: dict[str, list[float]] = {"single": [], "dask": [], "spark": []}
            outs: dict[str, pd.DataFrame] = {}
            for _ in range(args.repeats):  # interleaved, so other load on the machine hits all alike
                for name, fn in (("single", single), ("dask", on_dask), ("spark", on_spark)):
                    took, outs[name] = timed(fn, 1)  # type: ignore[assignment]
                    times[name] += took
                print(" ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), file=sys.stderr)
        spark.stop()
        load_after = os.getloadavg()[0]

    ref = outs["single"].sort_values("id").reset_index(drop=True)
    same = {}
    for name in ("dask", "spark"):
        got = outs[name].sort_values("id").reset_index(drop=True)
        same[name] = got["labels"].map(list).tolist() == ref["labels"].tolist() and bool(
            (got[cols[2:]].to_numpy() == ref[cols[2:]].to_numpy()).all()
        )
    base = statistics.median(times["single"])
    rows = [
        ("one process (pandas `tag_frame`)", times["single"]),
        (f"Dask LocalCluster, {w} worker processes x 1 thread", times["dask"]),
        (f"Spark `local[{w}]` (`mapInPandas`, {w} Python workers)", times["spark"]),
    ]
    lines = [
        f"Tagging {n:,} articles (the corpus cycled; {args.files} Parquet files; read, tag, bring id + labels + "
        f"scores back as a pandas DataFrame), median of {args.repeats} interleaved runs (min-max), after one "
        f"warm-up run each. Start-up not included: Spark session {t_spark_start:.1f}s, Dask cluster "
        f"{t_dask_start:.1f}s. Load average (1 min) before/after: {load_before:.1f}/{load_after:.1f} on "
        f"{os.cpu_count()} cores (other jobs were running on the machine when the load is above ~2). "
        f"Labels and scores identical to the one-process result: Dask {'yes' if same['dask'] else 'NO'}, "
        f"Spark {'yes' if same['spark'] else 'NO'}.",
        "",
        "| configuration | seconds | articles/s | vs one process |",
        "|---|---:|---:|---:|",
    ]
    for name, ts in rows:
        med = statistics.median(ts)
        lines.append(f"| {name} | {med:.2f} ({min(ts):.2f}-{max(ts):.2f}) | {n / med:,.0f} | {base / med:.2f}x |")
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, customs-topics {__version__}, "
        f"pyspark {pyspark.__version__}, dask {dask.__version__}, pandas {pd.__version__}, "
        f"Java {_java_version()}. Run: `python benchmarks/spark_throughput.py`.",
    ]
    body = "## Spark throughput\n\n" + "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("spark", body)
    return 0 if all(same.values()) else 1


def _java_version() -> str:
    import subprocess

    proc = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    first = (proc.stderr or proc.stdout).splitlines()[:1]
    return first[0].split('"')[1] if first and '"' in first[0] else "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
