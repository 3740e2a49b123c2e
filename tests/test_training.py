"""Retraining with an extended taxonomy, training errors, evaluation and the model card."""

from __future__ import annotations

import json
import re

import pytest
from conftest import BUILTIN_IDS, DEFAULT_MODEL, FOOD_EXAMPLE, food_rows, run_cli, write_jsonl

import customs_topics
from customs_topics import DataError, load_model, load_taxonomy, save_model
from customs_topics.trainer import cross_validate, evaluate

FOOD_IDS = (*BUILTIN_IDS, "food_safety")


def test_train_with_extended_taxonomy_api(food_model, tmp_path):
    m = food_model
    assert m.labels == list(FOOD_IDS)
    assert "food_safety" in m.predict(FOOD_EXAMPLE)[0]
    assert m.predict("Customs seized 2 tonnes of cocaine hidden in banana boxes.") == [["illicit_trade"]]
    info = m.info_
    assert info["training_data"]["per_label"]["food_safety"] == 12
    assert "cv" not in info
    out = tmp_path / "food-model"
    save_model(m, out)
    loaded = load_model(out)
    assert loaded.labels == list(FOOD_IDS)
    assert loaded.taxonomy_["food_safety"].name == "Food safety"
    assert loaded.predict([FOOD_EXAMPLE, "Single Window speeds clearance"]) == m.predict(
        [FOOD_EXAMPLE, "Single Window speeds clearance"]
    )


def test_train_accepts_articles_and_taxonomy_object(food_files):
    tax_path, data = food_files
    tax = load_taxonomy(tax_path)
    articles = customs_topics.read_articles(data)
    m = customs_topics.train(articles, tax, cv_folds=0, threshold_folds=2)
    assert m.labels == list(FOOD_IDS)
    assert "food_safety" in m.predict(FOOD_EXAMPLE)[0]


def test_cli_train_with_extended_taxonomy(food_files, tmp_path):
    tax, data = food_files
    out = tmp_path / "cli-model"
    res = run_cli("train", "--data", data, "--taxonomy", tax, "--out", out, "--folds", "0", "--quiet")
    assert res.returncode == 0, res.stderr.decode()
    assert str(out) in res.stderr.decode()
    assert {"model.json", "weights.npz", "terms.json", "MODEL_CARD.md"} <= {p.name for p in out.iterdir()}
    m = load_model(out)
    assert m.labels == list(FOOD_IDS)
    assert "food_safety" in m.predict(FOOD_EXAMPLE)[0]
    assert m.info_["data_files"] == [str(data)]
    card = (out / "MODEL_CARD.md").read_text("utf-8")
    assert "`food_safety`" in card and "Food safety" in card


