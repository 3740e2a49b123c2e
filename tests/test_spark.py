"""customs_topics.spark on a real local Spark session (``local[2]``, two Python workers).

The articles are the bundled corpus repeated with new ids (about 3,000 rows),
written as Parquet and JSON Lines and read back with Spark's own readers; every
result is compared with the single-process pandas path (``tag_frame``) row by
row, exactly. One module-scoped session keeps the module to a couple of
minutes on two cores. Skipped only where PySpark or Java is missing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from customs_topics import InputError, ModelError, load_model, save_model

REPO = Path(__file__).resolve().parent.parent
TRAIN_JSONL = REPO / "seeds" / "corpus" / "train.jsonl"
THEMES = ["illicit_trade", "strategic_trade_control", "facilitation", "health_goods"]
N_COPIES = 5  # 625 articles x 5 = 3,125 rows


def _python(code: str, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'customs-topics[spark]')")
pd = pytest.importorskip("pandas")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip(
        "Java is not installed (Spark needs a JRE, e.g. apt-get install default-jre-headless)", allow_module_level=True
    )

from customs_topics.frame import tag_frame  # noqa: E402
from customs_topics.spark import check_workers, output_schema, tag_dataframe  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    before = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers must run this environment's Python
    session = (
        SparkSession.builder.master("local[2]")
        .appName("customs-topics-tests")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "700")  # several batches per task
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if before is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = before


@pytest.fixture(scope="module")
def articles() -> pd.DataFrame:
    rows = [json.loads(line) for line in TRAIN_JSONL.read_text("utf-8").splitlines() if line.strip()]
    base = pd.DataFrame(rows)[["title", "body", "labels"]]
    df = pd.concat([base] * N_COPIES, ignore_index=True)
    df.insert(0, "id", [f"a{i:05d}" for i in range(len(df))])
    df["published"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), unit="h")
    df.loc[::211, "body"] = None  # missing texts are tagged like empty text
    return df


@pytest.fixture(scope="module")
def parquet_dir(articles, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    for k, idx in enumerate(np.array_split(np.arange(len(articles)), 6)):
        articles.iloc[idx].to_parquet(out / f"part-{k}.parquet", index=False)
    return out


@pytest.fixture(scope="module")
def jsonl_dir(articles, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("jsonl")
    rows = articles.drop(columns="published")
    for k, idx in enumerate(np.array_split(np.arange(len(rows)), 4)):
        rows.iloc[idx].to_json(out / f"news-{k}.jsonl", orient="records", lines=True)
    return out


@pytest.fixture(scope="module")
def user_model(tmp_path_factory) -> Path:
    """A model directory of the user's own (here: the bundled model saved elsewhere, with its own thresholds)."""
    clf = load_model()
    clf.thresholds_ = np.full(len(clf.labels), 0.3)  # a different model.json than the bundled one
    path = tmp_path_factory.mktemp("models") / "food-model"
    save_model(clf, path)
    return path


def _collect(sdf) -> pd.DataFrame:
    rows = [row.asDict(recursive=True) for row in sdf.collect()]
    return pd.DataFrame(rows, columns=sdf.columns).sort_values("id").reset_index(drop=True)


