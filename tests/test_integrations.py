"""pandas (customs_topics.frame) and Dask (customs_topics.dask) integrations.

The Dask tests start a real ``dask.distributed.LocalCluster`` with two worker
processes; they are skipped when dask/distributed are not installed.
"""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from customs_topics import Article, InputError, ModelError, load_model
from customs_topics.persistence import bundled_model_path

pd = pytest.importorskip("pandas")

from customs_topics.frame import output_columns, tag_frame  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TRAIN_JSONL = REPO / "seeds" / "corpus" / "train.jsonl"
DEFAULT_MODEL = REPO / "models" / "default"
THEMES = ["illicit_trade", "strategic_trade_control", "facilitation", "health_goods"]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def _articles(df: pd.DataFrame, text: str = "body", title: str | None = "title") -> list[Article]:
    def s(v):
        return v if isinstance(v, str) else ""

    titles = df[title].tolist() if title else [""] * len(df)
    return [Article(None, s(t), s(b)) for t, b in zip(titles, df[text].tolist())]


def _same_buffer(a: pd.Series, b: pd.Series) -> bool:
    """True when two Series are backed by the same memory (numpy or Arrow)."""
    arr_a, arr_b = a.array, b.array
    pa_a, pa_b = getattr(arr_a, "_pa_array", None), getattr(arr_b, "_pa_array", None)
    if pa_a is not None and pa_b is not None:
        addresses = [
            [buf.address for chunk in arr.chunks for buf in chunk.buffers() if buf is not None] for arr in (pa_a, pa_b)
        ]
        return addresses[0] == addresses[1] and bool(addresses[0])
    return np.shares_memory(np.asarray(arr_a), np.asarray(arr_b))


@pytest.fixture(scope="module")
def corpus_df() -> pd.DataFrame:
    rows = [json.loads(line) for line in TRAIN_JSONL.read_text("utf-8").splitlines() if line.strip()]
    return pd.DataFrame(rows)


# ====================================================================== pandas
def test_tag_frame_matches_predict(model, corpus_df):
    df = corpus_df.iloc[:300].set_axis([f"row{i}" for i in range(300)])
    out = tag_frame(df, prefix="pred_", model=model)
    articles = _articles(df)
    assert out.index.equals(df.index)
    assert list(out.columns) == list(df.columns) + output_columns(model.labels, "pred_")
    assert out["pred_labels"].tolist() == model.predict(articles)
    P = out[[f"pred_score_{t}" for t in model.labels]].to_numpy()
    np.testing.assert_array_equal(P, model.predict_proba(articles))
    assert all(out[f"pred_score_{t}"].dtype == np.float64 for t in model.labels)


def test_tag_frame_shares_input_columns_and_leaves_input_alone(corpus_df):
    df = corpus_df.iloc[:50][["id", "title", "body"]].copy()
    df["body_obj"] = pd.Series(df["body"].tolist(), index=df.index, dtype=object)
    before = list(df.columns)
    for column in ("body", "body_obj"):
        out = tag_frame(df, text=column)
        assert _same_buffer(out[column], df[column]), column
        assert _same_buffer(out["title"], df["title"])
        assert list(df.columns) == before  # input not modified
    obj = tag_frame(df, text="body_obj")
    assert np.shares_memory(obj["body_obj"].to_numpy(), df["body_obj"].to_numpy())
    assert obj["body_obj"].iloc[0] is df["body_obj"].iloc[0]  # the very same str objects


def test_missing_texts_get_no_labels(model):
    df = pd.DataFrame(
        {
            "title": ["Fake vaccines seized", None, np.nan, "", "Cocaine seized at port"],
            "body": ["Customs seized fake COVID-19 vaccines.", None, np.nan, pd.NA, None],
        },
        dtype=object,
    )
    out = tag_frame(df, model=model)
    assert out["labels"].tolist()[1:4] == [[], [], []]
    scores = out[[f"score_{t}" for t in model.labels]].to_numpy()
    assert (scores[1:4] == 0).all()
    assert out["labels"].iloc[0] == model.predict([Article(None, "Fake vaccines seized", df["body"][0])])[0]
    assert out["labels"].iloc[4] == model.predict([Article(None, "Cocaine seized at port", "")])[0]


