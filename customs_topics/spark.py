"""Tag Spark DataFrames with ``mapInPandas`` (optional ``[spark]`` extra).

:func:`tag_dataframe` returns a lazy Spark DataFrame with a **declared**
schema (nothing is inferred): every input column, unchanged, plus

``<prefix>labels``
    ``array<string>``, the theme ids assigned to the row (``[]`` for none);
``<prefix>score_<theme>``
    ``double``, one per theme, the same numbers as
    :func:`~customs_topics.frame.tag_frame` and ``TopicClassifier.predict_proba``;
``<prefix><theme>`` (with ``flags=True``)
    ``boolean``, one per theme;
``<prefix>explanation`` (with ``explain=k``)
    ``map<string, struct<terms: array<struct<term: string, weight: double>>, sentence: string>>``:
    per assigned theme its top ``k`` terms and the deciding sentence;
``<prefix>error`` (with ``on_error="report"``)
    ``string``, ``null`` for good rows.

Spark does the partitioning, scheduling, retries and I/O; each task turns its
Arrow batches into pandas frames and tags them with
:func:`customs_topics.workers.tag_partition`. The model is loaded **once per
Python worker process** (Spark reuses its Python workers) through the
per-process cache of :mod:`customs_topics.workers`: the driver sends only the
model directory and the checksum of its ``model.json``, and an executor that
finds other files at that path raises
:class:`~customs_topics.errors.ModelError` (Spark reports it in the driver's
exception) instead of tagging with another model.

**What every executor needs**: ``customs-topics`` (same version) installed in
the Python the workers run (``PYSPARK_PYTHON`` / ``spark.pyspark.python``),
and a model directory of your own readable at the same path (the bundled
model ships inside the package). :func:`tag_dataframe` checks one executor
before returning (``verify_workers=True``) and raises an ``ImportError`` that
says which Python the workers run and how to point them at the right one.

Bad rows follow ``on_error`` exactly as in ``tag_frame``. Spark columns are
typed, so a bad cell is a non-null value in a text or title column that is
not a string column (``binary`` from some Parquet writers, a number, an
array); such columns are also reported in a driver warning. With
``on_error="skip"`` the per-row warnings go to the executors' logs; with
``"report"`` the bad rows' scores are ``null``. Messages name each row by its
``id_column`` value when there is one, else by partition and row.

Example (local; on a cluster the same code runs under ``spark-submit``)::

    import os, sys
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)   # workers use this Python
    from pyspark.sql import SparkSession
    from customs_topics.spark import tag_dataframe

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    tagged = tag_dataframe(spark.read.parquet("articles/"), prefix="pred_")
    tagged.write.parquet("tagged/")
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from . import __version__
from .errors import ModelError
from .model import Thresholds
from .on_error import OnError, check_on_error
from .workers import cached_model, model_checksum, model_ref, tag_partition

_INSTALL_HINT = "pip install 'customs-topics[spark]'"

try:
    import pandas as pd
    import pyarrow  # noqa: F401  (mapInPandas needs it; fail here, not in the executors)
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import types as T

    from .frame import output_columns
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"customs_topics.spark needs pyspark, pandas and pyarrow, optional dependencies: {_INSTALL_HINT} "
        f"(missing: {exc.name or exc})"
    ) from exc

__all__ = ["check_workers", "output_schema", "tag_dataframe"]

logger = logging.getLogger("customs_topics")

#: Spark type of the ``explanation`` column.
EXPLANATION_TYPE = T.MapType(
    T.StringType(),
    T.StructType(
        [
            T.StructField(
                "terms",
                T.ArrayType(
                    T.StructType([T.StructField("term", T.StringType()), T.StructField("weight", T.DoubleType())])
                ),
            ),
            T.StructField("sentence", T.StringType()),
        ]
    ),
)


def output_schema(
    schema: T.StructType,
    labels: Sequence[str],
    prefix: str = "",
    flags: bool = False,
    explain: int = 0,
    on_error: OnError = "raise",
) -> T.StructType:
    """The schema :func:`tag_dataframe` declares: ``schema``'s fields plus the tagging columns.

    Example:
        >>> from pyspark.sql import types as T
        >>> s = output_schema(T.StructType([T.StructField("body", T.StringType())]), ["a"], on_error="report")
        >>> s.simpleString()
        'struct<body:string,labels:array<string>,score_a:double,error:string>'
    """
    added = output_columns(labels, prefix, flags, explain, on_error)
    types: dict[str, T.DataType] = {f"{prefix}labels": T.ArrayType(T.StringType())}
    types.update({f"{prefix}score_{label}": T.DoubleType() for label in labels})
    types.update({f"{prefix}{label}": T.BooleanType() for label in labels} if flags else {})
    types[f"{prefix}explanation"] = EXPLANATION_TYPE
    types[f"{prefix}error"] = T.StringType()
    kept = [f for f in schema.fields if f.name not in added]
    return T.StructType(kept + [T.StructField(name, types[name], nullable=True) for name in added])


def _explanation_struct(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """``Tag.explanation`` with each ``[term, weight]`` pair as a ``{"term", "weight"}`` struct."""
    if value is None:
        return None
    return {
        theme: {"terms": [{"term": t, "weight": w} for t, w in part["terms"]], "sentence": part["sentence"]}
        for theme, part in value.items()
    }


def _tag_batches(
    batches: Iterator[pd.DataFrame],
    model: str | None,
    checksum: str,
    options: tuple[Any, ...],
    id_column: str | None,
    explanation: str | None,
    names: list[str],
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function: runs in the executors' Python workers.

    ``options`` are :func:`~customs_topics.workers.tag_partition`'s arguments after the checksum.
    """
    from pyspark import TaskContext

    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    row = 0
    for pdf in batches:
        n = len(pdf)
        if id_column is not None and id_column in pdf.columns:
            pdf.index = pd.Index(pdf[id_column].tolist(), dtype=object)
        else:  # name rows in messages by where Spark has them
            pdf.index = pd.Index([f"partition {partition}, row {row + i}" for i in range(n)], dtype=object)
        row += n
        out = tag_partition(pdf, model, checksum, *options)
        if explanation is not None:
            out[explanation] = [_explanation_struct(v) for v in out[explanation].tolist()]
        yield out[names].reset_index(drop=True)


