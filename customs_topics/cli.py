"""The ``customs-topics`` command line: tag, train, evaluate, suggest, taxonomy.

Every subcommand reads plain files or standard input and writes JSON Lines or
a table to standard output; diagnostics go to standard error. Exit codes:
0 success, 1 finished but some input records were bad (``--on-error
skip/report``), 2 failure (bad input, bad usage, unreadable model).

``customs-topics`` with no arguments prints this help (exit 0).

Example::

    customs-topics tag seeds/wco_news_digest.txt
    customs-topics tag pages/ news.csv --text-field content > tagged.jsonl
    cat news.jsonl | customs-topics tag - --explain > tagged.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from . import __version__
from .articles import FORMATS, MAX_ARTICLE_CHARS, Article, iter_inputs
from .errors import CustomsTopicsError, InputError

log = logging.getLogger("customs_topics")

EXIT_OK, EXIT_PARTIAL, EXIT_FAIL = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, like every other error the command prints.
        self.exit(EXIT_FAIL, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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


def _json_line(obj: dict[str, Any]) -> str:
    """One JSON Lines row; text that cannot be UTF-8 (lone surrogates) is written as \\u escapes."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj, ensure_ascii=True)
    return line + "\n"


def _error_row(error: CustomsTopicsError) -> dict[str, Any]:
    """The ``--on-error=report`` row written in place of a bad record or an unreadable file."""
    return {
        "id": getattr(error, "record_id", None),
        "source": error.source,
        "line": error.line,
        "field": error.field,
        "error": error.reason,
    }


#: Fields ``tag`` adds to each row; an input field of the same name is kept and the added one prefixed.
_ADDED = ("source", "labels", "scores", "explanation")
_ADDED_SET = frozenset(_ADDED)


def _output_row(article: Article, tag: Any, prefix: str | None) -> dict[str, Any]:
    """One ``tag`` output row: id, source, title, the input's own fields, then the predictions.

    Input fields (JSON Lines keys, CSV columns, gold ``labels``) keep their
    names. The prediction fields (labels, scores, explanation) are all written
    as ``PREFIX + name`` when ``--prefix`` is given, or with prefix ``pred_``
    when the record has a field of one of those names; ``source`` gets the
    prefix only when the record has its own ``source``.
    """
    if prefix is None and article.labels is None and not article.meta.keys() & _ADDED_SET:  # the common case
        row = {"id": article.id, "source": article.source, "title": article.title, **article.meta}
        row["labels"], row["scores"] = tag.labels, tag.scores
        if tag.explanation is not None:
            row["explanation"] = tag.explanation
        return row
    given: dict[str, Any] = dict(article.meta)
    if article.labels is not None:
        given["labels"] = list(article.labels)
    added: dict[str, Any] = {"source": article.source, "labels": tag.labels, "scores": tag.scores}
    if tag.explanation is not None:
        added["explanation"] = tag.explanation
    predicted = prefix is not None or any(key in given for key in _ADDED[1:])
    names = {k: (prefix or "pred_") + k if k in given or (predicted and k != "source") else k for k in added}
    row: dict[str, Any] = {"id": article.id}
    row[names["source"]] = added.pop("source")
    row["title"] = article.title
    row.update(given)
    for key, value in added.items():
        row[names[key]] = value
    return row


class _Progress:
    """A one-line ``\\r``-refreshed counter on stderr, only when stderr is a terminal."""

    #: The counter on screen now, closed before a log line is printed (see :class:`_LogHandler`).
    active: _Progress | None = None

    def __init__(self, args: argparse.Namespace, what: str) -> None:
        self.what = what
        self.on = not getattr(args, "quiet", False) and _stderr_is_tty()
        self.shown = False

    def update(self, done: int, total: int | None = None) -> None:
        if self.on:
            text = f"{done}/{total}" if total is not None else str(done)
            print(f"\r{self.what}: {text}", end="", file=sys.stderr, flush=True)
            self.shown = True
            _Progress.active = self

    def close(self) -> None:
        if self.shown:
            print(file=sys.stderr, flush=True)
            self.shown = False
        if _Progress.active is self:
            _Progress.active = None