def _plain(value):
    """Spark's and pandas' spellings of one value made comparable (null/NaN/None; bytearray/bytes)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return bytes(value) if isinstance(value, bytearray) else value


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    assert len(got) == len(expected)
    for column in columns:
        if "score_" in column:
            np.testing.assert_array_equal(got[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float))
        else:
            assert list(map(_plain, got[column])) == list(map(_plain, expected[column])), column


def _as_struct(explanation):
    if explanation is None:
        return None
    return {
        theme: {"terms": [{"term": t, "weight": w} for t, w in part["terms"]], "sentence": part["sentence"]}
        for theme, part in explanation.items()
    }


def test_parquet_equals_single_process(spark, parquet_dir, articles):
    from customs_topics import workers

    sdf = spark.read.parquet(str(parquet_dir))
    tagged = tag_dataframe(sdf, prefix="pred_", flags=True)
    added = ["pred_labels", *[f"pred_score_{t}" for t in THEMES], *[f"pred_{t}" for t in THEMES]]
    assert tagged.columns == [*sdf.columns, *added]
    assert tagged.schema == output_schema(sdf.schema, THEMES, "pred_", flags=True)  # declared, not inferred
    assert tagged.schema["pred_labels"].dataType.simpleString() == "array<string>"
    assert tagged.schema["pred_score_facilitation"].dataType.simpleString() == "double"

    got = _collect(tagged)
    expected = tag_frame(articles, prefix="pred_", flags=True, model=load_model())
    assert got["id"].tolist() == articles["id"].tolist()
    _assert_same(got, expected, ["title", "body", "labels", *added])  # gold labels passed through
    assert (
        pd.Series(got["published"]).dt.tz_localize(None).tolist() == articles["published"].dt.tz_localize(None).tolist()
    )
    assert sum(map(len, got["pred_labels"])) > len(got)  # really tagged, not all empty

    # The per-process cache: each Python worker process loaded the bundled model once, and kept it.
    # (Asked through mapInPandas, which runs in the same kind of Python worker as the tagging.)
    def cache_report(batches):
        for _ in batches:
            info = workers.cache_info()
            yield pd.DataFrame({"pid": [info["pid"]], "loads": [info["loads"]], "models": [len(info["models"])]})

    infos = spark.range(0, 8, numPartitions=8).mapInPandas(cache_report, "pid long, loads long, models long")
    by_pid = {row.pid: row for row in infos.collect()}
    assert all(row.loads == row.models for row in by_pid.values()), by_pid
    assert any(row.models for row in by_pid.values()), by_pid  # the workers that tagged kept the model


def test_output_schema_doctest():
    import doctest

    import customs_topics.spark

    result = doctest.testmod(customs_topics.spark, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_jsonl_user_model_prefix_thresholds_explain(spark, jsonl_dir, articles, user_model):
    sdf = spark.read.schema("id string, title string, body string, labels array<string>").json(str(jsonl_dir))
    options = {"prefix": "ct_", "thresholds": {"facilitation": 0.8}}
    tagged = tag_dataframe(sdf, model=user_model, **options)
    got = _collect(tagged)
    source = articles.drop(columns="published")
    expected = tag_frame(source, model=load_model(user_model), **options)
    added = ["ct_labels", *[f"ct_score_{t}" for t in THEMES]]
    assert tagged.columns == [*sdf.columns, *added]
    _assert_same(got, expected, ["id", "title", "body", "labels", *added])
    bundled = tag_frame(source, model=load_model(), **options)
    assert got["ct_labels"].tolist() != bundled["ct_labels"].tolist()  # the user's model really was used

    # Explanations (slower to compute): the first 400 articles are enough to compare.
    head = sdf.filter(sdf.id < "a00400")
    explained = tag_dataframe(head, model=user_model, explain=2, verify_workers=False, **options)
    assert explained.schema["ct_explanation"].dataType.simpleString() == (
        "map<string,struct<terms:array<struct<term:string,weight:double>>,sentence:string>>"
    )
    got = _collect(explained)
    expected = tag_frame(source.iloc[:400], model=load_model(user_model), explain=2, **options)
    expected["ct_explanation"] = expected["ct_explanation"].map(_as_struct)
    _assert_same(got, expected, ["id", *added, "ct_explanation"])
    assert any(e for e in got["ct_explanation"])


def test_column_mistakes_are_driver_errors(spark, parquet_dir):
    sdf = spark.read.parquet(str(parquet_dir))
    with pytest.raises(InputError, match=r"no text column 'text'.*'body'"):
        tag_dataframe(sdf, text="text", verify_workers=False)
    with pytest.raises(InputError, match="already has a column 'labels'; pass prefix="):
        tag_dataframe(sdf, verify_workers=False)
    with pytest.raises(InputError, match="on_error must be one of"):
        tag_dataframe(sdf, prefix="p_", on_error="ignore", verify_workers=False)  # type: ignore[arg-type]
    from customs_topics import load_model as load

    with pytest.raises(InputError, match="saved model directory"):
        tag_dataframe(sdf, model=load(), verify_workers=False)  # type: ignore[arg-type]


def test_missing_model_path_is_a_clear_error(spark, parquet_dir, tmp_path):
    sdf = spark.read.parquet(str(parquet_dir))
    with pytest.raises(ModelError, match=r"models/food: not a model directory \(no model\.json\)"):
        tag_dataframe(sdf, prefix="p_", model=tmp_path / "models" / "food")


def test_model_changed_or_gone_on_the_workers(spark, parquet_dir, user_model, tmp_path):
    from pyspark.errors import PythonException

    sdf = spark.read.parquet(str(parquet_dir)).select("id", "title", "body")
    moved = tmp_path / "shared" / "model"
    shutil.copytree(user_model, moved)
    tagged = tag_dataframe(sdf, model=moved)  # checksum taken here, in the driver; executors checked once
    # ... then the files at that path change before the executors run the tasks.
    save_model(load_model(), moved)
    with pytest.raises(PythonException) as info:
        tagged.count()
    message = str(info.value)
    assert "customs_topics.errors.ModelError" in message
    assert f"{moved}: this process sees a different model than the client (model.json checksum differs)" in message

    gone = tmp_path / "gone"
    shutil.copytree(user_model, gone)
    tagged = tag_dataframe(sdf, model=gone)
    shutil.rmtree(gone)
    with pytest.raises(PythonException, match=rf"ModelError: {gone}: not a model directory \(no model\.json\)"):
        tagged.collect()


def test_check_workers_reports_a_model_the_executors_see_differently(spark, user_model, monkeypatch):
    found = check_workers(spark, user_model)
    assert found["python"] == sys.executable and found["error"] is None
    from customs_topics import spark as ct_spark

    monkeypatch.setattr(ct_spark, "model_checksum", lambda ref: "0" * 64)  # the driver's view differs
    with pytest.raises(ModelError, match="an executor sees a different model than the driver"):
        ct_spark.check_workers(spark, user_model)


@pytest.mark.parametrize("on_error", ["raise", "skip", "report"])
def test_bad_records_follow_tag_frame_on_error(spark, articles, tmp_path, on_error, caplog):
    """A Parquet export whose headline column is raw bytes for one source's records (null elsewhere)."""
    df = articles.iloc[:900][["id", "title", "body"]].copy()
    df["headline"] = pd.Series([None] * len(df), dtype=object)
    bad_rows = [3, 250, 899]
    for i in bad_rows:
        df.at[i, "headline"] = df.at[i, "title"].encode("utf-8")
    df.to_parquet(tmp_path / "export.parquet", index=False)
    sdf = spark.read.parquet(str(tmp_path / "export.parquet"))
    assert sdf.schema["headline"].dataType.simpleString() == "binary"

    pdf = df.set_axis(pd.Index(df["id"].tolist(), dtype=object))  # Spark names rows by their id column
    if on_error == "raise":
        from pyspark.errors import PythonException

        with caplog.at_level(logging.WARNING, logger="customs_topics"):
            tagged = tag_dataframe(sdf, title="headline")
        assert "the title column 'headline' is binary, not string" in caplog.text
        with pytest.raises(InputError) as local:
            tag_frame(pdf, title="headline")
        with pytest.raises(PythonException) as info:
            tagged.collect()
        assert "customs_topics.errors.InputError" in str(info.value)
        assert "field 'headline': index 'a00" in str(info.value) and "got bytes b" in str(info.value)
        assert str(local.value).startswith("field 'headline': index 'a00003': expected text or a missing value")
        return
    tagged = tag_dataframe(sdf, title="headline", flags=True, on_error=on_error)
    got = _collect(tagged)
    expected = tag_frame(pdf, title="headline", flags=True, on_error=on_error).reset_index(drop=True)
    assert tagged.columns == list(expected.columns)
    if on_error == "skip":
        assert sorted(got["id"]) == sorted(set(df["id"]) - {df.at[i, "id"] for i in bad_rows})
    else:
        assert got["id"].tolist() == df["id"].tolist()
        assert got["error"].notna().sum() == len(bad_rows)
        assert got.loc[bad_rows, "error"].str.startswith("field 'headline': index 'a00").all()
        assert got.loc[bad_rows, [f"score_{t}" for t in THEMES]].isna().all().all()  # Spark null = pandas NaN
    _assert_same(got, expected.sort_values("id").reset_index(drop=True), list(expected.columns))