def test_missing_column_is_named(model):
    df = pd.DataFrame({"text": ["Customs seized cocaine"]})
    with pytest.raises(InputError, match=r"no text column 'body'.*'text'"):
        tag_frame(df, model=model)
    with pytest.raises(InputError, match=r"no title column 'title' \(pass title=None"):
        tag_frame(df, text="text", model=model)
    assert tag_frame(df, text="text", title=None, model=model)["labels"].tolist() == [["illicit_trade"]]


def test_bad_cell_is_named(model):
    df = pd.DataFrame({"body": ["ok", 42]}, index=["a", "b"])
    with pytest.raises(
        InputError, match=r"^field 'body': index 'b': expected text or a missing value, got int 42$"
    ) as info:
        tag_frame(df, title=None, model=model)
    assert info.value.field == "body"


def test_existing_output_column_needs_prefix_or_overwrite(model, corpus_df):
    df = corpus_df.iloc[:5]  # has gold "labels"
    with pytest.raises(InputError, match="already has a column 'labels'"):
        tag_frame(df, model=model)
    replaced = tag_frame(df, model=model, overwrite=True)
    assert replaced["labels"].tolist() == model.predict(_articles(df))
    assert df["labels"].tolist() == corpus_df["labels"].iloc[:5].tolist()
    text_named_labels = pd.DataFrame({"labels": ["Customs seized cocaine"]})
    with pytest.raises(InputError, match="already has a column 'labels'; pass prefix=") as info:
        tag_frame(text_named_labels, text="labels", title=None, model=model, overwrite=True)
    assert "overwrite" not in str(info.value)  # never replaces the text column


def test_flags_explain_thresholds(model, corpus_df):
    df = corpus_df.iloc[:40][["title", "body"]]
    out = tag_frame(df, model=model, flags=True, explain=2, thresholds={"facilitation": 0.99})
    tags = model.tag(_articles(df), thresholds={"facilitation": 0.99}, explain=2)
    assert out["labels"].tolist() == [t.labels for t in tags]
    assert out["explanation"].tolist() == [t.explanation for t in tags]
    for theme in model.labels:
        assert out[theme].dtype == bool
        assert out[theme].tolist() == [theme in t.labels for t in tags]
    strict = tag_frame(df, model=model, thresholds=0.999)
    assert sum(map(len, strict["labels"])) < sum(map(len, out["labels"]))


def test_empty_frame_and_model_path():
    empty = pd.DataFrame({"title": pd.Series([], dtype=object), "body": pd.Series([], dtype=object)})
    out = tag_frame(empty, model=DEFAULT_MODEL, flags=True)
    assert len(out) == 0
    assert list(out.columns) == ["title", "body", *output_columns(THEMES, flags=True)]
    assert out["score_health_goods"].dtype == np.float64