def test_cli_train_with_cross_validation_prints_report(food_files, tmp_path):
    tax, data = food_files
    out = tmp_path / "cv-model"
    res = run_cli("train", "--data", data, "--taxonomy", tax, "--out", out, "--folds", "2", "--json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    assert set(report["per_label"]) == set(FOOD_IDS)
    assert report["n_articles"] == len(data.read_text("utf-8").splitlines())
    m = load_model(out)
    assert m.info_["cv_folds"] == 2
    assert m.info_["cv"]["per_label"] == report["per_label"]


def test_labels_not_in_taxonomy_is_data_error_naming_label(food_files):
    _, data = food_files
    with pytest.raises(DataError) as info:
        customs_topics.train(data, cv_folds=0, threshold_folds=2)
    assert "food_safety" in str(info.value)
    assert info.value.source == str(data) and info.value.field == "labels" and info.value.line is not None
    with pytest.raises(DataError, match="food_safety"):
        customs_topics.train(customs_topics.read_articles(data), cv_folds=0, threshold_folds=2)


@pytest.mark.parametrize("n_food", [0, 1])
def test_too_few_examples_of_a_theme_is_data_error_naming_it(food_files, corpus, tmp_path, n_food):
    tax, _ = food_files
    rows = [r for r in food_rows(corpus) if not r["id"].startswith("food-")]
    rows += [r for r in food_rows(corpus) if r["id"].startswith("food-")][:n_food]
    data = write_jsonl(tmp_path / "few.jsonl", rows)
    with pytest.raises(DataError) as info:
        customs_topics.train(data, tax, cv_folds=0, threshold_folds=2)
    assert "food_safety" in str(info.value)
    assert not any(t in str(info.value) for t in BUILTIN_IDS)
    res = run_cli("train", "--data", data, "--taxonomy", tax, "--out", tmp_path / "never", "--folds", "0")
    assert res.returncode == 2
    err = res.stderr.decode()
    assert "food_safety" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_cli_train_without_data_fails(tmp_path):
    res = run_cli("train", "--out", tmp_path / "m", "--folds", "0")
    assert res.returncode == 2
    assert "no training data" in res.stderr.decode()


# --------------------------------------------------------------------------- #
# Evaluation

_ROW = re.compile(r"^\| (.+?) \| (\d\.\d{3}) \| (\d\.\d{3}) \| (\d\.\d{3}) \|\s*(\d*)\s*\|$")


def parse_table(text: str) -> dict[str, tuple[float, float, float]]:
    rows = {}
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if m:
            rows[m.group(1)] = tuple(float(m.group(i)) for i in (2, 3, 4))
    return rows


def test_cli_evaluate_cross_validation_table(small_jsonl):
    res = run_cli("evaluate", "--data", small_jsonl, "--folds", "3", "--quiet")
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    assert "3-fold" in out and str(small_jsonl) in out
    rows = parse_table(out)
    assert set(rows) == {*BUILTIN_IDS, "*micro avg*", "*macro avg*"}
    for label in BUILTIN_IDS:
        p, r, f = rows[label]
        assert 0 <= p <= 1 and 0 <= r <= 1 and 0 <= f <= 1
        assert f > 0.2, (label, rows[label])


def test_cli_evaluate_json_matches_api(small_jsonl, small_corpus):
    res = run_cli("evaluate", "--data", small_jsonl, "--folds", "3", "--json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    assert set(report["per_label"]) == set(BUILTIN_IDS)
    assert report["n_articles"] == len(small_corpus)
    for avg in ("micro", "macro"):
        assert set(report[avg]) == {"precision", "recall", "f1"}
    supports = {t: sum(t in a.labels for a in small_corpus) for t in BUILTIN_IDS}
    assert {t: v["support"] for t, v in report["per_label"].items()} == supports


def test_cross_validate_api_predictions_cover_every_article(small_corpus):
    from customs_topics import TopicClassifier

    report = cross_validate(TopicClassifier(themes=list(BUILTIN_IDS), threshold_folds=2), small_corpus, 3)
    assert len(report["predictions"]) == len(report["folds"]) == len(small_corpus)
    assert set(report["folds"]) == {0, 1, 2}
    # folds keep events together
    by_event: dict[str, set[int]] = {}
    for a, fold in zip(small_corpus, report["folds"], strict=True):
        by_event.setdefault(a.meta.get("event", a.id), set()).add(fold)
    assert all(len(folds) == 1 for folds in by_event.values())


def test_cli_evaluate_test_file_with_model(small_jsonl, small_corpus, model):
    res = run_cli("evaluate", "--test", small_jsonl, "--model", DEFAULT_MODEL, "--json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    expected = evaluate(model, small_corpus)
    assert report == json.loads(json.dumps(expected))
    assert report["n_articles"] == len(small_corpus)
    res = run_cli("evaluate", "--test", small_jsonl)
    assert res.returncode == 0
    rows = parse_table(res.stdout.decode())
    for label in BUILTIN_IDS:
        assert rows[label][2] == pytest.approx(expected["per_label"][label]["f1"], abs=6e-4)


def test_evaluate_trained_model_on_held_out_file(food_model, tmp_path):
    out = tmp_path / "food"
    save_model(food_model, out)
    held_out = write_jsonl(
        tmp_path / "held.jsonl",
        [
            {"title": "Inspectors reject contaminated mussels", "body": FOOD_EXAMPLE, "labels": ["food_safety"]},
            {
                "title": "Port seizure",
                "body": "Customs seized cocaine hidden in banana boxes.",
                "labels": ["illicit_trade"],
            },
        ],
    )
    res = run_cli("evaluate", "--test", held_out, "--model", out, "--json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    assert report["per_label"]["food_safety"]["support"] == 1
    assert report["per_label"]["food_safety"]["recall"] == 1.0


def test_evaluate_test_file_with_unknown_theme_fails(tmp_path):
    data = write_jsonl(tmp_path / "t.jsonl", [{"title": "T", "body": "B", "labels": ["food_safety"]}])
    res = run_cli("evaluate", "--test", data)
    assert res.returncode == 2
    assert "food_safety" in res.stderr.decode() and "Traceback" not in res.stderr.decode()


# --------------------------------------------------------------------------- #
# The bundled model card


def test_bundled_model_card_matches_model_json():
    doc = json.loads((DEFAULT_MODEL / "model.json").read_text("utf-8"))
    card = (DEFAULT_MODEL / "MODEL_CARD.md").read_text("utf-8")
    # thresholds
    for label, threshold in zip(doc["labels"], doc["thresholds"], strict=True):
        m = re.search(rf"^\| `{label}` \| [^|]+ \| (\d\.\d{{3}}) \|", card, re.M)
        assert m, label
        assert float(m.group(1)) == pytest.approx(threshold, abs=5e-4)
    # cross-validated per-label numbers
    rows = parse_table(card)
    cv = doc["info"]["cv"]["per_label"]
    assert set(cv) == set(doc["labels"])
    for label, metrics in cv.items():
        p, r, f = rows[label]
        assert p == pytest.approx(metrics["precision"], abs=5e-4)
        assert r == pytest.approx(metrics["recall"], abs=5e-4)
        assert f == pytest.approx(metrics["f1"], abs=5e-4)
    # training-data counts
    for label, n in doc["info"]["training_data"]["per_label"].items():
        assert f"| `{label}` | {n} |" in card


def test_bundled_model_card_is_generated_from_model_json():
    from customs_topics.model_card import render_card

    doc = json.loads((DEFAULT_MODEL / "model.json").read_text("utf-8"))
    assert render_card(doc) == (DEFAULT_MODEL / "MODEL_CARD.md").read_text("utf-8")


def test_bundled_model_training_summary_matches_bundled_corpus(corpus):
    from customs_topics.corpus import summarize

    doc = json.loads((DEFAULT_MODEL / "model.json").read_text("utf-8"))
    assert doc["info"]["training_data"] == summarize(corpus, doc["labels"])


def test_train_from_several_files_rejects_ids_duplicated_across_files(tmp_path, corpus):
    rows = [a.to_dict() for a in corpus[10:40]]
    first = write_jsonl(tmp_path / "a.jsonl", rows)
    second = write_jsonl(tmp_path / "b.jsonl", rows[:1])
    with pytest.raises(DataError, match="duplicate id") as info:
        customs_topics.train([first, second], cv_folds=0, threshold_folds=2)
    assert rows[0]["id"] in str(info.value)


# --------------------------------------------------------------------------- #
# Honest evaluation, usage errors and what-to-do messages (issue 11)

TOBACCO_TAXONOMY = {
    "extends": "customs-topics",
    "themes": [
        {
            "id": "tobacco",
            "name": "Tobacco",
            "definition": "Smuggling, counterfeiting, taxation and control of tobacco products crossing borders.",
            "includes": ["cigarette smuggling", "illicit tobacco seizures"],
        }
    ],
}


def tobacco_rows(corpus) -> list[dict]:
    """Bundled articles whose headline is about tobacco or cigarettes, relabelled with a new 'tobacco' theme."""
    words = ("tobacco", "cigarette", "cigar", "shisha", "hookah")
    return [
        {**a.to_dict(), "labels": [*a.labels, "tobacco"]} for a in corpus if any(w in a.title.lower() for w in words)
    ]


@pytest.fixture(scope="module")
def tobacco_files(tmp_path_factory, corpus):
    d = tmp_path_factory.mktemp("tobacco")
    tax = d / "tobacco-taxonomy.json"
    tax.write_text(json.dumps(TOBACCO_TAXONOMY), "utf-8")
    rows = tobacco_rows(corpus)
    assert len(rows) >= 10  # the corpus has a few dozen tobacco stories
    return tax, write_jsonl(d / "mine.jsonl", rows), rows


def test_evaluate_themes_without_test_examples_are_na_and_out_of_macro(tmp_path, corpus, model):
    rows = [a.to_dict() for a in corpus[10:] if set(a.labels) <= {"illicit_trade"}][:25]
    assert any(r["labels"] for r in rows)
    test = write_jsonl(tmp_path / "illicit-only.jsonl", rows)
    res = run_cli("evaluate", "--test", test, "--json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    absent = [t for t in BUILTIN_IDS if t != "illicit_trade"]
    assert report["no_support"] == absent
    for theme in absent:
        m = report["per_label"][theme]
        assert m["support"] == 0 and m["recall"] is None and m["f1"] is None
        assert (m["precision"] is None) == (m["predicted"] == 0)
    assert report["macro"]["f1"] == pytest.approx(report["per_label"]["illicit_trade"]["f1"])
    table = run_cli("evaluate", "--test", test).stdout.decode()
    for theme in absent:
        assert re.search(rf"^\| {theme} \| (n/a|0\.000) \| n/a \| n/a \| 0 \|$", table, re.M), table
    assert "Macro average over 1 of 4 themes" in table and "no examples in the test data (n/a, left out)" in table
    assert "| illicit_trade | " in table and f"| {len(rows) - sum(not r['labels'] for r in rows)} |" in table


def test_evaluate_cross_validates_extended_taxonomy_with_bundled_corpus(tobacco_files):
    tax, data, rows = tobacco_files
    res = run_cli(
        "evaluate", "--data", data, "--with-bundled-corpus", "--taxonomy", tax, "--folds", "2", "--json", "--quiet"
    )
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    assert list(report["per_label"]) == [*BUILTIN_IDS, "tobacco"]
    assert report["per_label"]["tobacco"]["support"] == len(rows)  # relabelled bundled articles, not added twice
    assert report["n_articles"] == len(customs_topics.corpus.bundled_corpus())
    assert report["per_label"]["tobacco"]["f1"] > 0.5
    assert report["no_support"] == []


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["evaluate", "--folds", "0"], "from 2 up"),
        (["evaluate", "--folds", "1"], "from 2 up"),
        (["evaluate", "--folds", "x"], "from 2 up"),
        (["train", "--out", "M", "--folds", "1"], "0 (no cross-validation) or an integer from 2 up"),
        (["train", "--out", "M", "--folds", "-3"], "0 (no cross-validation) or an integer from 2 up"),
        (["train", "--out", "M", "--C", "0"], "greater than 0"),
        (["evaluate", "--C", "-1"], "greater than 0"),
        (["evaluate", "--C", "inf"], "greater than 0"),
    ],
)
def test_bad_option_values_are_usage_errors_naming_the_range(argv, allowed, tmp_path):
    res = run_cli(*[str(tmp_path / a) if a == "M" else a for a in argv])
    err = res.stderr.decode()
    assert res.returncode == 2 and res.stdout == b""
    assert len(err.splitlines()) == 1 and err.startswith(f"customs-topics {argv[0]}: error: argument ")
    assert allowed in err.splitlines()[0] and "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "M").exists()


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_too_many_folds_names_counts_and_the_largest_that_works(command, tmp_path, corpus):
    argv = [command, "--folds", "1000"] + (
        ["--with-bundled-corpus", "--out", tmp_path / "m"] if command == "train" else []
    )
    res = run_cli(*argv)
    err = res.stderr.decode().strip()
    assert res.returncode == 2 and len(err.splitlines()) == 1 and "internal error" not in err
    fewest = min(BUILTIN_IDS, key=lambda t: sum(t in a.labels for a in corpus))
    n = sum(fewest in a.labels for a in corpus)
    assert f"{fewest} has {n} examples ({n} in the bundled corpus); --folds 1000 needs at least 1000" in err
    assert f"use --folds {n} or fewer" in err


def test_too_few_examples_quote_the_users_file_and_folds(tobacco_files, tmp_path):
    tax, _, rows = tobacco_files
    four = write_jsonl(tmp_path / "mine.jsonl", rows[:4])
    res = run_cli("train", "--data", four, "--taxonomy", tax, "--with-bundled-corpus", "--out", tmp_path / "m")
    err = res.stderr.decode().strip()
    assert res.returncode == 2 and len(err.splitlines()) == 1
    assert (
        f"tobacco has 4 examples (4 in {four}); --folds 5 needs at least 5 of each theme: label at least 1 more" in err
    )
    assert "--folds 0" in err and "threshold tuning" not in err
    assert not (tmp_path / "m").exists()
    with pytest.raises(DataError, match=r"tobacco has 4 examples .*; cv_folds=5 needs at least 5"):
        customs_topics.train([four], tax, bundled=True)


def test_unknown_theme_hints_at_taxonomy(tobacco_files, tmp_path):
    _, data, _ = tobacco_files
    res = run_cli("train", "--data", data, "--with-bundled-corpus", "--out", tmp_path / "m", "--folds", "0")
    err = res.stderr.decode()
    assert res.returncode == 2 and "unknown theme 'tobacco'" in err and "--taxonomy FILE" in err
    res = run_cli("evaluate", "--test", data)
    err = res.stderr.decode()
    assert res.returncode == 2 and "unknown theme 'tobacco'" in err and "--model DIR" in err


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_extending_taxonomy_without_bundled_corpus_hints(command, tobacco_files, tmp_path):
    tax, data, _ = tobacco_files
    extra = ["--out", tmp_path / "m"] if command == "train" else []
    res = run_cli(command, "--data", data, "--taxonomy", tax, *extra)
    err = res.stderr.decode().strip()
    assert res.returncode == 2 and len(err.splitlines()) == 1
    # built-in themes with no (or too few) examples in the user's file: the hint names the option
    assert str(data) in err and "add --with-bundled-corpus" in err


@pytest.mark.parametrize("option", [["--with-bundled-corpus"], ["--taxonomy", "x.json"], ["--data", "x.jsonl"]])
def test_evaluate_test_file_refuses_cross_validation_options(option, small_jsonl):
    res = run_cli("evaluate", "--test", small_jsonl, *option)
    err = res.stderr.decode().strip()
    assert res.returncode == 2 and len(err.splitlines()) == 1
    assert f"{option[0]} is for cross-validation" in err
