"""The ``customs-topics`` command line: tag, train, evaluate, taxonomy.

Every subcommand reads plain files or standard input and writes JSON Lines or
a table to standard output; diagnostics go to standard error. Exit codes:
0 success, 1 finished but some input records were bad (``--on-error
skip/report``), 2 failure (bad input, bad usage, unreadable model).

Example::

    customs-topics tag seeds/wco_news_digest.txt
    cat news.jsonl | customs-topics tag - --explain > tagged.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from . import __version__
from .articles import FORMATS, Article, iter_records
from .errors import CustomsTopicsError, InputError

log = logging.getLogger("customs_topics")

EXIT_OK, EXIT_PARTIAL, EXIT_FAIL = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_FAIL, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def _thresholds(values: Sequence[str] | None) -> dict[str, float] | None:
    if not values:
        return None
    out = {}
    for value in values:
        label, sep, number = value.partition("=")
        try:
            out[label] = float(number)
        except ValueError:
            sep = ""
        if not sep or not label:
            raise InputError(f"--threshold expects THEME=NUMBER, got {value!r}")
    return out


def _batches(records: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cmd_tag(args: argparse.Namespace, out: IO[str]) -> int:
    from .persistence import load_model

    model = load_model(args.model)
    thresholds = _thresholds(args.threshold)
    model._threshold_array(thresholds)  # validate theme names before reading input
    source: Any = sys.stdin.buffer if args.input == "-" else args.input
    bad = 0
    records = iter_records(source, args.format, max_chars=args.max_chars)
    for batch in _batches(records, args.batch_size):
        good = [r for r in batch if isinstance(r, Article)]
        tags = iter(model.tag(good, thresholds=thresholds, explain=args.explain) if good else [])
        lines = []
        for record in batch:
            if isinstance(record, Article):
                lines.append(json.dumps(next(tags).to_dict(), ensure_ascii=False))
                continue
            bad += 1
            if args.on_error == "fail":
                out.write("".join(line + "\n" for line in lines))
                raise record
            print(f"customs-topics: skipped {record}", file=sys.stderr)
            if args.on_error == "report":
                lines.append(json.dumps({"error": record.reason, "line": record.line, "field": record.field}))
        out.write("".join(line + "\n" for line in lines))
        out.flush()
    if bad:
        print(f"customs-topics: {bad} bad record(s) not tagged", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _print_report(report: dict[str, Any], title: str, as_json: bool, out: IO[str]) -> None:
    from .evaluation import format_scores

    if as_json:
        out.write(json.dumps({k: v for k, v in report.items() if k not in ("predictions", "folds")}) + "\n")
    else:
        out.write(format_scores(report, title) + "\n")


def _progress(args: argparse.Namespace, what: str) -> Any:
    if args.quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r{what}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _cmd_train(args: argparse.Namespace, out: IO[str]) -> int:
    from .corpus import bundled_corpus, load_labelled
    from .persistence import save_model
    from .taxonomy import load_taxonomy
    from .trainer import train

    taxonomy = load_taxonomy(args.taxonomy)
    data: list[Article] = bundled_corpus(taxonomy) if args.with_bundled_corpus else []
    for path in args.data or []:
        data.extend(load_labelled(path, taxonomy))
    if not data:
        raise InputError("no training data: give --data FILE.jsonl (and/or --with-bundled-corpus)")
    params = {} if args.C is None else {"C": args.C}
    model = train(data, taxonomy, cv_folds=args.folds, progress=_progress(args, "cross-validation"), **params)
    files = (["bundled corpus"] if args.with_bundled_corpus else []) + list(args.data or [])
    model.info_["data_files"] = files  # type: ignore[attr-defined]
    save_model(model, args.out)
    if "cv" in model.info_:  # type: ignore[attr-defined]
        _print_report(model.info_["cv"], f"{args.folds}-fold grouped cross-validation", args.json, out)  # type: ignore[attr-defined]
    print(f"customs-topics: model saved to {args.out}", file=sys.stderr)
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace, out: IO[str]) -> int:
    from .corpus import bundled_corpus, load_labelled
    from .model import TopicClassifier
    from .persistence import load_model
    from .taxonomy import load_taxonomy
    from .trainer import cross_validate, evaluate

    if args.test:
        model = load_model(args.model)
        articles = load_labelled(args.test, model.taxonomy_)  # type: ignore[attr-defined]
        _print_report(evaluate(model, articles), f"model {args.model or '(bundled)'} on {args.test}", args.json, out)
        return EXIT_OK
    taxonomy = load_taxonomy(args.taxonomy)
    data = bundled_corpus(taxonomy) if not args.data else []
    for path in args.data or []:
        data.extend(load_labelled(path, taxonomy))
    report = cross_validate(
        TopicClassifier(themes=list(taxonomy.ids), **({} if args.C is None else {"C": args.C})),
        data,
        args.folds,
        progress=_progress(args, "cross-validation"),
    )
    where = ", ".join(args.data) if args.data else "the bundled corpus"
    _print_report(report, f"{args.folds}-fold grouped cross-validation on {where}", args.json, out)
    return EXIT_OK


def _cmd_taxonomy(args: argparse.Namespace, out: IO[str]) -> int:
    from .taxonomy import load_taxonomy

    tax = load_taxonomy(args.taxonomy)
    if args.json:
        out.write(json.dumps(tax.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(f"{tax.name} taxonomy v{tax.version}: {len(tax)} themes\n")
    for theme in tax.themes:
        out.write(f"\n{theme.id} - {theme.name}\n  {theme.definition}\n")
        for item in theme.includes:
            out.write(f"  + {item}\n")
        for item in theme.excludes:
            out.write(f"  - {item}\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="customs-topics", description="Tag customs and trade news with themes.")
    parser.add_argument("--version", action="version", version=f"customs-topics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    tag = sub.add_parser(
        "tag",
        help="tag articles, one JSON object per article on stdout",
        description="Tag articles from FILE (or stdin) and write JSON Lines: "
        '{"id", "title", "labels", "scores"} per article, in input order.',
    )
    tag.add_argument("input", nargs="?", default="-", metavar="FILE", help="article file, or - for stdin (default)")
    tag.add_argument("--format", choices=FORMATS, help="input format (default: detect from name and content)")
    tag.add_argument("--model", metavar="DIR", help="model directory (default: the bundled model)")
    tag.add_argument(
        "--explain",
        nargs="?",
        const=3,
        default=0,
        type=int,
        metavar="K",
        help="add the top K terms (default 3) and deciding sentence per label",
    )
    tag.add_argument("--threshold", action="append", metavar="THEME=P", help="override a theme's threshold")
    tag.add_argument(
        "--on-error",
        choices=("fail", "skip", "report"),
        default="fail",
        help="bad records: stop (fail, exit 2), skip them and exit 1 (skip), or also "
        "emit an error object in their place (report)",
    )
    tag.add_argument("--batch-size", type=int, default=1000, metavar="N", help="articles tagged per batch")
    tag.add_argument(
        "--max-chars", type=int, default=5_000_000, metavar="N", help="truncate longer articles (with a warning)"
    )
    tag.add_argument("--quiet", action="store_true", help="no progress output")
    tag.set_defaults(func=_cmd_tag)

    tr = sub.add_parser(
        "train",
        help="train a model on labelled JSON Lines",
        description="Cross-validate, fit and save a model (with its model card).",
    )
    tr.add_argument("--data", action="append", metavar="FILE.jsonl", help="labelled data (repeatable)")
    tr.add_argument("--with-bundled-corpus", action="store_true", help="also train on the bundled corpus")
    tr.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON (default: built-in)")
    tr.add_argument("--out", required=True, metavar="DIR", help="directory to write the model to")
    tr.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (0: skip)")
    tr.add_argument("--C", type=float, help="inverse regularisation strength (default: the library's)")
    tr.add_argument("--json", action="store_true", help="print the CV report as JSON")
    tr.add_argument("--quiet", action="store_true", help="no progress output")
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser(
        "evaluate",
        help="cross-validate on labelled data, or score a model on a test file",
        description="Without --test: grouped K-fold cross-validation of the training recipe "
        "on --data (default: the bundled corpus). With --test: score --model on that file.",
    )
    ev.add_argument("--data", action="append", metavar="FILE.jsonl", help="labelled data (repeatable)")
    ev.add_argument("--test", metavar="FILE.jsonl", help="held-out labelled file to score --model on")
    ev.add_argument("--model", metavar="DIR", help="model for --test (default: bundled)")
    ev.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON (default: built-in)")
    ev.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds")
    ev.add_argument("--C", type=float, help="inverse regularisation strength (default: the library's)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--quiet", action="store_true", help="no progress output")
    ev.set_defaults(func=_cmd_evaluate)

    tx = sub.add_parser("taxonomy", help="print the taxonomy", description="Print the theme taxonomy.")
    tx.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON (default: built-in)")
    tx.add_argument("--json", action="store_true", help="print as JSON")
    tx.set_defaults(func=_cmd_taxonomy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``customs-topics`` command."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="customs-topics: %(message)s", stream=sys.stderr)
    out = sys.stdout
    try:
        return int(args.func(args, out))
    except CustomsTopicsError as exc:
        print(f"customs-topics: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("customs-topics: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        print(f"customs-topics: error: {exc}", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
