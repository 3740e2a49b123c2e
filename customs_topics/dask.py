"""Tag Dask DataFrames and Bags partition by partition (optional ``[dask]`` extra).

The model is loaded **once per worker process**, not once per partition or
per row (the per-process cache of :mod:`customs_topics.workers`, keyed by the
model directory and the SHA-256 of its ``model.json``). The client computes
that checksum once and ships only ``(path, checksum)`` with the tasks, never
the model; a worker whose files at ``path`` differ from the client's raises
:class:`~customs_topics.errors.ModelError` instead of tagging with another
model.

``model=None`` means the bundled model, which every process finds inside its
own installed package. A saved model directory must be readable at the same
path on every worker (a shared file system, or the same files copied to each
node).

Example (a local cluster; the same code runs on a multi-node cluster with
``Client("tcp://scheduler:8786")``)::

    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
    from customs_topics.dask import tag_dataframe

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
        ddf = dd.read_parquet("articles/")            # columns title, body, ...
        tag_dataframe(ddf).to_parquet("tagged/")      # + labels, score_<theme> columns

Bad rows follow ``on_error`` exactly as in :func:`~customs_topics.frame.tag_frame`
(``"raise"``, ``"skip"``: logged on the worker, ``"report"``: an ``error``
column / key). :func:`tag_partition`, :func:`cached_model`, :func:`cache_info`,
:func:`clear_cache` and :func:`model_checksum` live in
:mod:`customs_topics.workers` (engine-neutral) and are importable from here too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .articles import Article
from .errors import InputError
from .model import Thresholds
from .on_error import OnError, check_on_error, log_skipped
from .workers import cache_info, cached_model, clear_cache, model_checksum, model_ref, tag_partition

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe

__all__ = [
    "cache_info",
    "cached_model",
    "clear_cache",
    "model_checksum",
    "tag_bag",
    "tag_dataframe",
    "tag_partition",
    "tag_records",
]

_INSTALL_HINT = "pip install 'customs-topics[dask]'"


def _require_dask() -> None:
    try:
        import dask  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"customs_topics.dask needs dask and pandas, optional dependencies: {_INSTALL_HINT}") from exc


# --------------------------------------------------------------------- frames
def tag_dataframe(
    ddf: dask.dataframe.DataFrame,
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
) -> dask.dataframe.DataFrame:
    """A lazy Dask DataFrame: ``ddf``'s columns plus the columns of :func:`~customs_topics.frame.tag_frame`.

    Partitions keep their index and order. Nothing runs until ``.compute()``,
    ``.to_parquet()`` and so on. ``on_error`` as in ``tag_frame``; with
    ``"skip"`` the warnings are logged by the worker that met the bad row.

    Example::

        tagged = tag_dataframe(dd.read_parquet("articles/"), prefix="pred_", on_error="report")
    """
    _require_dask()
    ref = model_ref(model)
    checksum = model_checksum(ref)
    meta = tag_partition(ddf._meta, ref, checksum, text, title, prefix, flags, thresholds, explain, overwrite, on_error)
    return ddf.map_partitions(
        tag_partition,
        ref,
        checksum,
        text,
        title,
        prefix,
        flags,
        thresholds,
        explain,
        overwrite,
        on_error,
        meta=meta,
        align_dataframes=False,
    )


# ---------------------------------------------------------------------- bags
def _record_text(record: Mapping[str, Any], key: str | None, i: int) -> str:
    if key is None:
        return ""
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    raise InputError(f"record {i}: expected text or null, got {type(value).__name__}", field=key)


def _record_article(item: Any, i: int, text: str, title: str | None) -> Article:
    if isinstance(item, Article):
        return item
    if isinstance(item, str):
        return Article(None, "", item)  # type: ignore[arg-type]
    if isinstance(item, Mapping):
        if text not in item:
            raise InputError(f"record {i} has no {text!r} field (keys: {', '.join(map(str, item))})", field=text)
        return Article(item.get("id"), _record_text(item, title, i), _record_text(item, text, i))
    raise InputError(f"record {i}: expected a dict, str or Article, got {type(item).__name__}", field="record")


def tag_records(
    records: Iterable[Any],
    model: str | os.PathLike[str] | None = None,
    checksum: str | None = None,
    text: str = "body",
    title: str | None = "title",
    thresholds: Thresholds = None,
    explain: int = 0,
    prefix: str = "",
    on_error: OnError = "raise",
) -> list[Any]:
    """Tag one partition of records with the per-process cached model.

    A ``dict`` record comes back as a new dict with ``<prefix>labels`` and
    ``<prefix>scores`` (and ``<prefix>explanation``) added (a record that
    already has such a key is an error whatever ``on_error`` says: use
    ``prefix=``); a ``str`` or :class:`~customs_topics.Article` as
    ``Tag.to_dict()`` (``id``, ``title``, ``labels``, ``scores``).

    A bad record (not a dict, str or Article; no ``text`` field; a title or
    text that is neither a string nor null) follows ``on_error`` as in
    :func:`~customs_topics.frame.tag_frame`: ``"raise"``; ``"skip"`` (left out,
    one warning each); ``"report"``: every record gets ``<prefix>error``
    (``None`` when good), and a bad one ``labels`` ``[]`` and ``scores`` ``None``.

    Example:
        >>> out = tag_records([{"body": "Cocaine seized at the port."}, {"body": 7}], on_error="report")
        >>> [(r["labels"], r["error"]) for r in out]
        [(['illicit_trade'], None), ([], "field 'body': record 1: expected text or null, got int")]
    """
    check_on_error(on_error)
    clf = cached_model(model, checksum)
    items = list(records)
    articles: list[Article] = []
    errors: dict[int, InputError] = {}
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            taken = [k for k in (f"{prefix}labels", f"{prefix}scores") if k in item]
            if taken:
                raise InputError(
                    f"record {i} already has a {taken[0]!r} field; pass prefix= (e.g. 'pred_')", field="prefix"
                )
        try:
            articles.append(_record_article(item, i, text, title))
        except InputError as exc:
            if on_error == "raise":
                raise
            errors[i] = exc
            if on_error == "skip":
                log_skipped("tag_records", exc)
    tags = iter(clf.tag(articles, thresholds=thresholds, explain=explain) if articles else [])
    out: list[Any] = []
    for i, item in enumerate(items):
        exc = errors.get(i)
        if exc is not None and on_error == "skip":
            continue
        tag = None if exc is not None else next(tags)
        row = dict(item) if isinstance(item, Mapping) else {} if tag is None else tag.to_dict()
        key = prefix if isinstance(item, Mapping) else ""
        if tag is None:
            if not isinstance(item, Mapping):
                row.update(id=None, title=None)
            row[f"{key}labels"], row[f"{key}scores"] = [], None
            if explain:
                row[f"{key}explanation"] = None
        elif isinstance(item, Mapping):
            row[f"{key}labels"], row[f"{key}scores"] = tag.labels, tag.scores
            if explain:
                row[f"{key}explanation"] = tag.explanation
        if on_error == "report":
            row[f"{key}error"] = None if exc is None else str(exc)
        out.append(row)
    return out


def tag_bag(
    bag: dask.bag.Bag,
    text: str = "body",
    title: str | None = "title",
    *,
    model: str | os.PathLike[str] | None = None,
    thresholds: Thresholds = None,
    explain: int = 0,
    prefix: str = "",
    on_error: OnError = "raise",
) -> dask.bag.Bag:
    """A lazy Dask Bag of tagged records (see :func:`tag_records`), partition by partition.

    Example: ``tag_bag(db.read_text("news-*.jsonl").map(json.loads)).map(json.dumps).to_textfiles("out-*.jsonl")``.
    """
    _require_dask()
    check_on_error(on_error)
    ref = model_ref(model)
    checksum = model_checksum(ref)
    cached_model(ref, checksum)  # fail early, on the client, on a bad model
    return bag.map_partitions(tag_records, ref, checksum, text, title, thresholds, explain, prefix, on_error)
