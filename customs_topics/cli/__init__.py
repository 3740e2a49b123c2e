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
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..articles import FORMATS, MAX_ARTICLE_CHARS
from ..errors import CustomsTopicsError, InputError
from .commands import _cmd_evaluate, _cmd_suggest, _cmd_tag, _cmd_taxonomy, _cmd_train
from .output import EXIT_FAIL, EXIT_OK, EXIT_PARTIAL, _LogHandler, _stderr_is_tty

log = logging.getLogger("customs_topics")

__all__ = ["EXIT_FAIL", "EXIT_OK", "EXIT_PARTIAL", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, like every other error the command prints.
        self.exit(EXIT_FAIL, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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


def _add_field_options(parser: argparse.ArgumentParser) -> None:
    """--title-field / --text-field / --id-field: the JSON Lines fields or CSV columns to read."""
    parser.add_argument(
        "--title-field", metavar="NAME", help="JSON Lines field / CSV column holding the title (default: title)"
    )
    parser.add_argument(
        "--text-field", metavar="NAME", help="JSON Lines field / CSV column holding the text (default: body, else text)"
    )
    parser.add_argument("--id-field", metavar="NAME", help="JSON Lines field / CSV column holding the id (default: id)")


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
    _add_field_options(tag)
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
    _add_field_options(sg)
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