class _LogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr that end a progress line first instead of writing into it."""

    def emit(self, record: logging.LogRecord) -> None:
        if _Progress.active is not None:
            _Progress.active.close()
        super().emit(record)


def _stderr_is_tty() -> bool:
    return _is_tty(sys.stderr)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _cmd_tag(args: argparse.Namespace, out: IO[str]) -> int:
    """Tag records batch by batch, in input order, file after file.

    ``--on-error``: ``fail`` writes every record before the first bad one (or
    unreadable file), then stops (exit 2); ``skip`` leaves bad records and
    files out and reports each on stderr (exit 1); ``report`` writes an error
    row in place of each (exit 1), so output row N is input record N.
    """
    from .persistence import load_model

    model = load_model(args.model)
    thresholds = _thresholds(args.threshold)
    model._threshold_array(thresholds)  # validate theme names before reading input
    inputs = args.inputs or ["-"]
    if "-" in inputs and not args.quiet and _is_tty(sys.stdin):
        print("customs-topics: reading articles from stdin (Ctrl-D to end)", file=sys.stderr, flush=True)
    explain = args.explain_terms if args.explain_terms is not None else (3 if args.explain else 0)
    bad = files = done = 0
    progress = _Progress(args, "customs-topics: tagged")
    records = iter_inputs(
        inputs,
        args.format,
        max_chars=args.max_chars,
        title_field=args.title_field,
        text_field=args.text_field,
        id_field=args.id_field,
    )

    def rows(articles: list[Article]) -> list[str]:
        tags = model.tag(articles, thresholds=thresholds, explain=explain) if articles else []
        return [_json_line(_output_row(a, t, args.prefix)) for a, t in zip(articles, tags)]

    try:
        for batch in _batches(records, args.batch_size):
            if args.on_error == "fail":
                # Stop at the first bad record: tag and write only what comes before it.
                first_bad = next((i for i, r in enumerate(batch) if not isinstance(r, Article)), None)
                if first_bad is not None:
                    out.writelines(rows(batch[:first_bad]))
                    out.flush()
                    progress.close()
                    raise batch[first_bad]
            good = [r for r in batch if isinstance(r, Article)]
            tagged = iter(rows(good))
            lines = []
            for record in batch:
                if isinstance(record, Article):
                    lines.append(next(tagged))
                    continue
                progress.close()
                if getattr(record, "whole_file", False):
                    files += 1
                    print(f"customs-topics: skipped file: {record}", file=sys.stderr)
                else:
                    bad += 1
                    print(f"customs-topics: bad record: {record}", file=sys.stderr)
                if args.on_error == "report":
                    lines.append(_json_line(_error_row(record)))
            out.writelines(lines)
            out.flush()
            done += len(good)
            progress.update(done)
    finally:
        progress.close()
    if bad or files:
        what = "reported in place" if args.on_error == "report" else "skipped"
        counts = [f"{bad} bad record(s)"] if bad else []
        counts += [f"{files} unreadable file(s)"] if files else []
        print(f"customs-topics: {' and '.join(counts)} {what}, {done} tagged", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _print_report(report: dict[str, Any], title: str, as_json: bool, out: IO[str]) -> None:
    from .evaluation import format_scores

    if as_json:
        out.write(json.dumps({k: v for k, v in report.items() if k not in ("predictions", "folds")}) + "\n")
    else:
        out.write(format_scores(report, title) + "\n")


def _progress(args: argparse.Namespace, what: str) -> Any:
    """A ``progress(done, total)`` callback for the trainer, or None off a terminal / with --quiet."""
    bar = _Progress(args, f"customs-topics: {what}")
    if not bar.on:
        return None

    def show(done: int, total: int) -> None:
        bar.update(done, total)
        if done >= total:
            bar.close()

    return show


def _status(args: argparse.Namespace, message: str) -> None:
    """A progress message on a terminal (not with --quiet, not when stderr is redirected)."""
    if not args.quiet and _stderr_is_tty():
        print(f"customs-topics: {message}", file=sys.stderr, flush=True)


def _training_params(args: argparse.Namespace) -> dict[str, Any]:
    """TopicClassifier parameters given on the command line (``--C``)."""
    return {} if args.C is None else {"C": args.C}


def _load_training(args: argparse.Namespace, taxonomy: Any, bundled: bool, folds: int) -> list[Article]:
    """``--data`` (+ the bundled corpus) checked for enough examples, in terms of the options given."""
    from .corpus import training_data_sources
    from .model import TopicClassifier
    from .trainer import check_examples

    data, sources = training_data_sources(args.data or [], taxonomy, bundled=bundled)
    if not data:
        raise InputError("no training data: give --data FILE.jsonl (and/or --with-bundled-corpus)")
    check_examples(
        data,
        list(taxonomy.ids),
        cv_folds=folds,
        threshold_folds=TopicClassifier(**_training_params(args)).threshold_folds,
        sources=sources,
        bundled=bundled,
        folds_option="--folds",
        bundled_option="--with-bundled-corpus",
    )
    return data


def _cmd_train(args: argparse.Namespace, out: IO[str]) -> int:
    from .persistence import save_model
    from .taxonomy import load_taxonomy
    from .trainer import train

    taxonomy = load_taxonomy(args.taxonomy)
    data = _load_training(args, taxonomy, args.with_bundled_corpus, args.folds)
    _status(
        args,
        f"training on {len(data)} articles" + (f" ({args.folds}-fold cross-validation first)" if args.folds else ""),
    )
    model = train(
        data, taxonomy, cv_folds=args.folds, progress=_progress(args, "cross-validation"), **_training_params(args)
    )
    files = (["bundled corpus"] if args.with_bundled_corpus else []) + list(args.data or [])
    model.info_["data_files"] = files  # type: ignore[attr-defined]
    _status(args, f"saving the model to {args.out}")
    save_model(model, args.out)
    if model.cv_report_ is not None:
        _print_report(model.cv_report_, f"{args.folds}-fold grouped cross-validation", args.json, out)
    print(f"customs-topics: model saved to {args.out}", file=sys.stderr)
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace, out: IO[str]) -> int:
    from .model import TopicClassifier
    from .taxonomy import load_taxonomy
    from .trainer import cross_validate

    if args.test:
        return _evaluate_test_file(args, out)
    if args.model:
        raise InputError("--model is for scoring a model on --test FILE; cross-validation trains its own models")
    taxonomy = load_taxonomy(args.taxonomy)
    bundled = args.with_bundled_corpus or not args.data
    data = _load_training(args, taxonomy, bundled, args.folds)
    report = cross_validate(
        TopicClassifier(themes=list(taxonomy.ids), **_training_params(args)),
        data,
        args.folds,
        progress=_progress(args, "cross-validation"),
    )
    where = " + ".join((["the bundled corpus"] if bundled else []) + list(args.data or []))
    _print_report(report, f"{args.folds}-fold grouped cross-validation on {where}", args.json, out)
    return EXIT_OK


def _evaluate_test_file(args: argparse.Namespace, out: IO[str]) -> int:
    """``evaluate --test FILE``: score a saved model on held-out labelled data."""
    from .corpus import NEW_THEME_HINT, load_labelled
    from .errors import DataError
    from .persistence import load_model
    from .trainer import evaluate

    given = (("--data", args.data), ("--with-bundled-corpus", args.with_bundled_corpus), ("--taxonomy", args.taxonomy))
    for option, value in given:
        if value:
            raise InputError(
                f"{option} is for cross-validation; --test scores --model with the taxonomy it was trained with"
            )
    model = load_model(args.model)
    try:
        articles = load_labelled(args.test, model.taxonomy_)  # type: ignore[attr-defined]
    except DataError as exc:
        if NEW_THEME_HINT not in exc.reason:
            raise
        hint = "the model was not trained with it: give --model DIR, a model trained with that theme"
        raise DataError(
            exc.reason.replace(NEW_THEME_HINT, hint), source=exc.source, line=exc.line, field=exc.field
        ) from None
    _status(args, f"scoring {len(articles)} articles")
    _print_report(evaluate(model, articles), f"model {args.model or '(bundled)'} on {args.test}", args.json, out)
    return EXIT_OK


def _cmd_suggest(args: argparse.Namespace, out: IO[str]) -> int:
    """The ``-n`` articles of the archive most worth labelling next for ``--theme``, as training-data JSON Lines."""
    from .persistence import load_model
    from .suggest import labelled_ids, read_archive, suggest, write_suggestions

    model = load_model(args.model)
    exclude = labelled_ids(args.exclude or [])
    sources = [sys.stdin.buffer if path == "-" else path for path in args.archive]
    _status(args, f"scoring the archive for {args.theme!r}")
    try:
        rows = suggest(
            read_archive(sources, args.format),
            args.theme,
            model=model,
            taxonomy=args.taxonomy,
            n=args.n,
            exclude=exclude,
            uncertain_share=args.uncertain_share,
        )
    except InputError as exc:
        if exc.field != "archive":
            raise
        raise InputError(exc.reason, source=", ".join(args.archive)) from None
    if args.out:
        write_suggestions(rows, args.out)
        print(f"customs-topics: {len(rows)} suggestion(s) for {args.theme!r} written to {args.out}", file=sys.stderr)
    else:
        out.writelines(_json_line(row) for row in rows)
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
    if tax.decisions:
        out.write("\nDecisions on recurring cases:\n")
        for item in tax.decisions:
            out.write(f"  * {item}\n")
    return EXIT_OK


def _positive(value: str) -> int:
    number = _non_negative(value)
    if number == 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value!r}")
    return number


_C_HELP = "inverse regularisation strength, a number > 0 (default: the library's; larger fits the data more closely)"


def _fold_count(allow_zero: bool) -> Any:
    """An argparse type for ``--folds``: 2 or more (or 0 to skip, when allowed)."""
    allowed = "0 (no cross-validation) or an integer from 2 up" if allow_zero else "an integer from 2 up"

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number >= 2 or (allow_zero and number == 0):
            return number
        raise argparse.ArgumentTypeError(f"expected {allowed}, got {value!r}")

    return parse


def _number_in(low: float, high: float, *, open_low: bool = False) -> Any:
    """An argparse type for a number from ``low`` to ``high`` (``open_low``: greater than ``low``)."""
    allowed = (
        f"a number greater than {low:g}" if open_low and high == float("inf") else f"a number from {low:g} to {high:g}"
    )

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if (low < number if open_low else low <= number) and number <= high and number != float("inf"):
            return number
        raise argparse.ArgumentTypeError(f"expected {allowed}, got {value!r}")

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="customs-topics", description="Tag customs and trade news with themes.")
    parser.add_argument("--version", action="version", version=f"customs-topics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    tag = sub.add_parser(
        "tag",
        help="tag articles, one JSON object per article on stdout",
        description="Tag the articles of each FILE (a file, a directory read recursively, or - for stdin; "
        'default stdin) and write JSON Lines, in input order: {"id", "source", "title", ...input fields, '
        '"labels", "scores"} per article.',
    )
    tag.add_argument(
        "inputs",
        nargs="*",
        metavar="FILE",
        help="article file, directory (its readable files, recursively, in sorted order) or - for stdin",
    )
    tag.add_argument(
        "--format",
        choices=FORMATS,
        help="input format of every FILE (default: detect from the extension and content; the choice is "
        "shown on a terminal)",
    )
    tag.add_argument("--model", metavar="DIR", help="model directory (default: the bundled model)")
    tag.add_argument("--explain", action="store_true", help="add the top terms and deciding sentence per label")
    tag.add_argument(
        "--explain-terms",
        type=_non_negative,
        metavar="K",
        help="with --explain: how many terms per label (default 3; implies --explain)",
    )
    tag.add_argument(
        "--title-field", metavar="NAME", help="JSON Lines field / CSV column holding the title (default: title)"
    )
    tag.add_argument(
        "--text-field", metavar="NAME", help="JSON Lines field / CSV column holding the text (default: body, else text)"
    )
    tag.add_argument("--id-field", metavar="NAME", help="JSON Lines field / CSV column holding the id (default: id)")
    tag.add_argument(
        "--prefix",
        metavar="P",
        help="write predictions as P+labels, P+scores, P+explanation (default: unprefixed, or pred_ for a "
        "field the input already has, such as gold labels)",
    )
    tag.add_argument("--threshold", action="append", metavar="THEME=P", help="override a theme's threshold")
    tag.add_argument(
        "--on-error",
        choices=("fail", "skip", "report"),
        default="fail",
        help="bad records and unreadable files: stop (fail, exit 2), skip them and exit 1 (skip), or also "
        "emit an error object in their place (report)",
    )
    tag.add_argument("--batch-size", type=_positive, default=1000, metavar="N", help="articles tagged per batch")
    tag.add_argument(
        "--max-chars",
        type=_positive,
        default=MAX_ARTICLE_CHARS,
        metavar="N",
        help=f"truncate articles longer than N characters, with a warning (default {MAX_ARTICLE_CHARS})",
    )
    tag.add_argument("--quiet", action="store_true", help="no progress line on a terminal (warnings still show)")
    tag.set_defaults(func=_cmd_tag)

    tr = sub.add_parser(
        "train",
        help="train a model on labelled JSON Lines",
        description="Cross-validate, fit and save a model (with its model card).",
    )
    tr.add_argument("--data", action="append", metavar="FILE.jsonl", help="labelled data (repeatable)")
    tr.add_argument(
        "--with-bundled-corpus",
        action="store_true",
        help="also train on the bundled corpus (a --data record with a bundled article's id relabels it)",
    )
    tr.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON (default: built-in)")
    tr.add_argument("--out", required=True, metavar="DIR", help="directory to write the model to")
    tr.add_argument(
        "--folds",
        type=_fold_count(allow_zero=True),
        default=5,
        metavar="K",
        help="cross-validation folds before fitting: 0 to skip, else 2 or more (default 5); "
        "every theme needs at least K examples",
    )
    tr.add_argument("--C", type=_number_in(0, float("inf"), open_low=True), metavar="C", help=_C_HELP)
    tr.add_argument("--json", action="store_true", help="print the CV report as JSON")
    tr.add_argument("--quiet", action="store_true", help="no progress output")
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser(
        "evaluate",
        help="cross-validate on labelled data, or score a model on a test file",
        description="Without --test: grouped K-fold cross-validation of the training recipe "
        "on --data (default: the bundled corpus; with --data, add --with-bundled-corpus to "
        "cross-validate on both, e.g. for an extended --taxonomy). With --test: score --model "
        "on that file; themes without examples in it are shown as n/a and left out of the macro average.",
    )
    ev.add_argument("--data", action="append", metavar="FILE.jsonl", help="labelled data (repeatable)")
    ev.add_argument(
        "--with-bundled-corpus",
        action="store_true",
        help="cross-validate on --data plus the bundled corpus (a --data record with a bundled id relabels it)",
    )
    ev.add_argument("--test", metavar="FILE.jsonl", help="held-out labelled file to score --model on")
    ev.add_argument("--model", metavar="DIR", help="model for --test (default: bundled)")
    ev.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON (default: built-in)")
    ev.add_argument(
        "--folds",
        type=_fold_count(allow_zero=False),
        default=5,
        metavar="K",
        help="cross-validation folds, 2 or more (default 5); every theme needs at least K examples",
    )
    ev.add_argument("--C", type=_number_in(0, float("inf"), open_low=True), metavar="C", help=_C_HELP)
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--quiet", action="store_true", help="no progress output")
    ev.set_defaults(func=_cmd_evaluate)

    sg = sub.add_parser(
        "suggest",
        help="pick the articles of an archive most worth labelling next for a theme",
        description="Score an unlabelled archive for --theme (a theme of --model, or a new one defined in "
        "--taxonomy) and write the -n articles most worth labelling next as training-data JSON Lines: "
        "likely positives and, for a theme the model knows, uncertain ones near its threshold, without "
        "near-duplicates. 'labels' holds the current labels or predictions for the other themes: add the "
        "theme to the articles that are about it, then train with the file as --data.",
    )
    sg.add_argument("archive", nargs="+", metavar="ARCHIVE", help="article files (any format tag reads; - for stdin)")
    sg.add_argument("--theme", required=True, help="theme to find examples of")
    sg.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON defining a new --theme")
    sg.add_argument("--model", metavar="DIR", help="model directory (default: the bundled model)")
    sg.add_argument("-n", type=_positive, default=20, metavar="N", help="articles to suggest (default 20)")
    sg.add_argument("--out", metavar="FILE", help="write the suggestions to FILE (atomically) instead of stdout")
    sg.add_argument(
        "--exclude",
        action="append",
        metavar="FILE.jsonl",
        help="labelled file whose ids are not suggested again (repeatable; e.g. the file you train on)",
    )
    sg.add_argument("--format", choices=FORMATS, help="archive format (default: detect from name and content)")
    sg.add_argument(
        "--uncertain-share",
        type=_number_in(0, 1),
        default=0.5,
        metavar="X",
        help="share of picks near the threshold, for a theme the model knows (0 to 1, default 0.5)",
    )
    sg.add_argument("--quiet", action="store_true", help="no progress output")
    sg.set_defaults(func=_cmd_suggest)

    tx = sub.add_parser("taxonomy", help="print the taxonomy", description="Print the theme taxonomy.")
    tx.add_argument("--taxonomy", metavar="FILE", help="taxonomy JSON (default: built-in)")
    tx.add_argument("--json", action="store_true", help="print as JSON")
    tx.set_defaults(func=_cmd_taxonomy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``customs-topics`` command.

    Never shows a traceback unless ``CUSTOMS_TOPICS_DEBUG`` is set: library
    errors print one ``customs-topics: error: ...`` line (exit 2); anything
    unexpected prints one ``internal error`` line (exit 2).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return EXIT_OK
    try:
        argv = _old_explain_spelling(argv)
    except InputError as exc:
        print(f"customs-topics: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    args = parser.parse_args(argv)
    handler = _LogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("customs-topics: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    if args.command == "tag" and not args.quiet and _stderr_is_tty():
        logging.getLogger("customs_topics").setLevel(logging.INFO)  # show the detected format of each input
    out = sys.stdout
    if hasattr(out, "reconfigure") and (out.encoding or "").lower().replace("-", "") != "utf8":
        with contextlib.suppress(OSError, ValueError):
            out.reconfigure(encoding="utf-8")  # JSON Lines are UTF-8 whatever the locale
    try:
        return int(args.func(args, out))
    except CustomsTopicsError as exc:
        print(f"customs-topics: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("customs-topics: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except MemoryError:
        print("customs-topics: error: out of memory (try a smaller --batch-size or --max-chars)", file=sys.stderr)
        return EXIT_FAIL
    except OSError as exc:
        print(f"customs-topics: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as exc:
        if os.environ.get("CUSTOMS_TOPICS_DEBUG"):
            raise
        print(
            f"customs-topics: internal error: {type(exc).__name__}: {exc} "
            "(please report it; set CUSTOMS_TOPICS_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_FAIL


def _old_explain_spelling(argv: list[str]) -> list[str]:
    """``--explain N`` (N an integer, not an existing file) was the old spelling of ``--explain --explain-terms N``."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        value = arg.partition("=")[2] if arg.startswith("--explain=") else None
        if value is None and arg == "--explain" and i + 1 < len(argv) and argv[i + 1].isdigit():
            value = argv[i + 1] if not os.path.exists(argv[i + 1]) else None
            i += value is not None
        if value is not None:
            if not value.isdigit():
                raise InputError(f"--explain takes no value; use --explain --explain-terms K, got {arg!r}")
            print(
                f"customs-topics: note: '--explain {value}' is now '--explain --explain-terms {value}'", file=sys.stderr
            )
            out += ["--explain", "--explain-terms", value]
        else:
            out.append(arg)
        i += 1
    return out


def _silence_stdout() -> None:
    """After a closed pipe (``... | head``), stop Python complaining when it flushes stdout at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
