"""The inputs analysts have: press releases, CSV, folders of files, stdin; provenance and pass-through.

Fixtures in tests/data/inputs/ are written to look like the real thing: a
press release with kicker lines, bullet list, "-ENDS-", "Notes to editors",
a media contact and "###"; a story with a byline, a dateline and a
subheading; a customs notice with subheadings and lists; CSV/TSV/JSON Lines
exports with their own column names.
"""

from __future__ import annotations

import doctest
import importlib
import io
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DIGEST, json_lines, run_cli, run_cli_on_tty

from customs_topics import (
    Article,
    InputError,
    SourceError,
    iter_inputs,
    iter_records,
    load_model,
    read_articles,
    seed_digest_path,
)
from customs_topics import cli as cli_module
from customs_topics import persistence as persistence_module
from customs_topics.articles import detect_format

DATA = Path(__file__).parent / "data" / "inputs"
PROSE = ["press_release.txt", "byline_story.txt", "advisory.txt"]
HEADLINES = {
    "press_release.txt": "Customs seize 1.2 million counterfeit medicines in joint operation",
    "byline_story.txt": "Customs officers find 40 pistols hidden in a truck at the border",
    "advisory.txt": "Customs notice 2024/07: new electronic declarations for exporters",
}
PAGE = (
    "<!DOCTYPE html><html><head><title>Pistols seized | Border News</title></head><body>"
    "<article><h1>Pistols seized at the border</h1>"
    "<p>Officers found 40 pistols and ammunition hidden in a truck at the border crossing.</p></article>"
    "</body></html>"
)


@pytest.fixture(scope="module")
def own_model():
    # This module's own copy: the session model is compared bit for bit with a fresh one elsewhere
    # (test_robustness), and the words of these fixtures would join its cache of unknown words.
    return load_model()


@pytest.fixture
def cli(monkeypatch, capsys, own_model):
    """``customs-topics ARGS`` run in-process through ``main`` with one loaded model (fast).

    Returns a ``CompletedProcess``-like result; ``input`` feeds stdin, ``cwd`` changes directory.
    """
    model = own_model
    monkeypatch.setattr(persistence_module, "load_model", lambda path=None: model if path is None else load_model(path))

    def run(*argv: object, input: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        stdin = io.BytesIO(input)
        stdin.name = "<stdin>"  # type: ignore[attr-defined]
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin, encoding="utf-8"))
        code = cli_module.main([str(a) for a in argv])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err and "internal error" not in captured.err, captured.err
        return subprocess.CompletedProcess(argv, code, captured.out.encode("utf-8"), captured.err.encode("utf-8"))

    return run


def _copy(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        shutil.copy(DATA / name, tmp_path / name)
        out.append(tmp_path / name)
    return out


# --------------------------------------------------------------------------- #
# 1. Conservative, visible detection


@pytest.mark.parametrize("name", PROSE)
def test_prose_txt_is_one_article(name):
    path = DATA / name
    assert detect_format(name, path.read_text("utf-8")) == "text"
    [article] = read_articles(path)
    assert article.title == HEADLINES[name]
    assert article.source == str(path)
    text = path.read_text("utf-8")
    for kept in ("Notes to editors", "Background", "What changes", "BRUSSELS, 12 March 2024"):
        if kept in text:
            assert kept in article.body  # subheadings, datelines stay in the body
    assert "###" not in article.body and "-ENDS-" not in article.body and "PRESS RELEASE" not in article.body


@pytest.mark.parametrize("name", PROSE)
def test_prose_txt_is_one_row_on_the_cli(cli, name):
    res = cli("tag", DATA / name)
    assert res.returncode == 0, res.stderr.decode()
    [row] = json_lines(res.stdout)
    assert row["title"] == HEADLINES[name] and row["source"] == str(DATA / name)


def test_press_release_is_tagged_as_one_story(cli):
    [row] = json_lines(cli("tag", DATA / "press_release.txt").stdout)
    assert "health_goods" in row["labels"] and "illicit_trade" in row["labels"]


def test_format_flag_overrides_detection(cli):
    res = cli("tag", DATA / "byline_story.txt", "--format", "digest")
    assert res.returncode == 0
    assert len(json_lines(res.stdout)) > 1  # forced: split at headline-like lines, as asked
    assert len(read_articles(DATA / "byline_story.txt", format="digest")) > 1


def test_seed_digest_is_still_detected_and_gives_ten_articles():
    assert detect_format("wco_news_digest.txt", DIGEST.read_text("utf-8")) == "digest"
    assert len(read_articles(DIGEST)) == 10
    assert len(read_articles(seed_digest_path())) == 10


def test_one_repeated_title_is_not_a_digest():
    # A single title repeated (a headline echoed as a standfirst) is not the digest layout.
    text = "Customs seize pills\n\nCustoms seize pills\n\nOfficers seized pills.\n\nBackground\n\nMore text.\n"
    assert detect_format("a.txt", text) == "text"
    assert len(read_articles(io.StringIO(text))) == 1


def test_detected_format_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="customs_topics"):
        read_articles(DATA / "press_release.txt")
        read_articles(DIGEST)
        read_articles(DATA / "news.csv", title_field="headline", text_field="content")
    assert "press_release.txt: reading as text (content)" in caplog.text
    assert "wco_news_digest.txt: reading as digest (content: repeated-title digest layout)" in caplog.text
    assert "news.csv: reading as csv (extension .csv)" in caplog.text


