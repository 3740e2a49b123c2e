"""The customs-topics command line: tag, errors, --on-error, --help."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DIGEST, TRAIN_JSONL, json_lines, run_cli

from customs_topics import __version__, read_articles

GOOD1 = {"title": "Port seizure", "body": "Customs seized 2 tonnes of cocaine hidden in banana boxes.", "id": "g1"}
GOOD2 = {"title": "Single Window", "body": "The Single Window cut clearance times for traders.", "id": "g2"}
GOOD3 = {"title": "Arms", "body": "Officers found 40 pistols and ammunition at the border.", "id": "g3"}


def assert_one_line_error(res: subprocess.CompletedProcess[bytes], *words: str) -> None:
    err = res.stderr.decode("utf-8")
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("customs-topics")
    for word in words:
        assert word in lines[0]


def test_tag_seed_digest(model):
    res = run_cli("tag", DIGEST)
    assert res.returncode == 0, res.stderr.decode()
    rows = json_lines(res.stdout)
    articles = read_articles(DIGEST)
    assert len(rows) == 10
    assert [r["id"] for r in rows] == [a.id for a in articles]
    assert [r["title"] for r in rows] == [a.title for a in articles]
    tags = model.tag(articles)
    for row, tag in zip(rows, tags, strict=True):
        assert set(row) == {"id", "source", "title", "labels", "scores"}
        assert row["source"].startswith(f"{DIGEST}:")
        assert row["labels"] == tag.labels
        assert list(row["scores"]) == model.labels
        assert row["scores"] == tag.scores


def test_tag_stdin_same_as_file():
    by_file = run_cli("tag", DIGEST)
    by_stdin = run_cli("tag", "-", input=DIGEST.read_bytes())
    default_stdin = run_cli("tag", input=DIGEST.read_bytes())
    assert by_stdin.returncode == default_stdin.returncode == 0
    assert by_stdin.stdout == default_stdin.stdout
    from_file, from_stdin = json_lines(by_file.stdout), json_lines(by_stdin.stdout)
    assert [r.pop("source") for r in from_file] == [f"{DIGEST}:{a}" for a in range(1, 60, 6)]
    assert [r.pop("source") for r in from_stdin] == [f"<stdin>:{a}" for a in range(1, 60, 6)]
    assert from_file == from_stdin


def test_tag_jsonl_stdin_keeps_order_and_ids(tmp_path):
    rows = [GOOD3, GOOD1, GOOD2] * 4
    rows = [dict(r, id=f"{r['id']}-{i}") for i, r in enumerate(rows)]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    res = run_cli("tag", "-", "--batch-size", "5", input=data)
    assert res.returncode == 0, res.stderr.decode()
    out = json_lines(res.stdout)
    assert [o["id"] for o in out] == [r["id"] for r in rows]
    expected = {"g1": ["illicit_trade"], "g2": ["facilitation"], "g3": ["strategic_trade_control"]}
    assert [o["labels"] for o in out] == [expected[r["id"].split("-")[0]] for r in rows]


@pytest.mark.parametrize("how", [["--explain", "--explain-terms", "2"], ["--explain-terms", "2"], ["--explain", "2"]])
def test_tag_explain(model, how):
    res = run_cli("tag", DIGEST, *how)  # the old spelling "--explain 2" still works ("2" is not a file)
    assert res.returncode == 0, res.stderr.decode()
    rows = json_lines(res.stdout)
    assert len(rows) == 10
    for row in rows:
        assert set(row) == {"id", "source", "title", "labels", "scores", "explanation"}
        assert set(row["explanation"]) == set(row["labels"])
        for exp in row["explanation"].values():
            assert 1 <= len(exp["terms"]) <= 2
            assert "sentence" in exp
    res = run_cli("tag", DIGEST, "--explain")
    for row in json_lines(res.stdout):
        for exp in row["explanation"].values():
            assert 1 <= len(exp["terms"]) <= 3


def test_tag_threshold_override():
    data = (json.dumps(GOOD1) + "\n").encode()
    res = run_cli("tag", "-", "--threshold", "illicit_trade=0.9999", input=data)
    assert res.returncode == 0
    assert json_lines(res.stdout)[0]["labels"] == []
    res = run_cli("tag", "-", "--threshold", "spam=0.5", input=data)
    assert res.returncode == 2 and res.stdout == b""
    assert_one_line_error(res, "spam")
    res = run_cli("tag", "-", "--threshold", "illicit_trade", input=data)
    assert res.returncode == 2
    assert_one_line_error(res, "THEME=NUMBER")


def test_tag_format_flag(tmp_path):
    path = tmp_path / "story.dat"
    path.write_text("Customs seize cocaine\nOfficers seized cocaine at the port.\n", "utf-8")
    res = run_cli("tag", path, "--format", "text")
    assert res.returncode == 0
    [row] = json_lines(res.stdout)
    assert row["title"] == "Customs seize cocaine"
    assert row["labels"] == ["illicit_trade"]


def test_tag_html_file(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><body><h1>Pistols seized</h1><script>x()</script>"
        "<p>Officers found 40 pistols and ammunition at the border.</p></body></html>",
        "utf-8",
    )
    res = run_cli("tag", path)
    assert res.returncode == 0
    [row] = json_lines(res.stdout)
    assert row["title"] == "Pistols seized" and row["labels"] == ["strategic_trade_control"]


def test_tag_non_ascii_output_is_utf8(tmp_path):
    path = tmp_path / "a.jsonl"
    record = {"title": "Douane \u00e9tats \u20ac", "body": "cocaine seized"}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    res = run_cli("tag", path)
    assert res.returncode == 0
    assert json_lines(res.stdout)[0]["title"] == "Douane \u00e9tats \u20ac"


# --------------------------------------------------------------------------- #
# Errors


def test_tag_missing_file_exits_2_without_traceback(tmp_path):
    missing = tmp_path / "missing.txt"
    res = run_cli("tag", missing)
    assert res.returncode == 2
    assert res.stdout == b""
    assert_one_line_error(res, str(missing))


def test_tag_empty_directory_says_so(tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.7\n")
    res = run_cli("tag", tmp_path)
    assert res.returncode == 0 and res.stdout == b""
    err = res.stderr.decode()
    assert "skipped 1 file(s)" in err and "notes.pdf" in err and "no readable files" in err


def test_tag_bad_model_dir_exits_2(tmp_path):
    res = run_cli("tag", DIGEST, "--model", tmp_path / "nope")
    assert res.returncode == 2
    assert_one_line_error(res)
    (tmp_path / "empty").mkdir()
    res = run_cli("tag", DIGEST, "--model", tmp_path / "empty")
    assert res.returncode == 2 and res.stdout == b""
    assert_one_line_error(res, "model.json")


def test_tag_invalid_utf8_exits_2(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Headline\n\nHeadline\n\nbody \xff\n")
    res = run_cli("tag", path)
    assert res.returncode == 2
    assert_one_line_error(res, f"{path}:5", "UTF-8")


@pytest.fixture
def mixed(tmp_path) -> Path:
    lines = [json.dumps(GOOD1), "not json", json.dumps(GOOD2), '{"title": "no body"}', json.dumps(GOOD3)]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_tag_bad_record_default_fails(mixed):
    res = run_cli("tag", mixed)
    assert res.returncode == 2
    assert_one_line_error(res, f"{mixed}:2")
    assert [r["id"] for r in json_lines(res.stdout)] == ["g1"]


def test_tag_on_error_skip(mixed):
    res = run_cli("tag", mixed, "--on-error", "skip")
    assert res.returncode == 1
    out = json_lines(res.stdout)
    assert [r["id"] for r in out] == ["g1", "g2", "g3"]
    assert all("error" not in r for r in out)
    err = res.stderr.decode()
    assert "Traceback" not in err and f"{mixed}:2" in err and f"{mixed}:4" in err


def test_tag_on_error_report_one_line_per_input_line(mixed):
    res = run_cli("tag", mixed, "--on-error", "report", "--batch-size", "2")
    assert res.returncode == 1
    out = json_lines(res.stdout)
    n_lines = len(mixed.read_text("utf-8").splitlines())
    assert len(out) == n_lines == 5
    assert [o.get("id") for o in out] == ["g1", None, "g2", None, "g3"]
    assert out[1]["line"] == 2 and out[1]["error"]
    assert out[3]["line"] == 4 and out[3]["field"] == "body"


def test_tag_on_error_skip_all_good_exits_0():
    res = run_cli("tag", DIGEST, "--on-error", "skip")
    assert res.returncode == 0
    assert len(json_lines(res.stdout)) == 10


def test_tag_corpus_file_line_count():
    res = run_cli("tag", TRAIN_JSONL)
    assert res.returncode == 0
    out = json_lines(res.stdout)
    raw = [json.loads(line) for line in TRAIN_JSONL.read_text("utf-8").splitlines()]
    assert [o["id"] for o in out] == [r["id"] for r in raw]


def test_tag_empty_input():
    res = run_cli("tag", "-", input=b"")
    assert res.returncode == 0
    assert res.stdout == b""


# --------------------------------------------------------------------------- #
# Usage


@pytest.mark.parametrize("sub", [None, "tag", "train", "evaluate", "taxonomy"])
def test_help_works_on_every_subcommand(sub):
    res = run_cli(*([sub] if sub else []), "--help")
    assert res.returncode == 0
    out = res.stdout.decode()
    assert out.startswith("usage: customs-topics")
    if sub:
        assert f"customs-topics {sub}" in out


def test_version():
    res = run_cli("--version")
    assert res.returncode == 0
    assert __version__ in res.stdout.decode()


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], ["tag", "--bogus"], ["tag", "--on-error", "explode"], ["train"], ["evaluate", "--folds", "x"]],
)
def test_usage_errors_exit_2(argv):
    res = run_cli(*argv)
    assert res.returncode == 2
    err = res.stderr.decode()
    assert "Traceback" not in err and "error" in err


def test_console_script_installed():
    script = shutil.which("customs-topics") or str(Path(sys.executable).with_name("customs-topics"))
    if not Path(script).exists():
        pytest.skip("customs-topics script not installed in this environment")
    res = subprocess.run([script, "tag", str(DIGEST)], capture_output=True, check=False, timeout=120)
    assert res.returncode == 0
    assert res.stdout == run_cli("tag", DIGEST).stdout


def test_tag_on_error_report_with_undecodable_line(tmp_path):
    path = tmp_path / "bytes.jsonl"
    bad = b'{"title": "\xff\xfe", "body": "x"}\n'
    path.write_bytes((json.dumps(GOOD1) + "\n").encode() + bad + (json.dumps(GOOD2) + "\n").encode())
    res = run_cli("tag", path, "--on-error", "report")
    assert res.returncode == 1
    out = json_lines(res.stdout)
    assert [o.get("id") for o in out] == ["g1", None, "g2"]
    assert out[1]["line"] == 2 and "UTF-8" in out[1]["error"]