def _probe(model: str | None, checksum: str) -> Any:
    """A function for one executor task that needs nothing but the standard library to be unpickled.

    It is defined inside this function, so cloudpickle ships it by value: it
    still runs (and says why) where ``customs_topics`` is not importable.
    """

    def probe(_: Any) -> Iterator[dict[str, str | None]]:
        import sys

        found = {"python": sys.executable, "python_version": sys.version.split()[0], "error": None, "model": None}
        try:
            import pandas  # noqa: F401
            import pyarrow  # noqa: F401

            import customs_topics

            found["version"] = customs_topics.__version__
        except ImportError as exc:
            found["error"] = f"{type(exc).__name__}: {exc}"
            yield found
            return
        from customs_topics.errors import CustomsTopicsError
        from customs_topics.workers import model_checksum

        try:
            if model_checksum(model) != checksum:
                found["model"] = (
                    f"{model}: an executor sees a different model than the driver (model.json checksum differs); "
                    "every executor needs the same model files"
                )
        except CustomsTopicsError as exc:
            found["model"] = f"{exc} (on an executor; the model directory must be readable at the same path there)"
        yield found

    return probe


def check_workers(spark: SparkSession, model: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Run one small task and check that its Python worker can tag: ``customs_topics``, pandas and
    pyarrow importable, and ``model`` (``None``: bundled) the same files as here.

    Returns what the worker reported (``python``, ``python_version``, ``version``); raises
    ``ImportError`` (with the ``PYSPARK_PYTHON`` / ``spark.pyspark.python`` fix) or
    :class:`~customs_topics.errors.ModelError`. One task checks one executor; every task
    checks the model again before it tags.

    Example::

        check_workers(spark)   # {'python': '/opt/venv/bin/python', 'version': '0.1.0', ...}
    """
    ref = model_ref(model)
    checksum = model_checksum(ref)
    try:
        context = spark.sparkContext
    except Exception:  # Spark Connect has no SparkContext: the tasks' own checks remain
        logger.debug("customs_topics.spark: no SparkContext (Spark Connect?); executor check skipped")
        return {}
    found = context.parallelize([0], 1).mapPartitions(_probe(ref, checksum)).collect()[0]
    if found["error"]:
        raise ImportError(
            f"the Spark Python workers cannot tag: {found['error']} (the workers run {found['python']}, "
            f"the driver runs {sys.executable}). Install customs-topics in the workers' Python "
            f"({_INSTALL_HINT}) or point Spark at a Python that has it: set PYSPARK_PYTHON={sys.executable} "
            "before the session starts (local), or pass --conf spark.pyspark.python=/path/to/python "
            "(a Python with customs-topics on every node) to spark-submit"
        )
    if found["model"]:
        raise ModelError(found["model"])
    if found.get("version") != __version__:
        logger.warning(
            "customs_topics.spark: the Spark workers run customs-topics %s, the driver %s; results may differ",
            found.get("version"),
            __version__,
        )
    return found


def _warn_on_column_types(schema: T.StructType, columns: dict[str, str | None]) -> None:
    for role, name in columns.items():
        if name is None or name not in schema.names:
            continue
        kind = schema[name].dataType
        if not isinstance(kind, (T.StringType, T.NullType)):
            logger.warning(
                "customs_topics.spark: the %s column %r is %s, not string: every non-null value is a bad row "
                "(on_error); cast it, e.g. sdf.withColumn(%r, sdf[%r].cast('string'))",
                role,
                name,
                kind.simpleString(),
                name,
                name,
            )


def tag_dataframe(
    sdf: DataFrame,
    text: str = "body",
    title: str | None = "title",
    *,
    model: str | os.PathLike[str] | None = None,
    prefix: str = "",
    flags: bool = False,
    thresholds: Thresholds = None,
    explain: int = 0,
    overwrite: bool = False,
    on_error: OnError = "raise",
    id_column: str | None = "id",
    verify_workers: bool = True,
) -> DataFrame:
    """A lazy Spark DataFrame: ``sdf``'s columns plus the columns of :func:`~customs_topics.frame.tag_frame`.

    Parameters are those of ``tag_frame`` (``text``, ``title``, ``model``,
    ``prefix``, ``flags``, ``thresholds``, ``explain``, ``overwrite``,
    ``on_error``), except that ``model`` must be ``None`` (the bundled model) or
    a saved model directory readable at the same path on every executor.
    ``id_column`` names rows in error messages (else partition and row);
    ``verify_workers`` runs :func:`check_workers` first (one small job).

    Column and option mistakes raise :class:`~customs_topics.errors.InputError`
    here, in the driver; the model is checked here and again in every task.
    Nothing is tagged until an action (``write``, ``collect``, ``count``, ...).

    Example::

        tagged = tag_dataframe(spark.read.json("news/*.jsonl"), prefix="pred_", on_error="report")
        tagged.filter("pred_error IS NULL").write.parquet("tagged/")
    """
    check_on_error(on_error)
    ref = model_ref(model)
    checksum = model_checksum(ref)
    options = (text, title, prefix, flags, thresholds, explain, overwrite, on_error)
    # The pandas path on an empty frame with the same column names: the same checks and column order.
    empty = pd.DataFrame({name: pd.Series([], dtype=object) for name in sdf.columns})
    names = list(tag_partition(empty, ref, checksum, *options).columns)
    _warn_on_column_types(sdf.schema, {"text": text, "title": title})
    schema = output_schema(sdf.schema, cached_model(ref, checksum).labels, prefix, flags, explain, on_error)
    schema = T.StructType([schema[name] for name in names])
    if verify_workers:
        check_workers(sdf.sparkSession, ref)
    explanation = f"{prefix}explanation" if explain else None
    mapper = functools.partial(
        _tag_batches,
        model=ref,
        checksum=checksum,
        options=options,
        id_column=id_column,
        explanation=explanation,
        names=names,
    )
    return sdf.mapInPandas(mapper, schema)
