"""Reader throughput: the readers/ package against the articles.py it replaced, in the same run.

Run:  python benchmarks/readers.py [--records 100000] [--tag-records 20000] [--repeats 3]
Writes the "Readers" section of benchmarks/RESULTS.md and prints it.

Baselines, all measured in this process on the same files:

* ``before``: ``customs_topics/articles.py`` and ``cli.py`` as they were
  before the readers rewrite (commit ``BASELINE_REF``, read with ``git show``;
  ``--baseline-ref`` picks another), loaded next to the new code, so
  "new / before" is a like-for-like ratio (> 1 is faster).
* ``json.loads`` of every line (the floor for a JSON Lines reader) and
  ``csv.reader`` of every row (the floor for CSV).

Records are the bundled corpus's articles repeated with fresh ids, so the
sizes are those of real customs news summaries.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import write_section  # noqa: E402

import customs_topics  # noqa: E402,F401
from customs_topics import articles as new_articles  # noqa: E402
from customs_topics import cli as new_cli  # noqa: E402
from customs_topics.corpus import bundled_corpus  # noqa: E402

#: The last commit before the issue-10 reader rewrite (the HTML reader had just moved to readers/html.py).
BASELINE_REF = "9c7a13c"


def _old(ref: str, module: str, replace: dict[str, Any] | None = None) -> types.ModuleType:
    """``customs_topics/<module>.py`` at commit ``ref``, loaded as ``customs_topics._before_<module>``."""
    source = subprocess.run(
        ["git", "show", f"{ref}:customs_topics/{module}.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    mod = types.ModuleType(f"customs_topics._before_{module}")
    mod.__package__ = "customs_topics"
    sys.modules[mod.__name__] = mod
    exec(compile(source, f"{ref}:customs_topics/{module}.py", "exec"), mod.__dict__)
    mod.__dict__.update(replace or {})
    return mod


def best(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best wall time of each function; the functions take turns, so load changes hit them alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():  # warm up: caches, the model's lazily built scorer, the file in the page cache
        fn()
    for _ in range(repeats):
        for key, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t)
    return {k: min(v) for k, v in times.items()}


def rates(n: int, fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    return {k: n / t for k, t in best(fns, repeats).items()}


def write_inputs(workdir: Path, n: int, n_text: int) -> dict[str, Path]:
    corpus = bundled_corpus()
    rows = [
        {"id": f"r{i}", "title": a.title, "body": a.body, "url": f"https://news.example.org/{i}"}
        for i, a in ((i, corpus[i % len(corpus)]) for i in range(n))
    ]
    paths = {"jsonl": workdir / "news.jsonl", "csv": workdir / "news.csv", "text": workdir / "texts"}
    with open(paths["jsonl"], "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    with open(paths["csv"], "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "title", "body", "url"])
        writer.writeheader()
        writer.writerows(rows)
    paths["text"].mkdir()
    for i in range(n_text):
        a = corpus[i % len(corpus)]
        (paths["text"] / f"{i:05d}.txt").write_text(f"{a.title}\n\n{a.body}\n", "utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--tag-records", type=int, default=20_000)
    parser.add_argument("--text-files", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git commit of the code to compare with")
    args = parser.parse_args(argv)

    old_articles = _old(args.baseline_ref, "articles")
    # For `tag`, the old reader must build the Article class the model accepts (same fields plus `source`).
    tag_articles = _old(args.baseline_ref, "articles", {"Article": new_articles.Article})
    old_cli = _old(
        args.baseline_ref, "cli", {"iter_records": tag_articles.iter_records, "Article": new_articles.Article}
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_inputs(Path(tmp), args.records, args.text_files)
        n, r = args.records, args.repeats

        def count(it: Any) -> int:
            return sum(1 for _ in it)

        def json_floor() -> None:
            with open(paths["jsonl"], "rb") as fh:
                for line in fh:
                    json.loads(line)

        def csv_floor() -> None:
            with open(paths["csv"], encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                for row in reader:
                    dict(zip(header, row))

        jsonl, csv_path, text_dir = paths["jsonl"], paths["csv"], paths["text"]
        results["JSON Lines"] = rates(
            n,
            {
                "new": lambda: count(new_articles.iter_records(jsonl)),
                "before": lambda: count(old_articles.iter_records(jsonl)),
                "floor": json_floor,
            },
            r,
        )
        results["CSV"] = rates(n, {"new": lambda: count(new_articles.iter_records(csv_path)), "floor": csv_floor}, r)
        files = sorted(text_dir.iterdir())
        results["text files"] = rates(
            len(files),
            {
                "new": lambda: count(new_articles.iter_inputs([text_dir])),
                "before": lambda: sum(len(old_articles.read_articles(p)) for p in files),
            },
            r,
        )

        # `tag` end to end on JSON Lines, in-process (bundled model loaded once, output to /dev/null).
        small = Path(tmp) / "tag.jsonl"
        with open(paths["jsonl"], encoding="utf-8") as src, open(small, "w", encoding="utf-8") as dst:
            for _, line in zip(range(args.tag_records), src):
                dst.write(line)
        from customs_topics import persistence

        model = persistence.load_model()
        saved = persistence.load_model
        persistence.load_model = lambda path=None: model  # type: ignore[assignment]

        def run_tag(cli: types.ModuleType) -> None:
            with open(os.devnull, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
                assert cli.main(["tag", str(small)]) == 0

        try:
            results["`tag` on JSON Lines (read + tag + write)"] = rates(
                args.tag_records, {"new": lambda: run_tag(new_cli), "before": lambda: run_tag(old_cli)}, r
            )
        finally:
            persistence.load_model = saved  # type: ignore[assignment]

    lines = [
        f"Measured by `python benchmarks/readers.py --records {args.records} --tag-records {args.tag_records} "
        f"--text-files {args.text_files} --repeats {args.repeats}` (Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, best of {args.repeats} runs taken in turns; other jobs were sharing the "
        "machine, so compare the ratios, not the absolute rates). "
        f"`before` is `articles.py`/`cli.py` at commit {args.baseline_ref} (before the readers rewrite) loaded in "
        "the same process; the floor is `json.loads` or `csv.reader` alone.",
        "",
        "| input | new (records/s) | before (records/s) | new / before | floor (records/s) | new / floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for what, m in results.items():
        main_rate = f"{m['before']:,.0f}" if "before" in m else "—"
        ratio = f"{m['new'] / m['before']:.2f}" if "before" in m else "—"
        floor = f"{m['floor']:,.0f}" if "floor" in m else "—"
        vs_floor = f"{m['new'] / m['floor']:.2f}" if "floor" in m else "—"
        lines.append(f"| {what} | {m['new']:,.0f} | {main_rate} | {ratio} | {floor} | {vs_floor} |")
    lines += [
        "",
        "What the rows measure: JSON Lines and CSV are `iter_records` over one file of the bundled corpus's "
        "articles (with a `url` field); text files is `iter_inputs` on a directory of one-article `.txt` files "
        "(directory walk, binary sniffing, detection) against the old `read_articles` on each file; the `tag` row is "
        "the whole command in-process with the bundled model loaded once, new `cli.py` against the old one, "
        "output to /dev/null.",
    ]
    body = "## Readers\n\n" + "\n".join(lines) + "\n"
    print(body)
    write_section("readers", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