def test_workers_without_the_package_get_a_clear_import_error(parquet_dir):
    """The issue's trap: Spark's workers run another Python than the driver's environment."""
    other = shutil.which("python3", path="/usr/bin:/bin")
    if other is None or os.path.realpath(other) == os.path.realpath(sys.executable):
        pytest.skip("no other Python on this machine to play the workers' Python")
    version = subprocess.run([other, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    if version.stdout.strip() != str(tuple(sys.version_info[:2])):
        pytest.skip(f"{other} is Python {version.stdout.strip()}; Spark needs the same minor version in the workers")
    code = textwrap.dedent(
        f"""
        import os
        from pyspark.sql import SparkSession
        from customs_topics.spark import tag_dataframe
        spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", "512m").getOrCreate())
        spark.sparkContext.setLogLevel("OFF")
        try:
            tag_dataframe(spark.read.parquet({str(parquet_dir)!r}), prefix="p_")
        except ImportError as exc:
            print("IMPORT-ERROR:", exc)
        spark.stop()
        """
    )
    env = {**os.environ, "PYSPARK_PYTHON": other}
    proc = _python(code, env=env, timeout=240)
    out = proc.stdout
    assert "IMPORT-ERROR: the Spark Python workers cannot tag: ModuleNotFoundError" in out, out + proc.stderr[-3000:]
    assert f"the workers run {other}" in out
    assert f"set PYSPARK_PYTHON={sys.executable}" in out and "spark.pyspark.python" in out