def test_cli_shows_the_detected_format_on_a_terminal_only():
    code, out, err = run_cli_on_tty("tag", str(DATA / "press_release.txt"))
    assert code == 0 and len(json_lines(out)) == 1
    assert b"press_release.txt: reading as text (content)" in err
    res = run_cli("tag", DATA / "press_release.txt")  # stderr is a pipe: nothing
    assert res.returncode == 0 and res.stderr == b""


def test_tag_without_file_on_a_terminal_says_it_reads_stdin():
    code, out, err = run_cli_on_tty("tag", stdin_tty=True)
    assert code == 0 and out == b""
    assert b"reading articles from stdin (Ctrl-D to end)" in err
    res = run_cli("tag", input=b"")  # stdin is a pipe: no notice
    assert res.returncode == 0 and res.stderr == b""


# --------------------------------------------------------------------------- #
# 3. CSV / TSV and field mapping


def test_csv_with_column_mapping_python():
    path = DATA / "news.csv"
    a, b, c = read_articles(path, title_field="headline", text_field="content")
    assert (a.id, a.title, a.meta["url"], a.meta["date"]) == (
        "csv-1",
        "Customs seize cocaine in banana boxes",
        "https://news.example.org/cocaine",
        "2024-03-12",
    )
    assert (
        b.title == ""
        and b.body == "The new single window cuts clearance times for traders.\n\nBrokers welcomed the change."
    )
    assert [x.source for x in (a, b, c)] == [f"{path}:2", f"{path}:3", f"{path}:6"]
    assert c.title == "Fake vaccines seized at the airport"


def test_csv_with_column_mapping_cli(cli):
    path = DATA / "news.csv"
    res = cli("tag", path, "--title-field", "headline", "--text-field", "content")
    assert res.returncode == 0, res.stderr.decode()
    rows = json_lines(res.stdout)
    assert [r["id"] for r in rows] == ["csv-1", "csv-2", "csv-3"]
    assert [r["source"] for r in rows] == [f"{path}:2", f"{path}:3", f"{path}:6"]
    assert rows[0]["url"] == "https://news.example.org/cocaine" and rows[0]["date"] == "2024-03-12"
    assert rows[0]["labels"] == ["illicit_trade"] and rows[1]["labels"] == ["facilitation"]
    assert "health_goods" in rows[2]["labels"]


def test_csv_without_a_text_column_names_the_columns_and_the_option(cli):
    res = cli("tag", DATA / "news.csv")
    assert res.returncode == 2 and res.stdout == b""
    err = res.stderr.decode().strip()
    assert len(err.splitlines()) == 1
    assert f"{DATA / 'news.csv'}:1:" in err and "'headline', 'content'" in err and "--text-field" in err


