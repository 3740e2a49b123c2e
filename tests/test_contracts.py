"""Promises found missing by a fresh read of the README, kept by tests."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from conftest import run_cli, write_jsonl

from customs_topics import (
    CustomsTopicsError,
    DataError,
    InputError,
    ModelError,
    SourceError,
    load_model,
    load_taxonomy,
    read_articles,
    train,
)
from customs_topics.corpus import bundled_corpus, training_data


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), "x", True, None])
def test_threshold_overrides_must_be_probabilities(model, bad):
    with pytest.raises(InputError, match="from 0 to 1"):
        model.predict(["cocaine seized"], thresholds={"facilitation": bad})


def test_cli_rejects_out_of_range_threshold(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"title": "t", "body": "cocaine seized"}])
    res = run_cli("tag", str(path), "--threshold", "health_goods=1.5")
    err = res.stderr.decode()
    assert res.returncode == 2 and "from 0 to 1" in err and "Traceback" not in err


def test_every_library_error_has_location_attributes(tmp_path):
    errors: list[CustomsTopicsError] = []
    for call in (
        lambda: read_articles(tmp_path / "missing.jsonl"),
        lambda: read_articles(tmp_path),
        lambda: load_model(tmp_path),
        lambda: read_articles(io.StringIO("{"), format="jsonl"),
    ):
        with pytest.raises(CustomsTopicsError) as info:
            call()
        errors.append(info.value)
    assert isinstance(errors[0], SourceError) and errors[0].source == str(tmp_path / "missing.jsonl")
    assert errors[0].reason == "no such file"
    assert isinstance(errors[2], ModelError) and errors[2].source is not None
    for e in errors:
        assert hasattr(e, "line") and hasattr(e, "field") and e.reason


def test_parallel_scoring_after_the_model_was_used():
    model = load_model().set_params(n_jobs=2)
    texts = [f"{a.title}\n\n{a.body}" for a in bundled_corpus()] * 4
    model.predict(texts[:10])  # the scorer now holds learned words
    parallel = model.predict_proba(texts)
    np.testing.assert_allclose(parallel, load_model().predict_proba(texts), rtol=0, atol=1e-12)


def test_html_body_is_the_longest_article_not_the_sidebar():
    html = """<html><head><title>x | News</title></head><body><nav>Health goods</nav><main>
    <article><h3>Related: fake vaccines seized</h3></article>
    <article><h1>Customs seize cocaine</h1><p>Officers found cocaine in bananas at the port.</p></article>
    <aside>Health goods: fake vaccines seized</aside><section>Related: fake vaccines</section></main></body></html>"""
    article = read_articles(io.StringIO(html), format="html")[0]
    assert article.title == "Customs seize cocaine"
    assert article.body == "Officers found cocaine in bananas at the port."


def test_html_meta_charset_is_honoured():
    page = (
        '<html><head><meta charset="windows-1252"></head><body><p>m\xe9dicaments \x93falsifi\xe9s\x94</p></body></html>'
    )
    article = read_articles(io.BytesIO(page.encode("latin-1")), format="html")[0]
    assert article.body == "médicaments “falsifiés”"


def test_taxonomy_command_prints_the_decisions():
    res = run_cli("taxonomy")
    assert res.returncode == 0
    for decision in load_taxonomy().decisions:
        assert decision in res.stdout.decode()


def test_relabelling_a_bundled_article_by_id(tmp_path):
    bundled = {a.id: a for a in bundled_corpus()}
    target = bundled["s1-027"]
    tax = tmp_path / "tax.json"
    tax.write_text(
        json.dumps(
            {
                "extends": "customs-topics",
                "themes": [{"id": "pills", "name": "Pills", "definition": "Pills crossing borders."}],
            }
        )
    )
    rows = [{"id": "s1-027", "title": target.title, "body": target.body, "labels": [*target.labels, "pills"]}]
    data = training_data([write_jsonl(tmp_path / "mine.jsonl", rows)], tax, bundled=True)
    assert len(data) == len(bundled)  # replaced, not added
    assert next(a for a in data if a.id == "s1-027").labels == (*target.labels, "pills")


def test_duplicate_id_across_files_names_both_places(tmp_path):
    row = {"id": "x1", "title": "t", "body": "b", "labels": []}
    a = write_jsonl(tmp_path / "a.jsonl", [row])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "x0", "title": "t", "body": "c", "labels": []}, row])
    with pytest.raises(DataError) as info:
        training_data([a, b])
    assert info.value.source == str(b) and info.value.line == 2 and info.value.field == "id"
    assert f"{a}:1" in str(info.value)


def test_train_with_bundled_corpus_and_a_taxonomy_path(tmp_path):
    tax = tmp_path / "tax.json"
    tax.write_text(
        json.dumps(
            {
                "extends": "customs-topics",
                "themes": [
                    {"id": "food_safety", "name": "Food safety", "definition": "SPS controls on food at the border."}
                ],
            }
        )
    )
    foods = [
        {
            "id": f"f{i}",
            "title": f"Border inspectors recall contaminated {f}",
            "body": f"Sanitary inspection found "
            f"salmonella in imported {f}; the consignment was destroyed at the border post.",
            "labels": ["food_safety"],
        }
        for i, f in enumerate(
            ["chicken", "eggs", "spinach", "shrimp", "beef", "cheese", "lettuce", "pork", "milk", "fish"]
        )
    ]
    path = write_jsonl(tmp_path / "food.jsonl", foods)
    model = train([path], tax, bundled=True, cv_folds=0)
    assert "food_safety" in model.labels
    assert "food_safety" in model.predict(["Inspectors found salmonella in imported turkey and recalled it."])[0]
    assert load_taxonomy(tax).name == "customs-topics (extended)"


def test_articles_relabel_bundled_ones_like_file_records():
    from customs_topics.trainer import _load_data

    bundled = bundled_corpus()
    relabelled = bundled[20].__class__(bundled[20].id, bundled[20].title, bundled[20].body, (), {})
    articles, _ = _load_data([relabelled], load_taxonomy(), bundled=True)
    assert len(articles) == len(bundled) and articles[20].labels == ()
    with pytest.raises(DataError, match=r"duplicate id .*first on data\[0\]"):
        _load_data([relabelled, relabelled], load_taxonomy(), bundled=False)
