"""suggest: finding the archive articles most worth labelling next, for a known or a new theme."""

from __future__ import annotations

import json
import re

import pytest
from conftest import BUILTIN_IDS, json_lines, run_cli, write_jsonl

from customs_topics import Article, InputError
from customs_topics.corpus import load_labelled
from customs_topics.suggest import labelled_ids, read_archive, suggest
from customs_topics.taxonomy import Taxonomy, Theme, load_taxonomy

TOBACCO = re.compile(r"\b(tobacco|cigarettes?|cigars?|shisha|hookah)\b", re.I)
TOBACCO_THEME = Theme(
    "tobacco",
    "Tobacco",
    "Smuggling, counterfeiting, taxation and control of tobacco products crossing borders.",
    ("cigarette smuggling", "illicit tobacco seizures"),
)


def about_tobacco(row) -> bool:
    return bool(TOBACCO.search(row["title"]))


@pytest.fixture(scope="module")
def archive(corpus, tmp_path_factory):
    """The bundled corpus as an unlabelled archive (labels removed), plus one copy of a story under another id."""
    rows = []
    for a in corpus:
        row = a.to_dict()
        row.pop("labels")
        rows.append(row)
    twin = next(r for r in rows if about_tobacco(r))
    rows.append({**twin, "id": "twin-of-" + twin["id"]})
    return write_jsonl(tmp_path_factory.mktemp("archive") / "archive.jsonl", rows), twin["id"]


@pytest.fixture(scope="module")
def taxonomy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tax") / "tobacco-taxonomy.json"
    path.write_text(json.dumps({"extends": "customs-topics", "themes": [TOBACCO_THEME.to_dict()]}), "utf-8")
    return path


def test_new_theme_suggestions_are_mostly_about_it(archive, taxonomy_file, model):
    path, twin = archive
    rows = suggest(read_archive([path]), "tobacco", taxonomy=taxonomy_file, n=20, model=model)
    assert len(rows) == 20
    hits = sum(about_tobacco(r) for r in rows)
    share = sum(about_tobacco(r) for r in json_lines(path.read_bytes())) / len(json_lines(path.read_bytes()))
    assert hits >= 12 and hits / 20 > 10 * share  # far above the archive's base rate
    assert {r["pick"] for r in rows} == {"likely"}  # no threshold yet for a new theme
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == 20 and not ({twin, "twin-of-" + twin} <= set(ids))  # near-duplicates dropped
    for r in rows:
        assert r["suggested_for"] == "tobacco" and "tobacco" not in r["labels"]
        assert set(r["labels"]) <= set(BUILTIN_IDS) and r["title"] and "event" in r


def test_known_theme_mixes_likely_and_uncertain(archive, model):
    path, _ = archive
    rows = suggest(read_archive([path]), "health_goods", n=10, model=model)
    likely = [r for r in rows if r["pick"] == "likely"]
    uncertain = [r for r in rows if r["pick"] == "uncertain"]
    assert len(likely) == 5 and len(uncertain) == 5 and rows[:5] == likely
    t = model.thresholds["health_goods"]
    assert min(r["score"] for r in likely) > max(t, max(abs(r["score"] - t) for r in uncertain) + t)
    assert all(abs(r["score"] - t) < 0.2 for r in uncertain)
    # the labels are the model's predictions for the other themes
    arts = {a.id: a for a in read_archive([path])}
    predicted = model.predict([arts[r["id"]] for r in rows])
    assert [r["labels"] for r in rows] == [[t for t in p if t != "health_goods"] for p in predicted]
    assert suggest(read_archive([path]), "health_goods", n=4, model=model, uncertain_share=0.0)[0]["pick"] == "likely"


def test_excluded_and_already_labelled_articles_are_not_suggested_again(archive, model, tmp_path):
    path, _ = archive
    first = suggest(read_archive([path]), "health_goods", n=8, model=model)
    done = write_jsonl(tmp_path / "labelled.jsonl", first)
    second = suggest(read_archive([path]), "health_goods", n=8, model=model, exclude=labelled_ids([done]))
    assert len(second) == 8 and not {r["id"] for r in first} & {r["id"] for r in second}
    labelled = [
        Article.from_text("Fake vaccines seized", "Customs seized fake COVID-19 vaccines.", labels=["health_goods"])
    ]
    unlabelled = [Article.from_text("Vaccine fraud", "Customs seized fake COVID-19 vaccines and test kits.")]
    rows = suggest(labelled + unlabelled, "health_goods", n=5, model=model)
    assert [r["id"] for r in rows] == [unlabelled[0].id]


