"""The subcommands: tag, train, evaluate, suggest, taxonomy (each ``args -> exit code``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import IO, Any

from ..articles import Article, iter_inputs
from ..errors import InputError
from .output import (
    EXIT_OK,
    EXIT_PARTIAL,
    _batches,
    _error_row,
    _is_tty,
    _json_line,
    _output_row,
    _print_report,
    _Progress,
    _progress,
    _status,
)

log = logging.getLogger("customs_topics")


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


def _cmd_tag(args: argparse.Namespace, out: IO[str]) -> int:
    """Tag records batch by batch, in input order, file after file.

    ``--on-error``: ``fail`` writes every record before the first bad one (or
    unreadable file), then stops (exit 2); ``skip`` leaves bad records and
    files out and reports each on stderr (exit 1); ``report`` writes an error
    row in place of each (exit 1), so output row N is input record N.
    """
    from ..persistence import load_model

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


def _training_params(args: argparse.Namespace) -> dict[str, Any]:
    """TopicClassifier parameters given on the command line (``--C``)."""
    return {} if args.C is None else {"C": args.C}


def _load_training(args: argparse.Namespace, taxonomy: Any, bundled: bool, folds: int) -> list[Article]:
    """``--data`` (+ the bundled corpus) checked for enough examples, in terms of the options given."""
    from ..corpus import training_data_sources
    from ..model import TopicClassifier
    from ..trainer import check_examples

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
    from ..persistence import save_model
    from ..taxonomy import load_taxonomy
    from ..trainer import train

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
    from ..model import TopicClassifier
    from ..taxonomy import load_taxonomy
    from ..trainer import cross_validate

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
    from ..corpus import NEW_THEME_HINT, load_labelled
    from ..errors import DataError
    from ..persistence import load_model
    from ..trainer import evaluate

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
    from ..persistence import load_model
    from ..suggest import labelled_ids, read_archive, suggest, write_suggestions

    model = load_model(args.model)
    exclude = labelled_ids(args.exclude or [])
    sources = [sys.stdin.buffer if path == "-" else path for path in args.archive]
    _status(args, f"scoring the archive for {args.theme!r}")
    try:
        rows = suggest(
            read_archive(
                sources, args.format, title_field=args.title_field, text_field=args.text_field, id_field=args.id_field
            ),
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
    from ..taxonomy import load_taxonomy

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
