"""Tag Dask DataFrames and Bags partition by partition (optional ``[dask]`` extra).

The model is loaded **once per worker process**, not once per partition or
per row: each process keeps a small module-level cache keyed by the model
directory and the SHA-256 of its ``model.json`` (which itself pins the
checksums of the weights and terms). The client computes that checksum once
and ships only ``(path, checksum)`` with the tasks, never the model; a worker
whose files at ``path`` differ from the client's raises
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

Functions here are also usable without Dask: :func:`tag_partition` is a
plain ``pandas.DataFrame -> pandas.DataFrame`` function (e.g. for Spark's
``mapInPandas``) and :func:`cached_model` works in any process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .articles import Article
from .errors import InputError, ModelError
from .model import Thresholds, TopicClassifier

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas as pd

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

_CACHE: dict[tuple[str, str], TopicClassifier] = {}
_LOCK = threading.Lock()
_LOADS = 0


def _require_dask() -> None:
    try:
        import dask  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"customs_topics.dask needs dask and pandas, optional dependencies: {_INSTALL_HINT}") from exc


def _model_dir(model: str | os.PathLike[str] | None) -> Path:
    if model is None:
        from .persistence import bundled_model_path

        return bundled_model_path()
    root = Path(model)
    if root.name == "model.json" and root.is_file():
        root = root.parent
    return root


def model_checksum(model: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 of the ``model.json`` of a model directory (``None``: the bundled model)."""
    root = _model_dir(model)
    try:
        return hashlib.sha256((root / "model.json").read_bytes()).hexdigest()
    except FileNotFoundError:
        raise ModelError(f"{root}: not a model directory (no model.json)") from None
    except OSError as exc:
        raise ModelError(f"{root}/model.json: cannot read it ({exc.strerror or exc})") from None


def cached_model(model: str | os.PathLike[str] | None = None, checksum: str | None = None) -> TopicClassifier:
    """The model at ``model`` (``None``: bundled), loaded at most once per process.

    With ``checksum`` (from :func:`model_checksum` on the client) the files
    found here must match it. The cached model has ``n_jobs=None``: the
    parallelism comes from the workers, not from inside a task.
    Thread-safe; treat the returned model as read-only.
    """
    global _LOADS
    root = _model_dir(model)
    actual = model_checksum(root) if checksum is None else checksum
    key = (str(root.resolve()), actual)
    found = _CACHE.get(key)
    if found is not None:
        return found
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
        if checksum is not None and model_checksum(root) != checksum:
            raise ModelError(
                f"{root}: this process sees a different model than the client "
                "(model.json checksum differs); every worker needs the same model files"
            )
        from .persistence import load_model

        loaded = load_model(root)
        loaded.set_params(n_jobs=None)
        _CACHE[key] = loaded
        _LOADS += 1
        return loaded


def cache_info() -> dict[str, Any]:
    """This process's cache: ``{"pid", "loads", "models": [(path, checksum), ...]}``.

    On a cluster: ``client.run(customs_topics.dask.cache_info)`` gives one per worker.
    """
    return {"pid": os.getpid(), "loads": _LOADS, "models": sorted(_CACHE)}


def clear_cache() -> None:
    """Forget the cached models of this process (and reset the load count)."""
    global _LOADS
    with _LOCK:
        _CACHE.clear()
        _LOADS = 0


def _model_ref(model: TopicClassifier | str | os.PathLike[str] | None) -> str | None:
    if isinstance(model, TopicClassifier):
        raise InputError(
            "pass a saved model directory (save_model(model, path)) or None for the bundled model: "
            "workers load the model from files, once per process, instead of receiving it with every task",
            field="model",
        )
    return None if model is None else os.path.abspath(os.fspath(model))