def test_suggest_errors(model):
    arts = [Article.from_text("Cigarettes seized", "Customs seized 2 million cigarettes.")]
    with pytest.raises(InputError, match=r"unknown theme 'tobacco'.*--taxonomy FILE"):
        suggest(arts, "tobacco", model=model)
    with pytest.raises(InputError, match="unknown theme 'wildlife'"):
        suggest(arts, "wildlife", model=model, taxonomy=Taxonomy((TOBACCO_THEME,)))
    with pytest.raises(InputError, match="n must be a positive integer"):
        suggest(arts, "health_goods", model=model, n=0)
    with pytest.raises(InputError, match="no articles"):
        suggest([], "health_goods", model=model)
    with pytest.raises(InputError, match="already labelled"):
        suggest(arts, "health_goods", model=model, exclude=[arts[0].id])


def test_cli_suggest_out_file_is_training_data(archive, taxonomy_file, tmp_path):
    path, _ = archive
    out = tmp_path / "to-label.jsonl"
    res = run_cli("suggest", path, "--theme", "tobacco", "--taxonomy", taxonomy_file, "-n", "5", "--out", out)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"" and "5 suggestion(s)" in res.stderr.decode()
    assert [p.name for p in tmp_path.iterdir()] == ["to-label.jsonl"]  # no temporary file left behind
    articles = load_labelled(out, load_taxonomy(taxonomy_file))
    assert len(articles) == 5 and all(a.meta["suggested_for"] == "tobacco" for a in articles)
    res = run_cli("suggest", path, "--theme", "tobacco", "--taxonomy", taxonomy_file, "-n", "3", "--exclude", out)
    again = json_lines(res.stdout)
    assert res.returncode == 0 and len(again) == 3
    assert not {a.id for a in articles} & {r["id"] for r in again}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--theme", "tobacco"], "--taxonomy FILE"),
        (["--theme", "health_goods", "-n", "0"], "expected a positive integer"),
        (["--theme", "health_goods", "--uncertain-share", "2"], "from 0 to 1"),
    ],
)
def test_cli_suggest_errors(archive, argv, message, tmp_path):
    path, _ = archive
    res = run_cli("suggest", path, *argv, "--out", tmp_path / "o.jsonl")
    err = res.stderr.decode()
    assert res.returncode == 2 and message in err.splitlines()[0] and "Traceback" not in err
    assert not (tmp_path / "o.jsonl").exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    res = run_cli("suggest", empty, "--theme", "health_goods")
    assert res.returncode == 2 and f"{empty}: the archive has no articles" in res.stderr.decode()


def test_suggest_reads_other_formats(model):
    from conftest import DIGEST

    rows = suggest(read_archive([DIGEST]), "health_goods", n=3, model=model)
    assert len(rows) == 3 and all(r["title"] for r in rows)


def test_cli_suggest_help():
    res = run_cli("suggest", "--help")
    out = res.stdout.decode()
    assert res.returncode == 0 and out.startswith("usage: customs-topics suggest")
    for option in ("--theme", "--taxonomy", "--model", "-n", "--out", "--exclude"):
        assert option in out


def test_cli_suggest_reads_a_csv_export_with_its_own_column_names(tmp_path):
    from pathlib import Path

    export = Path(__file__).parent / "data" / "inputs" / "news.csv"  # id,headline,content,url,date
    res = run_cli(
        "suggest", export, "--theme", "illicit_trade", "-n", "2", "--title-field", "headline", "--text-field", "content"
    )
    rows = json_lines(res.stdout)
    assert res.returncode == 0 and len(rows) == 2
    assert all(r["id"].startswith("csv-") and r["body"] and r["suggested_for"] == "illicit_trade" for r in rows)
    assert {"url", "date"} <= set(rows[0])  # the export's other columns stay with the article
    plain = run_cli("suggest", export, "--theme", "illicit_trade", "-n", "2")
    assert plain.returncode == 2 and "--text-field" in plain.stderr.decode()