def test_csv_bad_rows_name_file_line_and_column(cli, tmp_path):
    path = tmp_path / "exports.csv"
    path.write_text(
        'id,title,body,labels\nk1,Pills seized,"Customs seized pills.",health_goods\n'
        "k2,Short row\n"
        'k3,Arms,"Officers found pistols.",strategic trade\n'
        'k4,Window,"The single window cut clearance times.",facilitation\n',
        "utf-8",
    )
    records = list(iter_records(path))
    assert [type(r).__name__ for r in records] == ["Article", "InputError", "InputError", "Article"]
    assert (records[1].source, records[1].line, records[1].field) == (str(path), 3, "body")
    assert (records[2].line, records[2].field) == (4, "labels")
    assert records[0].labels == ("health_goods",)
    res = cli("tag", path, "--on-error", "report")
    rows = json_lines(res.stdout)
    assert res.returncode == 1 and len(rows) == 4
    assert rows[1] == {"id": None, "source": str(path), "line": 3, "field": "body", "error": rows[1]["error"]}
    assert "missing 'body', 'labels'" in rows[1]["error"]


def test_tsv_gold_labels_are_kept_and_predictions_prefixed(cli):
    path = DATA / "news.tsv"
    res = cli("tag", path)
    assert res.returncode == 0, res.stderr.decode()
    rows = json_lines(res.stdout)
    assert [r["labels"] for r in rows] == [["strategic_trade_control"], ["facilitation", "illicit_trade"]]
    assert rows[0]["pred_labels"] == ["strategic_trade_control"] and "pred_scores" in rows[0]
    res = cli("tag", path, "--prefix", "model_")
    rows = json_lines(res.stdout)
    assert set(rows[0]) == {"id", "source", "title", "labels", "model_labels", "model_scores"}
    res = cli("tag", path, "--format", "csv")  # forced CSV: one column, no text column
    assert res.returncode == 2


def test_jsonl_field_mapping_null_title_and_pass_through(cli):
    path = DATA / "news.jsonl"
    a, b = read_articles(path, title_field="headline", text_field="content")
    assert (a.title, b.title) == ("Cocaine found in banana boxes", "")
    assert dict(a.meta) == {"url": "https://news.example.org/1", "date": "2024-03-12", "source": "Port Authority"}
    res = cli("tag", path, "--title-field", "headline", "--text-field", "content")
    assert res.returncode == 0, res.stderr.decode()
    first, second = json_lines(res.stdout)
    # The input's own "source" and gold "labels" keep their names; the tool's go under pred_.
    assert first["source"] == "Port Authority" and first["pred_source"] == f"{path}:1"
    assert first["url"] == "https://news.example.org/1" and first["labels"] == ["illicit_trade"]
    assert second["labels"] == ["facilitation"] and second["pred_labels"] == ["facilitation"]
    assert second["title"] == ""


def test_jsonl_text_only_and_null_title_are_articles():
    src = '{"text": "Customs seized cocaine at the port."}\n{"title": null, "body": "Pistols seized."}\n'
    a, b = read_articles(io.StringIO(src), format="jsonl")
    assert (a.title, a.body, b.title) == ("", "Customs seized cocaine at the port.", "")
    with pytest.raises(InputError, match="expected a string, got null") as info:
        read_articles(io.StringIO('{"title": "T", "body": null}'), format="jsonl")
    assert info.value.field == "body" and "NoneType" not in str(info.value)


def test_field_names_must_be_strings():
    with pytest.raises(InputError, match="text_field"):
        read_articles(DATA / "news.csv", text_field="")


