"""What a worker process of any engine (Dask, Spark, a process pool) needs.

The model is loaded **once per worker process**, not once per partition or
per row: each process keeps a small module-level cache keyed by the model
directory and the SHA-256 of its ``model.json`` (which itself pins the
checksums of the weights and terms). The driver or client computes that
checksum once (:func:`model_checksum`) and ships only ``(path, checksum)``
with the tasks, never the model; a worker whose files at ``path`` differ from
the client's raises :class:`~customs_topics.errors.ModelError` instead of
tagging with another model.

``model=None`` means the bundled model, which every process finds inside its
own installed package. A saved model directory must be readable at the same
path on every worker (a shared file system, or the same files copied to each
node).

:func:`tag_partition` is a plain ``pandas.DataFrame -> pandas.DataFrame``
function built on :func:`~customs_topics.frame.tag_frame`; ``customs_topics.dask``
and ``customs_topics.spark`` run it on their partitions. Nothing here imports
pandas, Dask or Spark at import time.

Example:
    >>> from customs_topics.workers import cache_info, cached_model, model_checksum
    >>> model = cached_model(None, model_checksum(None))   # the bundled model, loaded once here
    >>> cached_model(None) is model
    True
    >>> cache_info()["loads"] >= 1
    True
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, ModelError
from .model import Thresholds, TopicClassifier
from .on_error import OnError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["cache_info", "cached_model", "clear_cache", "model_checksum", "model_ref", "tag_partition"]

_CACHE: dict[tuple[str, str], TopicClassifier] = {}
_LOCK = threading.Lock()
_LOADS = 0


def _model_dir(model: str | os.PathLike[str] | None) -> Path:
    if model is None:
        from .persistence import bundled_model_path

        return bundled_model_path()
    root = Path(model)
    if root.name == "model.json" and root.is_file():
        root = root.parent
    return root


def model_checksum(model: str | os.PathLike[str] | None = None) -> str:
    """SHA-256 of the ``model.json`` of a model directory (``None``: the bundled model).

    Example:
        >>> len(model_checksum())
        64
    """
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

    Example:
        >>> cached_model().labels[0]
        'illicit_trade'
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

    On a Dask cluster: ``client.run(customs_topics.dask.cache_info)`` gives one per worker.

    Example:
        >>> sorted(cache_info())
        ['loads', 'models', 'pid']
    """
    return {"pid": os.getpid(), "loads": _LOADS, "models": sorted(_CACHE)}


def clear_cache() -> None:
    """Forget the cached models of this process (and reset the load count).

    Example:
        >>> clear_cache(); cache_info()["loads"]
        0
    """
    global _LOADS
    with _LOCK:
        _CACHE.clear()
        _LOADS = 0


def model_ref(model: TopicClassifier | str | os.PathLike[str] | None) -> str | None:
    """What tasks carry instead of a model: an absolute model directory, or ``None`` (bundled).

    A fitted :class:`~customs_topics.TopicClassifier` object is refused: workers load
    models from files.

    Example:
        >>> model_ref(None) is None
        True
    """
    if isinstance(model, TopicClassifier):
        raise InputError(
            "pass a saved model directory (save_model(model, path)) or None for the bundled model: "
            "workers load the model from files, once per process, instead of receiving it with every task",
            field="model",
        )
    return None if model is None else os.path.abspath(os.fspath(model))


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
    on_error: OnError = "raise",
) -> pd.DataFrame:
    """Tag one pandas partition with the per-process cached model (see :func:`~customs_topics.frame.tag_frame`).

    Example:
        >>> import pandas as pd
        >>> tag_partition(pd.DataFrame({"title": ["Cocaine seized"], "body": ["At the port."]}))["labels"].tolist()
        [['illicit_trade']]
    """
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
        on_error=on_error,
    )
