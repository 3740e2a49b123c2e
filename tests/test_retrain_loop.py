"""The whole "Retraining with your own theme" loop of the README, through the CLI:
define a theme, suggest, label, train, evaluate, suggest again, tag.

The archive is the repository's own corpus file (real articles); labelling is
simulated by an analyst's rule (a headline about tobacco or cigarettes).
"""

from __future__ import annotations

import json
import re

from conftest import TRAIN_JSONL, json_lines, run_cli, write_jsonl

TOBACCO = re.compile(r"\b(tobacco|cigarettes?|cigars?|shisha|hookah)\b", re.I)
TAXONOMY = {
    "extends": "customs-topics",
    "themes": [
        {
            "id": "tobacco",
            "name": "Tobacco",
            "definition": "Smuggling, counterfeiting, taxation and control of tobacco products crossing borders.",
            "includes": ["cigarette smuggling", "illicit tobacco seizures", "tobacco excise and tax stamps"],
        }
    ],
}
NEWS = [
    {
        "id": "news-1",
        "title": "Port officers seize 4 million contraband cigarettes in container of furniture",
        "body": "Customs officers at the port found 4 million cigarettes without tax stamps hidden behind "
        "furniture in a container declared as household goods. The tobacco was destined for the black "
        "market, where it would have cost the treasury about 1.2 million in excise duties.",
    },
    {
        "id": "news-2",
        "title": "Single window cuts clearance times for perishable goods",
        "body": "The national single window now lets traders file import declarations and sanitary "
        "certificates once, online. Average clearance time for perishable goods fell from two days to "
        "six hours, the customs administration said.",
    },
]


def label(rows: list[dict]) -> list[dict]:
    """The analyst's pass over suggestions: add the theme where the story is about it."""
    return [{**r, "labels": [*r["labels"], "tobacco"] if TOBACCO.search(r["title"]) else r["labels"]} for r in rows]


def test_define_suggest_label_train_evaluate_suggest_again_tag(tmp_path):
    tax = tmp_path / "tobacco-taxonomy.json"
    tax.write_text(json.dumps(TAXONOMY), "utf-8")

    # 1. suggest a first batch for the new theme from the archive
    batch = tmp_path / "to-label.jsonl"
    res = run_cli("suggest", TRAIN_JSONL, "--theme", "tobacco", "--taxonomy", tax, "-n", "60", "--out", batch)
    assert res.returncode == 0, res.stderr.decode()
    first = json_lines(batch.read_bytes())
    assert len(first) == 60 and all(r["pick"] == "likely" for r in first)
    assert sum(bool(TOBACCO.search(r["title"])) for r in first[:20]) >= 12  # the best-ranked are mostly on target

    # 2. label it, 3. train with the bundled corpus (the ids relabel bundled articles)
    labelled = write_jsonl(tmp_path / "labelled.jsonl", label(first))
    n_tobacco = sum("tobacco" in r["labels"] for r in label(first))
    model = tmp_path / "tobacco-model"
    res = run_cli(
        "train", "--data", labelled, "--with-bundled-corpus", "--taxonomy", tax, "--out", model, "--folds", "0"
    )
    assert res.returncode == 0, res.stderr.decode()

    # 4. evaluate: cross-validation of the extended taxonomy on the same data
    res = run_cli("evaluate", "--data", labelled, "--with-bundled-corpus", "--taxonomy", tax, "--folds", "3", "--json")
    assert res.returncode == 0, res.stderr.decode()
    report = json.loads(res.stdout)
    assert report["per_label"]["tobacco"]["support"] == n_tobacco
    assert report["per_label"]["tobacco"]["f1"] > 0.5

    # 5. suggest again with the new model: the next batch, likely and uncertain, none already labelled
    res = run_cli("suggest", TRAIN_JSONL, "--theme", "tobacco", "--model", model, "--exclude", labelled, "-n", "40")
    assert res.returncode == 0, res.stderr.decode()
    second = json_lines(res.stdout)
    assert len(second) == 40 and {r["pick"] for r in second} == {"likely", "uncertain"}
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    assert all("tobacco" not in r["labels"] for r in second)

    # 6. label the second batch too and retrain on both
    labelled = write_jsonl(tmp_path / "labelled.jsonl", label(first) + label(second))
    res = run_cli(
        "train", "--data", labelled, "--with-bundled-corpus", "--taxonomy", tax, "--out", model, "--folds", "0"
    )
    assert res.returncode == 0, res.stderr.decode()

    # 7. tag new articles with the model
    news = write_jsonl(tmp_path / "news.jsonl", NEWS)
    res = run_cli("tag", news, "--model", model)
    assert res.returncode == 0, res.stderr.decode()
    tags = {r["id"]: r for r in json_lines(res.stdout)}
    assert "tobacco" in tags["news-1"]["labels"], tags["news-1"]
    assert "tobacco" not in tags["news-2"]["labels"] and "facilitation" in tags["news-2"]["labels"]
    assert set(tags["news-1"]["scores"]) == {
        "illicit_trade",
        "strategic_trade_control",
        "facilitation",
        "health_goods",
        "tobacco",
    }