# --------------------------------------------------------------------- frames
def tag_partition(
    df: pd.DataFrame,
    model: str | os.PathLike[str] | None = None,
    checksum: str | None = None,
    text: str = "body",
    title: str | None = "title",
    prefix: str = "",
    flags: bool = False,
    thresholds: Thresholds = None,
    explain: int = 0,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Tag one pandas partition with the per-process cached model (see :func:`~customs_topics.frame.tag_frame`)."""
    from .frame import tag_frame

    clf = cached_model(model, checksum)
    return tag_frame(
        df,
        text,
        title,
        model=clf,
        prefix=prefix,
        flags=flags,
        thresholds=thresholds,
        explain=explain,
        overwrite=overwrite,
    )


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
) -> dask.dataframe.DataFrame:
    """A lazy Dask DataFrame: ``ddf``'s columns plus the columns of :func:`~customs_topics.frame.tag_frame`.

    Partitions keep their index and order. Nothing runs until ``.compute()``,
    ``.to_parquet()`` and so on.
    """
    _require_dask()
    from .frame import tag_frame

    ref = _model_ref(model)
    checksum = model_checksum(ref)
    local = cached_model(ref, checksum)
    meta = tag_frame(
        ddf._meta,
        text,
        title,
        model=local,
        prefix=prefix,
        flags=flags,
        thresholds=thresholds,
        explain=explain,
        overwrite=overwrite,
    )
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
    raise InputError(f"expected text or null in {key!r}, got {type(value).__name__} (record {i})", field=key)


def tag_records(
    records: Iterable[Any],
    model: str | os.PathLike[str] | None = None,
    checksum: str | None = None,
    text: str = "body",
    title: str | None = "title",
    thresholds: Thresholds = None,
    explain: int = 0,
    prefix: str = "",
) -> list[Any]:
    """Tag one partition of records with the per-process cached model.

    A ``dict`` record comes back as a new dict with ``<prefix>labels`` and
    ``<prefix>scores`` (and ``<prefix>explanation``) added (a record that
    already has such a key is an error: use ``prefix=``); a ``str`` or
    :class:`~customs_topics.Article` as ``Tag.to_dict()`` (``id``, ``title``, ``labels``, ``scores``).
    """
    clf = cached_model(model, checksum)
    items = list(records)
    articles = []
    for i, item in enumerate(items):
        if isinstance(item, Article):
            articles.append(item)
        elif isinstance(item, str):
            articles.append(Article(None, "", item))  # type: ignore[arg-type]
        elif isinstance(item, Mapping):
            taken = [k for k in (f"{prefix}labels", f"{prefix}scores") if k in item]
            if taken:
                raise InputError(
                    f"record {i} already has a {taken[0]!r} field; pass prefix= (e.g. 'pred_')", field="prefix"
                )
            if text not in item:
                raise InputError(f"record {i} has no {text!r} field (keys: {', '.join(map(str, item))})", field=text)
            articles.append(Article(item.get("id"), _record_text(item, title, i), _record_text(item, text, i)))
        else:
            raise InputError(f"expected a dict, str or Article, got {type(item).__name__} (record {i})", field="record")
    tags = clf.tag(articles, thresholds=thresholds, explain=explain) if articles else []
    out: list[Any] = []
    for item, tag in zip(items, tags):
        if isinstance(item, Mapping):
            row = dict(item)
            row[f"{prefix}labels"] = tag.labels
            row[f"{prefix}scores"] = tag.scores
            if explain:
                row[f"{prefix}explanation"] = tag.explanation
            out.append(row)
        else:
            out.append(tag.to_dict())
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
) -> dask.bag.Bag:
    """A lazy Dask Bag of tagged records (see :func:`tag_records`), partition by partition.

    Example: ``tag_bag(db.read_text("news-*.jsonl").map(json.loads)).map(json.dumps).to_textfiles("out-*.jsonl")``.
    """
    _require_dask()
    ref = _model_ref(model)
    checksum = model_checksum(ref)
    cached_model(ref, checksum)  # fail early, on the client, on a bad model
    return bag.map_partitions(tag_records, ref, checksum, text, title, thresholds, explain, prefix)
