"""Robustness: the bad-input matrix (API and CLI), --on-error line counts, limits, progress, threads.

Every bad input gets a documented answer: a result (e.g. no labels for empty
text) or a library error (``customs_topics.errors.*``) naming source, line and
field; the CLI never shows a traceback. See README "Bad input: what happens".
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import DIGEST, REPO, json_lines, run_cli, run_cli_on_tty

from customs_topics import Article, InputError, SourceError, load_model, read_articles
from customs_topics import cli as cli_module
from customs_topics import persistence as persistence_module
from customs_topics.articles import MAX_ARTICLE_CHARS, iter_records
from customs_topics.errors import CustomsTopicsError
from customs_topics.model import CHUNK

GOOD = [
    {"id": "g1", "title": "Port seizure", "body": "Customs seized 2 tonnes of cocaine hidden in banana boxes."},
    {"id": "g2", "title": "Single Window", "body": "The Single Window cut clearance times for traders."},
    {"id": "g3", "title": "Arms", "body": "Officers found 40 pistols and ammunition at the border."},
]


def jl(*rows: object) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode("utf-8")


# --------------------------------------------------------------------------- #
# The bad-input matrix: file content -> read_articles outcome -> `customs-topics tag` outcome
#
# Each case: (file name, bytes, expected API outcome, expected CLI exit code, expected CLI rows).
# API outcome is ("articles", [(title, body), ...]) or ("error", ErrorType, line, field).

BIG = 50_000_000
HTML_SCRIPTS = b"<html><head><script>var a = 'SCRIPT';</script></head><body><script>go()</script></body></html>"
DIGEST_NO_BODY = b"Lonely headline\n\nLonely headline\n\nSecond headline\n\nSecond headline\n\nSecond body.\n"
DOCX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml word/document.xml"

MATRIX = {
    "empty-file": ("a.txt", b"", ("articles", []), 0, 0),
    "whitespace-only": ("a.txt", b"  \n\t\n \r\n", ("articles", []), 0, 0),
    "empty-jsonl": ("a.jsonl", b"\n\n", ("articles", []), 0, 0),
    "one-char-article": ("a.txt", b"x", ("articles", [("x", "")]), 0, 1),
    "nul-byte": (
        "a.txt",
        b"Cocaine\x00 seized\nbody\x00 text\n",
        ("articles", [("Cocaine seized", "body text")]),
        0,
        1,
    ),
    "not-utf8-text": ("a.txt", b"Headline\n\nbody \xff\xfe text\n", ("error", InputError, 3, None), 2, 0),
    "not-utf8-jsonl-line": ("a.jsonl", jl(GOOD[0]) + b'{"title": "\xff"}\n', ("error", InputError, 2, None), 2, 1),
    "utf16-bom-text": (
        "a.txt",
        codecs.BOM_UTF16_LE + "Douane \u00e9t\u00e9\nCustoms seized cocaine.\n".encode("utf-16-le"),
        ("articles", [("Douane \u00e9t\u00e9", "Customs seized cocaine.")]),
        0,
        1,
    ),
    "utf16-bom-jsonl": (
        "a.jsonl",
        jl(GOOD[0]).decode().encode("utf-16"),
        ("articles", [(GOOD[0]["title"], GOOD[0]["body"])]),
        0,
        1,
    ),
    "html-only-scripts": ("a.html", HTML_SCRIPTS, ("articles", [("", "")]), 0, 1),
    "digest-title-no-body": (
        "a.txt",
        DIGEST_NO_BODY,
        ("articles", [("Lonely headline", ""), ("Second headline", "Second body.")]),
        0,
        2,
    ),
    "pdf": ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", ("error", InputError, None, None), 2, 0),
    "pdf-named-txt": ("report.txt", b"%PDF-1.4\n1 0 obj\n", ("error", InputError, None, None), 2, 0),
    "docx": ("memo.docx", DOCX, ("error", InputError, None, None), 2, 0),
    "png": ("chart.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("error", InputError, None, None), 2, 0),
    "other-binary": ("blob.bin", bytes(range(1, 32)) * 20, ("error", InputError, None, None), 2, 0),
    "jsonl-null-title": ("a.jsonl", jl({"title": None, "body": "b"}), ("articles", [("", "b")]), 0, 1),
    "csv-short-row": ("a.csv", b"id,title,body\nc1,T,B\nc2,Only title\n", ("error", InputError, 3, "body"), 2, 1),
    "csv-no-text-column": ("a.csv", b"id,headline,content\nc1,T,B\n", ("error", InputError, 1, None), 2, 0),
    "csv-bad-quote": ("a.csv", b'title,body\nT,"B" x\n', ("error", InputError, 2, None), 2, 0),
    "jsonl-malformed-line": ("a.jsonl", jl(GOOD[0], "{oops", GOOD[1]), ("error", InputError, 2, None), 2, 1),
    "jsonl-non-object": ("a.jsonl", jl(GOOD[0], "[1, 2]"), ("error", InputError, 2, None), 2, 1),
    "jsonl-deeply-nested": ("a.jsonl", jl("[" * 100_000), ("error", InputError, 1, None), 2, 0),
    "jsonl-missing-title": ("a.jsonl", jl({"body": "b"}), ("articles", [("", "b")]), 0, 1),
    "jsonl-missing-body": ("a.jsonl", jl({"title": "t"}), ("error", InputError, 1, "body"), 2, 0),
    "jsonl-title-wrong-type": ("a.jsonl", jl({"title": 3, "body": "b"}), ("error", InputError, 1, "title"), 2, 0),
    "jsonl-body-null": ("a.jsonl", jl({"title": "t", "body": None}), ("error", InputError, 1, "body"), 2, 0),
    "jsonl-labels-wrong-type": (
        "a.jsonl",
        jl({"title": "t", "body": "b", "labels": "x"}),
        ("error", InputError, 1, "labels"),
        2,
        0,
    ),
    "jsonl-id-wrong-type": (
        "a.jsonl",
        jl({"title": "t", "body": "b", "id": [1]}),
        ("error", InputError, 1, "id"),
        2,
        0,
    ),
    "jsonl-duplicate-id": ("a.jsonl", jl(GOOD[0], GOOD[1], GOOD[0]), ("error", InputError, 3, "id"), 2, 2),
    "jsonl-lone-surrogate": (
        "a.jsonl",
        b'{"title": "T \\ud800", "body": "cocaine"}\n',
        ("articles", [("T \ud800", "cocaine")]),
        0,
        1,
    ),
    "jsonl-huge-integer": ("a.jsonl", jl('{"title": 1' + "0" * 5000 + "}"), ("error", InputError, 1, None), 2, 0),
}


def _write(tmp_path: Path, case: str) -> Path:
    name, data, *_ = MATRIX[case]
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def fast_cli(monkeypatch, model):
    """Run ``main(argv)`` in-process with the session model (no subprocess, no reload)."""
    monkeypatch.setattr(persistence_module, "load_model", lambda path=None: model if path is None else load_model(path))

    def run(capsys, *argv: object) -> tuple[int, list[dict], str]:
        code = cli_module.main([str(a) for a in argv])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err and "internal error" not in captured.err, captured.err
        return code, json_lines(captured.out.encode("utf-8")), captured.err

    return run


@pytest.mark.parametrize("case", list(MATRIX))
def test_matrix_python_api(tmp_path, case):
    path = _write(tmp_path, case)
    expected = MATRIX[case][2]
    if expected[0] == "articles":
        assert [(a.title, a.body) for a in read_articles(path)] == expected[1]
        return
    _, error_type, line, field = expected
    with pytest.raises(error_type) as info:
        read_articles(path)
    err = info.value
    assert isinstance(err, CustomsTopicsError) and isinstance(err, ValueError)
    assert (err.source, err.line, err.field) == (str(path), line, field)
    assert str(err).startswith(f"{path}:{line}: " if line else f"{path}: ")
    if line is None:  # a file-level refusal: an unsupported format, saying what is supported
        assert "unsupported format" in str(err) and "jsonl" in str(err) and "csv" in str(err)
    if field is not None:
        assert f"field {field!r}" in str(err)


@pytest.mark.parametrize("case", list(MATRIX))
def test_matrix_cli(tmp_path, capsys, fast_cli, case):
    path = _write(tmp_path, case)
    _, _, expected, exit_code, n_rows = MATRIX[case]
    code, rows, err = fast_cli(capsys, "tag", path)
    assert code == exit_code, err
    assert len(rows) == n_rows
    if exit_code == 2:
        where = f"{path}:{expected[2]}" if expected[2] else str(path)
        assert f"customs-topics: error: {where}: " in err
    if expected[0] == "articles":
        assert [r["title"] for r in rows] == [t for t, _ in expected[1]]
        assert all(set(r) == {"id", "source", "title", "labels", "scores"} for r in rows)


@pytest.mark.parametrize(
    "case",
    ["not-utf8-text", "jsonl-deeply-nested", "jsonl-lone-surrogate", "html-only-scripts", "pdf", "csv-short-row"],
)
def test_matrix_cli_subprocess_has_no_traceback(tmp_path, case):
    path = _write(tmp_path, case)
    res = run_cli("tag", path)
    err = res.stderr.decode("utf-8")
    assert res.returncode == MATRIX[case][3], err
    assert "Traceback" not in err
    rows = json_lines(res.stdout)
    assert len(rows) == MATRIX[case][4]


def test_lone_surrogate_is_written_as_escape(tmp_path):
    path = _write(tmp_path, "jsonl-lone-surrogate")
    res = run_cli("tag", path)
    assert res.returncode == 0
    res.stdout.decode("utf-8")  # valid UTF-8
    assert b"\\ud800" in res.stdout and json_lines(res.stdout)[0]["title"] == "T \ud800"


def test_matrix_missing_file_and_directory(tmp_path, capsys, fast_cli, caplog):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(SourceError) as info:
        read_articles(missing)
    assert isinstance(info.value, OSError) and str(missing) in str(info.value)
    with pytest.raises(SourceError, match="directory"):
        read_articles(tmp_path)
    code, rows, err = fast_cli(capsys, "tag", missing)
    assert code == 2 and rows == [] and f"{missing}: no such file" in err
    code, rows, err = fast_cli(capsys, "tag", tmp_path)  # a directory is read, here finding nothing
    assert code == 0 and rows == [] and "no readable files" in caplog.text


def test_matrix_html_and_digest_warnings(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        read_articles(_write(tmp_path, "html-only-scripts"))
        read_articles(_write(tmp_path, "digest-title-no-body"))
    messages = [r.getMessage() for r in caplog.records if r.name == "customs_topics"]
    assert any("no visible text" in m for m in messages)
    assert any("title and no body" in m and "Lonely headline" in m for m in messages)


def test_matrix_stdin_utf16_and_empty():
    res = run_cli("tag", "-", input=MATRIX["utf16-bom-jsonl"][1])
    assert res.returncode == 0 and [r["id"] for r in json_lines(res.stdout)] == ["g1"]
    res = run_cli("tag", "-", input=b"   \n")
    assert res.returncode == 0 and res.stdout == b"" and b"Traceback" not in res.stderr


# --------------------------------------------------------------------------- #
# Python API: predict / tag


@pytest.mark.parametrize("text", ["", " ", "\n\t ", "\x00", "x", "\ud800", "\x00\x00 \u2028"])
def test_predict_degenerate_text_gives_a_result(model, text):
    assert model.predict(text) == [[]]
    [tag] = model.tag(text, explain=2)
    assert tag.labels == [] and set(tag.scores) == set(model.labels)


def test_predict_empty_batch(model):
    assert model.predict([]) == []
    assert model.tag([]) == []
    assert model.predict_proba([]).shape == (0, len(model.labels))


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (None, "X"),
        (b"\xff", "X"),
        (bytearray(b"x"), "X"),
        (["ok", None], "X[1]"),
        (["ok", b"x"], "X[1]"),
        ([{}], "X[0]"),
    ],
)
def test_predict_bad_items_are_input_errors(model, bad, field):
    for call in (model.predict, model.tag):
        with pytest.raises(InputError) as info:
            call(bad)
        assert isinstance(info.value, ValueError) and info.value.field == field
        assert f"field {field!r}" in str(info.value)


def test_predict_nul_bytes_are_ignored(model):
    text = "Customs seized 2 tonnes of cocaine hidden in banana boxes."
    assert model.predict(text.replace(" ", " \x00")) == model.predict(text)


# --------------------------------------------------------------------------- #
# Limits: max_chars


def test_max_chars_default_is_5_mb():
    assert MAX_ARTICLE_CHARS == 5_000_000
    assert cli_module.build_parser().parse_args(["tag"]).max_chars == MAX_ARTICLE_CHARS


@pytest.mark.parametrize("fmt", ["jsonl", "digest", "text", "html"])
def test_50_mb_article_is_truncated_with_a_warning(caplog, fmt):
    body = "Customs seized cocaine at the port. " * (BIG // 36 + 1)
    data = json.dumps({"title": "Big", "body": body}) if fmt == "jsonl" else f"Big\n\n{body}\n"
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        [article] = read_articles(io.BytesIO(data.encode()), format=fmt)
    assert len(article.title) + len(article.body) == MAX_ARTICLE_CHARS
    [record] = [r for r in caplog.records if "truncated" in r.getMessage()]
    assert record.name == "customs_topics" and record.levelno == logging.WARNING
    assert f"truncated to {MAX_ARTICLE_CHARS}" in record.getMessage()


def test_max_chars_argument(caplog):
    src = json.dumps({"title": "Title", "body": "b" * 100}) + "\n"
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        [a] = read_articles(io.StringIO(src), format="jsonl", max_chars=50)
    assert (a.title, len(a.body)) == ("Title", 45)
    assert any(":1: article is 105 characters, truncated to 50" in r.getMessage() for r in caplog.records)
    [a] = read_articles(io.StringIO(src), format="jsonl", max_chars=3)
    assert (a.title, a.body) == ("Tit", "")


def test_predict_truncates_huge_strings(model, caplog):
    text = "Customs seized cocaine. " * (MAX_ARTICLE_CHARS // 24 + 10)
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        labels = model.predict([text])
    assert labels == [["illicit_trade"]]
    assert any("truncated to" in r.getMessage() for r in caplog.records)


def test_cli_max_chars(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(jl({"id": "big", "title": "Pistols", "body": "Officers found pistols. " * 1000}))
    res = run_cli("tag", path, "--max-chars", "100")
    assert res.returncode == 0
    assert [r["id"] for r in json_lines(res.stdout)] == ["big"]
    err = res.stderr.decode()
    assert f"{path}:1: article is 24007 characters, truncated to 100" in err
    for bad in ("0", "-5", "x"):
        res = run_cli("tag", path, "--max-chars", bad)
        assert res.returncode == 2 and b"Traceback" not in res.stderr and b"--max-chars" in res.stderr


@pytest.mark.parametrize("argv", [["--batch-size", "0"], ["--batch-size", "-1"], ["--explain", "-2"]])
def test_cli_rejects_non_positive_numbers(argv):
    res = run_cli("tag", DIGEST, *argv)
    assert res.returncode == 2 and res.stdout == b"" and b"Traceback" not in res.stderr


# --------------------------------------------------------------------------- #
# --on-error: what is written, line for line, across batch boundaries

N_LINES = 7
BAD_KINDS = ["{not json", "[1]", '{"title": "t"}', '{"title": 5, "body": "b", "id": "bad-id"}']


def _mixed_file(tmp_path: Path, bad: set[int]) -> tuple[Path, list[str | None]]:
    """Seven lines; those in ``bad`` (0-based) are broken in various ways. Returns the ids per line."""
    lines, ids = [], []
    for i in range(N_LINES):
        if i in bad:
            text = BAD_KINDS[i % len(BAD_KINDS)]
            lines.append(text)
            ids.append("bad-id" if "bad-id" in text else None)
        else:
            row = dict(GOOD[i % 3], id=f"r{i}")
            lines.append(json.dumps(row))
            ids.append(row["id"])
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path, ids


BAD_SETS = [set(), {0}, {1}, {2, 3}, {3}, {6}, {1, 4, 5}, set(range(N_LINES))]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
@pytest.mark.parametrize("bad", BAD_SETS, ids=lambda b: "bad-" + ("".join(map(str, sorted(b))) or "none"))
def test_on_error_modes_line_counts(tmp_path, capsys, fast_cli, bad, batch_size):
    path, ids = _mixed_file(tmp_path, bad)
    good_ids = [ids[i] for i in range(N_LINES) if i not in bad]
    first_bad = min(bad) if bad else N_LINES

    # fail: exactly the records before the first bad line, then exit 2 naming it
    code, rows, err = fast_cli(capsys, "tag", path, "--batch-size", batch_size)
    assert code == (2 if bad else 0)
    assert [r["id"] for r in rows] == ids[:first_bad]
    if bad:
        assert f"{path}:{first_bad + 1}:" in err
        assert all(f"{path}:{i + 1}:" not in err for i in bad if i != first_bad)

    # skip: every good record, each bad line reported on stderr, exit 1
    code, rows, err = fast_cli(capsys, "tag", path, "--batch-size", batch_size, "--on-error", "skip")
    assert code == (1 if bad else 0)
    assert [r["id"] for r in rows] == good_ids
    assert all("error" not in r for r in rows)
    for i in bad:
        assert f"{path}:{i + 1}:" in err
    if bad:
        assert f"{len(bad)} bad record(s) skipped" in err

    # report: one output row per input line, error rows in place
    code, rows, err = fast_cli(capsys, "tag", path, "--batch-size", batch_size, "--on-error", "report")
    assert code == (1 if bad else 0)
    assert len(rows) == N_LINES
    assert [r["id"] for r in rows] == ids
    for i, row in enumerate(rows):
        if i in bad:
            assert set(row) == {"id", "source", "line", "field", "error"}
            assert row["line"] == i + 1 and row["error"] and row["source"] == str(path)
        else:
            assert "error" not in row and "labels" in row
    for i in bad:
        assert f"{path}:{i + 1}:" in err


def test_on_error_report_fields(tmp_path, capsys, fast_cli):
    path, _ = _mixed_file(tmp_path, {0, 1, 2, 3})
    code, rows, _ = fast_cli(capsys, "tag", path, "--on-error", "report")
    assert code == 1
    assert rows[0] == {"id": None, "source": str(path), "line": 1, "field": None, "error": rows[0]["error"]}
    assert "invalid JSON" in rows[0]["error"]
    assert rows[1]["field"] is None and "JSON object" in rows[1]["error"]
    assert rows[2]["field"] == "body" and "missing" in rows[2]["error"]
    assert rows[3] == {
        "id": "bad-id",
        "source": str(path),
        "line": 4,
        "field": "title",
        "error": "expected a string or null, got int",
    }


def test_on_error_skip_and_report_with_blank_lines_keep_line_numbers(tmp_path, capsys, fast_cli):
    path = tmp_path / "blank.jsonl"
    path.write_bytes(jl(GOOD[0]) + b"\n\n" + b"oops\n" + jl(GOOD[1]))
    code, rows, _ = fast_cli(capsys, "tag", path, "--on-error", "report")
    assert code == 1 and [r.get("line") for r in rows] == [None, 4, None]


def test_record_id_recovered_on_errors():
    src = jl({"id": 7, "title": "t"}, {"id": True, "title": "t"}, "nope", GOOD[0], GOOD[0])
    errors = [r for r in iter_records(io.BytesIO(src), format="jsonl") if isinstance(r, InputError)]
    assert [(e.line, e.record_id) for e in errors] == [(1, "7"), (2, None), (3, None), (5, "g1")]


# --------------------------------------------------------------------------- #
# Progress output: on a terminal only, never with --quiet


def test_tag_progress_on_a_terminal_only():
    data = jl(*[dict(GOOD[i % 3], id=f"p{i}") for i in range(10)])
    code, out, err = run_cli_on_tty("tag", "-", "--batch-size", "4", input=data)
    assert code == 0 and len(json_lines(out)) == 10
    assert b"tagged: 4" in err and b"tagged: 10" in err
    assert b"tagged" not in out
    code, out, err = run_cli_on_tty("tag", "-", "--quiet", input=data)
    assert code == 0 and len(json_lines(out)) == 10 and err == b""
    res = run_cli("tag", "-", input=data)  # stderr is a pipe: no progress
    assert res.returncode == 0 and res.stderr == b""


def test_train_progress_on_a_terminal_only(small_jsonl, tmp_path):
    code, _, err = run_cli_on_tty("train", "--data", str(small_jsonl), "--out", str(tmp_path / "m"), "--folds", "2")
    assert code == 0, err
    assert b"training on" in err and b"cross-validation: 2/2" in err
    res = run_cli("train", "--data", small_jsonl, "--out", tmp_path / "m2", "--folds", "0")
    assert res.returncode == 0
    assert res.stderr.decode().strip().splitlines() == [f"customs-topics: model saved to {tmp_path / 'm2'}"]


def test_library_never_prints():
    """Only cli.py may print; the library logs through logging.getLogger("customs_topics")."""
    offenders = []
    for path in sorted((REPO / "customs_topics").glob("*.py")):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.name}:{node.lineno}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("stdout", "stderr")
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                offenders.append(f"{path.name}:{node.lineno} (sys.{node.attr})")
        text = path.read_text("utf-8")
        for line in text.splitlines():
            if "getLogger(" in line:
                assert 'getLogger("customs_topics")' in line, f"{path.name}: {line}"
    assert offenders == []


def test_cli_unexpected_error_is_one_line(monkeypatch, capsys):
    def boom(args, out):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli_module, "_cmd_taxonomy", boom)
    monkeypatch.delenv("CUSTOMS_TOPICS_DEBUG", raising=False)
    assert cli_module.main(["taxonomy"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error: RuntimeError: kaboom" in err
    assert len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- #
# Concurrency: one model, 8 threads, same results as sequential use


def _batches(corpus: list[Article]) -> list[list[Article | str]]:
    many = [
        Article.from_text(a.title, f"{a.body} {i}", id=f"{a.id}-{i}")
        for i in range(CHUNK // len(corpus) + 2)
        for a in corpus
    ]
    assert len(many) > CHUNK
    texts: list[Article | str] = [a.body for a in corpus[:50]]
    sizes = [1, 3, 17, 250, len(corpus)]
    out: list[list[Article | str]] = [many]
    for k, size in enumerate(sizes * 2):
        start = (k * 37) % len(corpus)
        out.append(list(corpus[start : start + size]) + texts[: k % 5] + ["", "x"])
    out.append(many[: CHUNK + 1])
    return out


@pytest.mark.parametrize("fresh", [False, True], ids=["warm-model", "fresh-model"])
def test_threads_give_sequential_results(corpus, fresh, model):
    batches = _batches(list(corpus))
    expected_p = [model.predict_proba(b) for b in batches]
    small = [b for b in batches if len(b) <= 100]  # tag(explain=...) is slower: small batches only
    expected_tags = [[t.to_dict() for t in model.tag(b, explain=2)] for b in small]
    # a freshly loaded model builds its scorer lazily, possibly in several threads at once
    shared = load_model() if fresh else model

    def proba(i: int) -> np.ndarray:
        return shared.predict_proba(batches[i])

    def tags(i: int) -> list[dict]:
        return [t.to_dict() for t in shared.tag(small[i], explain=2)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        order = list(range(len(batches))) * 2
        got_p = list(pool.map(proba, order))
        got_tags = list(pool.map(tags, list(range(len(small))) * 2))
    for i, p in zip(order, got_p):
        np.testing.assert_array_equal(p, expected_p[i])
    for k, t in enumerate(got_tags):
        assert t == expected_tags[k % len(small)]
