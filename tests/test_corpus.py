"""Training data: load_labelled validation and the bundled corpus."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from conftest import BUILTIN_IDS, DIGEST, TRAIN_JSONL, write_jsonl

from customs_topics import DataError, load_taxonomy, read_articles
from customs_topics.corpus import (
    bundled_corpus,
    check_duplicate_ids,
    label_matrix,
    load_labelled,
    load_seed_digest,
    summarize,
)
from customs_topics.errors import InputError

GOOD = {"id": "g1", "title": "Customs seize cocaine", "body": "Officers seized 2 kg.", "labels": ["illicit_trade"]}


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"id": "g2", "title": "T", "body": "B", "labels": ["spam"]}, "labels", ["spam", "illicit_trade"]),
        (
            {"id": "g2", "title": "T", "body": "B", "labels": ["facilitation", "Facilitation"]},
            "labels",
            ["Facilitation"],
        ),
        ({"id": "g2", "title": "T", "body": "B"}, "labels", ["missing"]),
        ({"id": "g2", "title": "  ", "body": "\n", "labels": []}, "body", ["empty"]),
        ({"id": "g1", "title": "T", "body": "B", "labels": []}, "id", ["duplicate", "g1"]),
        ({"id": "g2", "title": "T", "body": "B", "labels": "facilitation"}, "labels", []),
        ({"id": "g2", "title": 5, "body": "B", "labels": []}, "title", []),
    ],
)
def test_load_labelled_errors_name_file_line_field(tmp_path, bad, field, words):
    path = write_jsonl(tmp_path / "data.jsonl", [GOOD, GOOD | {"id": "g0"}, bad])
    with pytest.raises(DataError) as info:
        load_labelled(path)
    err = info.value
    assert isinstance(err, InputError) and isinstance(err, ValueError)
    assert (err.source, err.line, err.field) == (str(path), 3, field)
    assert f"{path}:3" in str(err) and repr(field) in str(err)
    for word in words:
        assert word in str(err)


def test_load_labelled_malformed_json_is_data_error(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{oops\n", "utf-8")
    with pytest.raises(DataError) as info:
        load_labelled(path)
    assert (info.value.source, info.value.line) == (str(path), 2)


def test_load_labelled_accepts_good_records_and_empty_label_lists(tmp_path):
    rows = [
        GOOD,
        {"title": "WCO elects Secretary General", "body": "", "labels": []},
        {"title": "", "body": "Body only, AEO.", "labels": ["facilitation", "facilitation"], "event": "e1"},
    ]
    articles = load_labelled(write_jsonl(tmp_path / "d.jsonl", rows))
    assert [a.labels for a in articles] == [("illicit_trade",), (), ("facilitation",)]
    assert articles[0].id == "g1"
    assert articles[2].meta["event"] == "e1"


def test_load_labelled_from_stream_and_custom_taxonomy(tmp_path):
    tax_path = tmp_path / "tax.json"
    tax_path.write_text(
        json.dumps(
            {
                "extends": "customs-topics",
                "themes": [{"id": "food_safety", "name": "Food safety", "definition": "SPS."}],
            }
        ),
        "utf-8",
    )
    src = '{"title": "Rotten meat rejected", "body": "x", "labels": ["food_safety"]}\n'
    with pytest.raises(DataError, match="food_safety"):
        load_labelled(io.StringIO(src))
    [a] = load_labelled(io.StringIO(src), load_taxonomy(tax_path))
    assert a.labels == ("food_safety",)


def test_bundled_corpus_is_seed_digest_plus_train_jsonl():
    articles = bundled_corpus()
    raw = [json.loads(line) for line in TRAIN_JSONL.read_text("utf-8").splitlines() if line.strip()]
    assert len(raw) >= 1464  # the shared corpus: 615 earlier summaries plus the second collection
    assert len(articles) == 10 + len(raw)
    seeds, rest = articles[:10], articles[10:]
    gold = load_seed_digest()
    assert seeds == gold
    assert [a.title for a in seeds] == [a.title for a in read_articles(DIGEST)]
    assert len(rest) == len(raw)
    assert [a.id for a in rest] == [r["id"] for r in raw]
    assert all(a.meta["source_url"] == r["source_url"] for a, r in zip(rest, raw, strict=True))
    assert all(a.meta["event"] == r["event"] for a, r in zip(rest, raw, strict=True))
    assert all(a.labels is not None and set(a.labels) <= set(BUILTIN_IDS) for a in articles)
    assert len({a.id for a in articles}) == len(articles)


def test_seed_digest_gold_labels(gold):
    for article in load_seed_digest():
        assert article.labels == tuple(gold[article.title])
        assert article.meta["source"] == "seeds/wco_news_digest.txt"


def test_check_duplicate_ids_across_files(corpus):
    check_duplicate_ids(corpus)
    with pytest.raises(DataError, match="duplicate id"):
        check_duplicate_ids([*corpus[:3], corpus[1]])


def test_label_matrix():
    Y = label_matrix([["b"], [], ["a", "b"]], ["a", "b"])
    assert Y.dtype == np.int8
    assert Y.tolist() == [[0, 1], [0, 0], [1, 1]]
    with pytest.raises(DataError):
        label_matrix([["c"]], ["a", "b"])


def test_summarize_bundled_corpus(corpus):
    s = summarize(corpus, list(BUILTIN_IDS))
    assert s["articles"] == len(corpus)
    assert s["per_label"] == {t: sum(t in a.labels for a in corpus) for t in BUILTIN_IDS}
    assert s["no_label"] == sum(1 for a in corpus if not a.labels)