# --------------------------------------------------------------------------- #
# 4. Many inputs, directories, stdin, provenance, --on-error across files


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    (root / "2024-03" / "pages").mkdir(parents=True)
    (root / ".cache").mkdir()
    shutil.copy(DATA / "press_release.txt", root / "b_release.txt")
    shutil.copy(DATA / "byline_story.txt", root / "a_story.txt")
    (root / "2024-03" / "pages" / "pistols.html").write_text(PAGE, "utf-8")
    shutil.copy(DATA / "news.tsv", root / "2024-03" / "news.tsv")
    (root / ".cache" / "old.txt").write_text("Hidden\nNever read.", "utf-8")
    (root / ".hidden.txt").write_text("Hidden\nNever read.", "utf-8")
    (root / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


def test_directory_is_read_recursively_in_sorted_order(tmp_path, caplog):
    root = _tree(tmp_path)
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        sources = [a.source for a in iter_inputs(root)]
    assert sources == [
        f"{root}/2024-03/news.tsv:2",
        f"{root}/2024-03/news.tsv:3",
        f"{root}/2024-03/pages/pistols.html",
        f"{root}/a_story.txt",
        f"{root}/b_release.txt",
    ]
    assert "skipped 2 file(s)" in caplog.text and "scan.pdf" in caplog.text and "logo.png" in caplog.text
    assert "Hidden" not in caplog.text and ".cache" not in caplog.text


def test_tag_many_files_directories_and_stdin_in_input_order(cli, tmp_path):
    root = _tree(tmp_path)
    story = DATA / "byline_story.txt"
    jsonl = b'{"id": "stdin-1", "title": "Cocaine seized", "body": "Customs seized cocaine at the port."}\n'
    res = cli("tag", story, "-", root / "2024-03", input=jsonl)
    assert res.returncode == 0, res.stderr.decode()
    rows = json_lines(res.stdout)
    assert [r["source"] for r in rows] == [
        str(story),
        "<stdin>:1",
        f"{root}/2024-03/news.tsv:2",
        f"{root}/2024-03/news.tsv:3",
        f"{root}/2024-03/pages/pistols.html",
    ]
    assert rows[1]["id"] == "stdin-1" and rows[4]["title"] == "Pistols seized at the border"


def test_on_error_across_files(tmp_path):
    good1, good2 = _copy(tmp_path, "press_release.txt", "advisory.txt")
    pdf = tmp_path / "annual-report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    docx = tmp_path / "memo.docx"
    docx.write_bytes(b"PK\x03\x04\x14\x00\x06\x00word/document.xml")

    res = run_cli("tag", good1, pdf, good2, docx, "--on-error", "skip")
    assert res.returncode == 1
    assert [r["source"] for r in json_lines(res.stdout)] == [str(good1), str(good2)]
    err = res.stderr.decode()
    assert f"skipped file: {pdf}: unsupported format: this is a PDF document" in err
    assert f"{docx}: unsupported format: this is a DOCX document" in err
    assert "supported: digest, jsonl, text, html, csv, tsv" in err and "2 unreadable file(s) skipped" in err

    res = run_cli("tag", good1, pdf, good2, "--on-error", "report")
    rows = json_lines(res.stdout)
    assert res.returncode == 1 and len(rows) == 3
    assert rows[1]["source"] == str(pdf) and rows[1]["line"] is None and "unsupported format" in rows[1]["error"]

    res = run_cli("tag", good1, pdf, good2)  # fail (default): stops at the bad file
    assert res.returncode == 2
    assert [r["source"] for r in json_lines(res.stdout)] == [str(good1)]
    assert f"customs-topics: error: {pdf}: unsupported format" in res.stderr.decode()

    res = run_cli("tag", good1, tmp_path / "missing.txt", good2, "--on-error", "skip")
    assert res.returncode == 1 and len(json_lines(res.stdout)) == 2
    assert "missing.txt: no such file" in res.stderr.decode()


def test_iter_inputs_yields_whole_file_errors_and_goes_on(tmp_path):
    (good,) = _copy(tmp_path, "advisory.txt")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    items = list(iter_inputs([pdf, tmp_path / "nope.txt", good]))
    assert isinstance(items[0], InputError) and items[0].whole_file and "unsupported format" in str(items[0])
    assert isinstance(items[1], SourceError) and items[1].whole_file
    assert isinstance(items[2], Article) and items[2].source == str(good)


def test_unsupported_format_from_python_says_what_is_supported(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value).startswith(f"{path}: unsupported format: this is a JPEG image; supported: digest, jsonl")
    with pytest.raises(InputError, match="unsupported format"):
        read_articles(path, format="text")  # forcing a text format does not read binary as text


# --------------------------------------------------------------------------- #
# 5. --explain never swallows a file name


def test_explain_before_a_file_tags_the_file(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, "utf-8")
    res = run_cli("tag", "--explain", page)
    assert res.returncode == 0, res.stderr.decode()
    [row] = json_lines(res.stdout)
    assert row["title"] == "Pistols seized at the border" and row["labels"] == ["strategic_trade_control"]
    assert len(row["explanation"]["strategic_trade_control"]["terms"]) == 3


def test_old_explain_spelling(cli, tmp_path, monkeypatch):
    page = tmp_path / "page.html"
    page.write_text(PAGE, "utf-8")
    res = cli("tag", "--explain", "1", page)
    assert res.returncode == 0, res.stderr.decode()
    [row] = json_lines(res.stdout)
    assert len(row["explanation"]["strategic_trade_control"]["terms"]) == 1
    assert "'--explain 1' is now '--explain --explain-terms 1'" in res.stderr.decode()
    # An existing file named like a number is a file, not a count.
    (tmp_path / "7").write_text("Pistols seized\nOfficers found 40 pistols at the border.", "utf-8")
    res = cli("tag", "--explain", "7", cwd=tmp_path)
    [row] = json_lines(res.stdout)
    assert row["source"] == "7" and len(row["explanation"]["strategic_trade_control"]["terms"]) == 3
    res = cli("tag", "--explain=page.html")
    assert res.returncode == 2 and "--explain --explain-terms K" in res.stderr.decode()


# --------------------------------------------------------------------------- #
# 6, 7. Help, Python/CLI parity


def test_no_arguments_prints_help():
    res = run_cli()
    assert res.returncode == 0
    out = res.stdout.decode()
    assert out.startswith("usage: customs-topics") and "tag" in out and "taxonomy" in out


def test_python_and_cli_give_the_same_id_and_scores(tmp_path):
    text = (DATA / "byline_story.txt").read_text("utf-8")
    [by_python] = load_model().tag(text)
    [by_file] = json_lines(run_cli("tag", DATA / "byline_story.txt").stdout)
    [by_stdin] = json_lines(run_cli("tag", input=text.encode()).stdout)
    assert by_python.id == by_file["id"] == by_stdin["id"]
    [article] = read_articles(DATA / "byline_story.txt")
    assert by_python.id == article.id
    # A str is an article without a title; the same Article the CLI reads scores the same in Python.
    assert load_model().tag(article)[0].scores == by_file["scores"] == by_stdin["scores"]


def test_seed_digest_path_works_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = seed_digest_path()
    assert path.is_absolute() and path.name == "wco_news_digest.txt"
    assert [a.title for a in read_articles(path)] == [a.title for a in read_articles(DIGEST)]


@pytest.mark.parametrize(
    "name",
    [
        "customs_topics.readers",
        "customs_topics.readers.sources",
        "customs_topics.readers.fields",
        "customs_topics.readers.digest",
        "customs_topics.readers.text",
        "customs_topics.readers.jsonl",
        "customs_topics.readers.csv",
        "customs_topics._resources",
    ],
)
def test_reader_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_output_rows_are_valid_json_lines(cli):
    res = cli("tag", DATA / "news.csv", "--text-field", "content", "--title-field", "headline")
    for line in res.stdout.decode().splitlines():
        assert isinstance(json.loads(line), dict)


def test_excel_csv_with_bom_crlf_and_semicolons(cli, tmp_path):
    path = tmp_path / "export.csv"
    rows = ["id;title;body", "e1;Pills seized;Customs seized 3,000 fake pills at the airport.", "e2;;Pistols seized."]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode("utf-8") + b"\r\n")
    a, b = read_articles(path)
    assert (a.id, a.title, a.body) == ("e1", "Pills seized", "Customs seized 3,000 fake pills at the airport.")
    assert (b.title, b.source) == ("", f"{path}:3")
    res = cli("tag", path)
    assert res.returncode == 0 and [r["id"] for r in json_lines(res.stdout)] == ["e1", "e2"]


