"""Suggest benchmark: does labelling ``suggest``'s picks teach a new theme better
than labelling random articles, for the same labelling budget?

Run:  nice -n 10 python benchmarks/suggest.py [--seeds 3] [--budgets 20 40 80] [--no-write]
Writes the "Suggest" section of benchmarks/RESULTS.md and prints it.

Simulation, for each built-in theme T in turn, as if T were a new theme:

* The bundled corpus is split by news event (seeded): 30% of the events are
  the **test** set; the rest is halved (by event) into a stand-in for the
  **bundled corpus** B and the user's unlabelled **archive** A.
* B plays the corpus that was never labelled for T: its T articles are
  dropped and it counts as negatives for T, as the bundled corpus does for a
  theme a user adds. A keeps T's natural share, with T's labels hidden.
* ``suggest`` arm: batches of 20 are picked by :func:`customs_topics.suggest.suggest`
  — the first from T's definition and include notes in taxonomy.json (T is
  not in the model yet), each later one with the model retrained on B plus
  everything labelled so far (likely positives + uncertain ones), excluding
  what is already labelled, as a user running suggest again after a retrain.
* ``random`` arm: the same number of articles drawn at random from A.
* Labelling = revealing the picks' gold labels. A model for T
  (``TopicClassifier(themes=[T], threshold_folds=2)``) is trained on B + the
  labelled picks and T's F1 is measured on the test events. "all of A" is the
  ceiling: every archive article labelled.

Nothing is tuned on the test events.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import write_section

from customs_topics import Article, TopicClassifier, __version__, load_taxonomy
from customs_topics.corpus import bundled_corpus
from customs_topics.suggest import suggest

BATCH = 20


def split(articles: Sequence[Article], seed: int) -> tuple[list[Article], list[Article], list[Article]]:
    """(bundled stand-in, archive, test), grouped by event."""
    events = sorted({a.meta.get("event", a.id) for a in articles})
    random.Random(seed).shuffle(events)
    n_test = round(0.3 * len(events))
    test_ev = set(events[:n_test])
    rest = events[n_test:]
    bundled_ev = set(rest[: len(rest) // 2])
    parts: tuple[list[Article], list[Article], list[Article]] = ([], [], [])
    for a in articles:
        e = a.meta.get("event", a.id)
        parts[2 if e in test_ev else 0 if e in bundled_ev else 1].append(a)
    return parts


def fit(theme: str, data: Sequence[Article]) -> TopicClassifier | None:
    positives = sum(theme in (a.labels or ()) for a in data)
    if positives < 2:  # threshold tuning on 2 folds needs 2 examples: not trainable yet
        return None
    Y = [[theme] if theme in (a.labels or ()) else [] for a in data]
    return TopicClassifier(themes=[theme], threshold_folds=2).fit(list(data), Y)


def f1(model: TopicClassifier | None, theme: str, test: Sequence[Article]) -> float:
    if model is None:
        return 0.0
    pred = [theme in labels for labels in model.predict(list(test))]
    gold = [theme in (a.labels or ()) for a in test]
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def hide(articles: Sequence[Article], theme: str) -> list[Article]:
    return [Article(a.id, a.title, a.body, tuple(t for t in a.labels or () if t != theme), a.meta) for a in articles]


def thin(archive: list[Article], theme: str, prevalence: float, seed: int) -> list[Article]:
    """The archive with positives of ``theme`` dropped at random until they are ``prevalence`` of it."""
    pos = [a for a in archive if theme in (a.labels or ())]
    neg = [a for a in archive if theme not in (a.labels or ())]
    keep = max(3, round(prevalence * len(neg) / (1 - prevalence)))
    kept = {a.id for a in random.Random(2000 + seed).sample(pos, min(keep, len(pos)))}
    return [a for a in archive if a.id in kept or theme not in (a.labels or ())]


def run_theme(
    theme: str, seed: int, budgets: Sequence[int], corpus: Sequence[Article], prevalence: float | None = None
) -> dict[str, object]:
    bundled, archive, test = split(corpus, seed)
    if prevalence is not None:
        archive = thin(archive, theme, prevalence, seed)
    base = hide([a for a in bundled if theme not in (a.labels or ())], theme)
    gold = {a.id: a for a in archive}
    unlabelled = [Article(a.id, a.title, a.body, None, a.meta) for a in archive]
    others = [t for t in load_taxonomy().ids if t != theme]
    starter = TopicClassifier(themes=others, threshold_folds=2).fit(base)  # the model that lacks the theme
    tax = load_taxonomy()
    out: dict[str, object] = {"theme": theme, "seed": seed, "archive": len(archive)}
    out["archive_positives"] = sum(theme in (a.labels or ()) for a in archive)
    # suggest arm: rounds of BATCH, retraining between them
    labelled: list[Article] = []
    model: TopicClassifier | None = None
    t0 = time.perf_counter()
    suggest_time = 0.0
    for budget in range(BATCH, max(budgets) + 1, BATCH):
        s0 = time.perf_counter()
        rows = suggest(
            unlabelled,
            theme,
            model=model if model is not None else starter,
            taxonomy=tax,
            n=BATCH,
            exclude={a.id for a in labelled},
        )
        suggest_time += time.perf_counter() - s0
        labelled += [gold[r["id"]] for r in rows]
        model = fit(theme, base + labelled)
        if budget in budgets:
            out[f"suggest_{budget}"] = f1(model, theme, test)
            out[f"suggest_pos_{budget}"] = sum(theme in (a.labels or ()) for a in labelled)
    out["suggest_seconds"] = suggest_time / (max(budgets) // BATCH)
    order = list(archive)
    random.Random(1000 + seed).shuffle(order)
    for budget in budgets:
        picks = order[:budget]
        out[f"random_{budget}"] = f1(fit(theme, base + picks), theme, test)
        out[f"random_pos_{budget}"] = sum(theme in (a.labels or ()) for a in picks)
    out["all"] = f1(fit(theme, base + list(archive)), theme, test)
    out["seconds"] = time.perf_counter() - t0
    return out


def _bold(value: float, best: bool) -> str:
    return f"**{value:.3f}**" if best else f"{value:.3f}"


def table(results: list[dict[str, object]], budgets: Sequence[int], themes: Sequence[str]) -> str:
    def mean(theme: str | None, key: str) -> float:
        vals = [float(r[key]) for r in results if theme is None or r["theme"] == theme]  # type: ignore[arg-type]
        return statistics.mean(vals)

    head = ["theme"] + [f"{b} labels: suggest / random" for b in budgets] + ["all of A"]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for theme in [*themes, None]:
        cells = [f"`{theme}`" if theme else "*mean*"]
        for b in budgets:
            ours, rand = mean(theme, f"suggest_{b}"), mean(theme, f"random_{b}")
            cells.append(f"{_bold(ours, ours > rand)} / {_bold(rand, rand > ours)}")
        cells.append(f"{mean(theme, 'all'):.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Positives of the theme among the labelled articles (mean over seeds):", ""]
    head = ["theme", "archive size / positives"] + [f"{b}: suggest / random" for b in budgets]
    lines += ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for theme in themes:
        cells = [f"`{theme}`", f"{mean(theme, 'archive'):.0f} / {mean(theme, 'archive_positives'):.0f}"]
        for b in budgets:
            cells.append(f"{mean(theme, f'suggest_pos_{b}'):.1f} / {mean(theme, f'random_pos_{b}'):.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    wins = sum(float(r[f"suggest_{b}"]) > float(r[f"random_{b}"]) for r in results for b in budgets)  # type: ignore[arg-type]
    ties = sum(float(r[f"suggest_{b}"]) == float(r[f"random_{b}"]) for r in results for b in budgets)  # type: ignore[arg-type]
    lines += [
        "",
        f"suggest beat random in {wins} of {len(results) * len(budgets)} (theme, seed, budget) runs "
        f"({ties} ties). One suggest call on the ~{mean(None, 'archive'):.0f}-article archive took "
        f"{mean(None, 'suggest_seconds'):.2f} s on average.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", type=int, nargs="+", default=[20, 40, 80])
    parser.add_argument("--themes", nargs="+", default=list(load_taxonomy().ids))
    parser.add_argument(
        "--rare",
        type=float,
        default=0.05,
        metavar="P",
        help="also run with the theme thinned to this share of the archive (0: skip; default 0.05)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, do not update RESULTS.md")
    args = parser.parse_args(argv)
    if any(b % BATCH for b in args.budgets):
        parser.error(f"budgets must be multiples of {BATCH}")
    corpus = bundled_corpus()
    start = time.perf_counter()
    conditions: list[tuple[str, float | None]] = [("natural share", None)]
    if args.rare:
        conditions.append((f"rare: thinned to {args.rare:.0%} of the archive", args.rare))
    tables = []
    for name, prevalence in conditions:
        results = []
        for theme in args.themes:
            for seed in range(args.seeds):
                r = run_theme(theme, seed, args.budgets, corpus, prevalence)
                results.append(r)
                print(name, theme, seed, {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()})
        tables += [f"### The theme at its {name}" if prevalence is None else f"### The theme {name}", ""]
        tables += [table(results, args.budgets, args.themes), ""]
    body = "\n".join(
        [
            "## Suggest",
            "",
            f"_Generated by `python benchmarks/suggest.py` (customs-topics {__version__}, Python "
            f"{platform.python_version()}, {len(corpus)} corpus articles, {args.seeds} seeds, "
            f"{time.perf_counter() - start:.0f} s); do not edit by hand._",
            "",
            "Each built-in theme in turn plays a new theme: its labels are hidden in an archive of corpus "
            "articles (~35% of the events), a labelling budget is spent on `suggest`'s picks (batches of 20, "
            "retraining in between) or on random archive articles, a model is trained on a bundled-corpus "
            "stand-in (~35% of the events, the theme's articles removed, negatives for it) plus the labelled "
            "picks, and the theme's F1 is measured on the other 30% of the events (split by event, per seed). "
            "Mean F1 over seeds; the first table keeps the theme's share of the archive as in the corpus "
            "(20-40%), the second thins it to a few percent, as for a narrow new theme.",
            "",
            *tables,
        ]
    )
    print(body)
    if not args.no_write:
        write_section("suggest", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