@pytest.mark.parametrize("name", ["frame", "workers", "on_error", "dask"])
def test_doctests(name):
    import importlib

    module = importlib.import_module(f"customs_topics.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_core_import_pulls_in_no_pandas_or_dask():
    proc = _python(
        "import sys, customs_topics, customs_topics.dask; "
        "from customs_topics import load_model; load_model().predict(['x']); "
        "bad = sorted({k.split('.')[0] for k in sys.modules} & {'pandas', 'dask', 'distributed', 'pyarrow'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_clear_message_without_pandas_dask_or_pyspark():
    proc = _python(
        "import sys; sys.modules['pandas'] = None\n"
        "try:\n    import customs_topics.frame\nexcept ImportError as e:\n    print(e)\n"
    )
    assert "pip install 'customs-topics[pandas]'" in proc.stdout, proc.stderr
    proc = _python(
        "import sys; sys.modules['dask'] = None\n"
        "from customs_topics.dask import tag_dataframe\n"
        "try:\n    tag_dataframe(None)\nexcept ImportError as e:\n    print(e)\n"
    )
    assert "pip install 'customs-topics[dask]'" in proc.stdout, proc.stderr
    proc = _python(
        "import sys; sys.modules['pyspark'] = None\n"
        "try:\n    import customs_topics.spark\nexcept ImportError as e:\n    print(e)\n"
    )
    assert "pip install 'customs-topics[spark]'" in proc.stdout and "missing: pyspark" in proc.stdout, proc.stderr


# ============================================================ Dask, no cluster
def test_cached_model_loads_once_per_process_across_threads():
    from customs_topics import dask as ct_dask

    ct_dask.clear_cache()
    checksum = ct_dask.model_checksum(DEFAULT_MODEL)
    got = []
    threads = [
        threading.Thread(target=lambda: got.append(ct_dask.cached_model(str(DEFAULT_MODEL), checksum)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in got}) == 1
    assert ct_dask.cached_model(DEFAULT_MODEL / "model.json") is got[0]
    info = ct_dask.cache_info()
    assert info["loads"] == 1 and info["pid"] == os.getpid()
    ct_dask.clear_cache()


def test_cached_model_refuses_other_files(tmp_path):
    from customs_topics import dask as ct_dask

    with pytest.raises(ModelError, match="different model than the client"):
        ct_dask.cached_model(DEFAULT_MODEL, checksum="0" * 64)
    with pytest.raises(ModelError, match=r"no model\.json"):
        ct_dask.model_checksum(tmp_path)
    with pytest.raises(InputError, match="saved model directory"):
        ct_dask.tag_dataframe(None, model=load_model())


def test_tag_records(model):
    from customs_topics.dask import tag_records

    recs = [{"id": "x1", "title": "Cocaine seized", "body": "Customs seized cocaine at the port.", "n": 1}]
    out = tag_records(recs + ["Customs seized 40 pistols", Article("a1", "", "Single window launched")])
    assert out[0]["n"] == 1 and out[0]["labels"] == model.predict([Article(None, recs[0]["title"], recs[0]["body"])])[0]
    assert set(out[1]) == {"id", "title", "labels", "scores"}
    assert out[2]["id"] == "a1"
    with pytest.raises(InputError, match="already has a 'labels' field"):
        tag_records([{"body": "x", "labels": []}])
    assert tag_records([{"body": "x", "labels": []}], prefix="pred_")[0]["labels"] == []
    with pytest.raises(InputError, match="has no 'body' field"):
        tag_records([{"text": "x"}])


def test_tag_records_on_error(model, caplog):
    from customs_topics.articles import text_id
    from customs_topics.dask import tag_records

    good = {"id": "g1", "title": "Cocaine seized", "body": "Customs seized cocaine at the port."}
    recs = [good, {"id": "b1", "title": 3, "body": "x"}, "Customs seized 40 pistols", 17, {"id": "b2", "text": "x"}]
    with pytest.raises(InputError, match=r"field 'title': record 1: expected text or null, got int"):
        tag_records(recs)
    with caplog.at_level("WARNING", logger="customs_topics"):
        kept = tag_records(recs, on_error="skip")
    assert [r["id"] for r in kept] == ["g1", text_id("Customs seized 40 pistols")]  # the CLI's id for that text
    assert kept[0]["labels"] == model.predict([Article(None, good["title"], good["body"])])[0]
    assert kept[1]["labels"] == model.predict(["Customs seized 40 pistols"])[0]
    assert len([r for r in caplog.records if "skipped a bad row" in r.getMessage()]) == 3
    report = tag_records(recs, on_error="report", prefix="pred_", explain=1)
    assert len(report) == len(recs)
    assert [r.get("pred_error", r.get("error")) is None for r in report] == [True, False, True, False, False]
    assert report[1]["id"] == "b1" and report[1]["pred_labels"] == [] and report[1]["pred_scores"] is None
    assert report[1]["pred_explanation"] is None
    assert report[3] == {
        "id": None,
        "title": None,
        "labels": [],
        "scores": None,
        "explanation": None,
        "error": "field 'record': record 3: expected a dict, str or Article, got int",
    }
    assert "has no 'body' field" in report[4]["pred_error"]
    assert report[0]["pred_labels"] == kept[0]["labels"]


# ========================================================= Dask, real cluster
N_ARTICLES = 100_000
N_FILES = 20


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _cycled_rows(n: int) -> pd.DataFrame:
    rows = [json.loads(line) for line in TRAIN_JSONL.read_text("utf-8").splitlines() if line.strip()]
    base = pd.DataFrame(rows)[["title", "body"]]
    df = base.iloc[np.arange(n) % len(base)].reset_index(drop=True)
    df.insert(0, "row", np.arange(n))
    return df


def _worker_loads(client) -> list[int]:
    from customs_topics import dask as ct_dask

    return [info["loads"] for info in client.run(ct_dask.cache_info).values()]


def test_dask_dataframe_100k_parquet_equals_single_process(client, tmp_path, model):
    import dask.dataframe as dd

    from customs_topics import dask as ct_dask

    df = _cycled_rows(N_ARTICLES)
    parts = tmp_path / "articles"
    parts.mkdir()
    for k, chunk in enumerate(np.array_split(np.arange(N_ARTICLES), N_FILES)):
        df.iloc[chunk].to_parquet(parts / f"part-{k:03d}.parquet", index=False)
    client.run(ct_dask.clear_cache)

    ddf = dd.read_parquet(str(parts))
    assert ddf.npartitions >= N_FILES > 2
    out = ct_dask.tag_dataframe(ddf, flags=True).compute()

    assert out["row"].tolist() == list(range(N_ARTICLES))  # order and alignment kept
    expected = model.predict(_articles(df))
    assert out["labels"].tolist() == expected
    sample = np.random.default_rng(0).choice(N_ARTICLES, 5000, replace=False)
    np.testing.assert_allclose(
        out[[f"score_{t}" for t in model.labels]].to_numpy()[sample],
        model.predict_proba(_articles(df.iloc[sample])),
        rtol=1e-12,
    )
    loads = _worker_loads(client)
    assert len(loads) == 2 and all(n <= 1 for n in loads) and sum(loads) >= 1, loads  # once per worker


def test_dask_jsonl_dataframe_and_bag(client, tmp_path, model):
    import dask.bag as db
    import dask.dataframe as dd

    from customs_topics import dask as ct_dask

    df = _cycled_rows(4000)
    df.loc[::97, "body"] = None  # missing texts
    for k, chunk in enumerate(np.array_split(np.arange(len(df)), 8)):
        df.iloc[chunk].to_json(tmp_path / f"part-{k}.jsonl", orient="records", lines=True)
    client.run(ct_dask.clear_cache)
    expected = model.predict(_articles(df))

    ddf = dd.read_json(str(tmp_path / "part-*.jsonl"), lines=True, blocksize=None)
    # An explicit path to the same files the Bag below loads with model=None: one load per worker.
    # (Not the repo's models/default: after a non-editable install the bundled model lives in site-packages.)
    same = bundled_model_path()
    out = ct_dask.tag_dataframe(ddf, prefix="pred_", model=same).compute().sort_values("row")
    assert out["pred_labels"].tolist() == expected

    bag = db.read_text(str(tmp_path / "part-*.jsonl")).map(json.loads)
    tagged = sorted(ct_dask.tag_bag(bag).compute(), key=lambda r: r["row"])
    assert [r["labels"] for r in tagged] == expected
    assert all(n <= 1 for n in _worker_loads(client))


@pytest.mark.parametrize("on_error", ["skip", "report"])
def test_dask_dataframe_on_error_equals_tag_frame(client, model, on_error):
    import dask
    import dask.dataframe as dd

    from customs_topics import dask as ct_dask

    df = _cycled_rows(600).astype({"body": object})
    df.loc[[5, 301, 599], "body"] = [17, b"raw", ["a"]]
    expected = tag_frame(df, model=model, flags=True, on_error=on_error)
    with dask.config.set({"dataframe.convert-string": False}):  # keep the bad cells as they are
        ddf = dd.from_pandas(df, npartitions=3)
    out = ct_dask.tag_dataframe(ddf, flags=True, on_error=on_error).compute()
    assert out.index.tolist() == expected.index.tolist()
    assert len(out) == (600 if on_error == "report" else 597)
    for column in expected.columns:
        if column.startswith("score_"):
            np.testing.assert_array_equal(out[column].to_numpy(), expected[column].to_numpy())
        else:
            assert out[column].tolist() == expected[column].tolist(), column
    # Whichever partition fails first: Dask raises the worker's InputError in the client.
    with pytest.raises(InputError, match=r"field 'body': index (5|301|599): expected text or a missing value, got"):
        ct_dask.tag_dataframe(ddf).compute()