def test_csv_from_stdin_needs_the_format(cli):
    data = b"title,body\nPistols seized,Officers found 40 pistols at the border.\n"
    res = cli("tag", "--format", "csv", input=data)
    [row] = json_lines(res.stdout)
    assert res.returncode == 0 and row["title"] == "Pistols seized" and row["source"] == "<stdin>:2"
    res = cli("tag", input=data)  # not guessed from content: one plain-text article
    [row] = json_lines(res.stdout)
    assert row["title"] == "title,body"


def test_a_page_with_several_articles_gives_each_its_line(tmp_path, monkeypatch):
    # The HTML reader may return several articles for a listing page: each gets "path:LINE" as source.
    from customs_topics.readers import READERS, Reader

    def listing(text, name, fields):
        yield 3, {"title": "Pistols seized", "body": "Officers found pistols.", "url": "https://x/1"}
        yield 9, {"title": "Pills seized", "body": "Customs seized pills."}

    monkeypatch.setitem(READERS, "html", Reader("html", (".html",), listing, streaming=False, multi=False))
    page = tmp_path / "listing.html"
    page.write_text("<html><body><article>...</article><article>...</article></body></html>", "utf-8")
    a, b = read_articles(page)
    assert (a.source, b.source) == (f"{page}:3", f"{page}:9")
    assert dict(a.meta) == {"url": "https://x/1"}  # extra keys a reader yields go into meta


def test_bundled_corpus_path_works_from_any_directory(tmp_path, monkeypatch):
    from customs_topics import bundled_corpus_path
    from customs_topics.corpus import bundled_corpus

    monkeypatch.chdir(tmp_path)
    ids = [a.id for a in read_articles(bundled_corpus_path())]
    assert len(ids) > 600 and set(ids) <= {a.id for a in bundled_corpus()}  # the corpus (plus the seed digest)


# --------------------------------------------------------------------------- #
# Exports that look like JSON Lines or HTML but are not quite


@pytest.mark.parametrize(
    "content",
    [
        '[\n  {"title": "Cocaine seized", "body": "Customs seized cocaine at the port."},\n'
        '  {"title": "Single window", "body": "The single window opened."}\n]\n',
        '[{"title": "Cocaine seized", "body": "Customs seized cocaine."}, {"title": "B", "body": "b"}]\n',
    ],
    ids=["pretty-printed", "one-line"],
)
def test_a_json_array_export_is_refused_as_a_whole_file(tmp_path, content):
    path = tmp_path / "export.json"
    path.write_text(content, "utf-8")
    with pytest.raises(InputError, match=r"a JSON array, not JSON Lines: expected one JSON object per line"):
        read_articles(path)
    res = run_cli("tag", path, "--on-error", "report")
    rows = json_lines(res.stdout)
    # One report row for the file; no element of the array is tagged as if it were a good record.
    assert res.returncode == 1 and len(rows) == 1 and "JSON array" in rows[0]["error"]
    assert "labels" not in rows[0]


def test_a_json_lines_line_that_is_a_plain_list_is_still_one_bad_record(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text('[1, 2]\n{"title": "Cocaine seized", "body": "Customs seized cocaine."}\n', "utf-8")
    res = run_cli("tag", path, "--on-error", "skip")
    assert res.returncode == 1 and [r["title"] for r in json_lines(res.stdout)] == ["Cocaine seized"]


def test_xhtml_with_an_xml_declaration_on_stdin_is_read_as_html():
    page = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html><html><head><title>Pistols seized | Border News'
        "</title></head><body><nav>Home News Contact</nav><article><h1>Pistols seized at the border</h1><p>Officers "
        "found 40 pistols and ammunition hidden in a truck at the border crossing.</p></article></body></html>"
    )
    assert detect_format("<stdin>", page) == "html"
    [row] = json_lines(run_cli("tag", input=page.encode()).stdout)
    assert row["title"] == "Pistols seized at the border" and "<" not in row["title"]
