"""Saving and loading models as inert data: JSON plus ``.npz`` arrays.

A model directory holds

``model.json``
    format version, library version, labels, thresholds, parameters,
    taxonomy, training summary and the SHA-256 of the two files below;
``weights.npz``
    ``coef`` (n_features, n_labels), ``intercept`` and ``idf`` arrays, read
    with ``allow_pickle=False``;
``terms.json``
    the feature strings, in column order;
``MODEL_CARD.md``
    the human-readable card, generated from ``model.json``.

Loading never unpickles or imports anything from the directory; any other
file in it is ignored. Saving writes a complete new directory next to the
target and swaps it in, so an interrupted save leaves the old model intact.

Example:
    >>> import tempfile, pathlib
    >>> from customs_topics import load_model, save_model
    >>> model = load_model()
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "copy"
    >>> save_model(model, out)
    >>> load_model(out).predict(["Fake COVID-19 vaccines seized at the airport"])
    [['illicit_trade', 'health_goods']]
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._resources import shipped
from .errors import ModelError, SourceError
from .features import Featurizer
from .model import TopicClassifier
from .taxonomy import Taxonomy, Theme, load_taxonomy

FORMAT = "customs-topics-model"
FORMAT_VERSION = 1
BUNDLED = ("models", "default")


def bundled_model_path() -> Path:
    """Directory of the model shipped with the package."""
    return shipped(*BUNDLED)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _model_taxonomy(model: TopicClassifier) -> Taxonomy:
    taxonomy: Taxonomy | None = getattr(model, "taxonomy_", None)
    if taxonomy is not None and all(label in taxonomy for label in model.labels_):
        return Taxonomy(
            tuple(taxonomy[label] for label in model.labels_),
            taxonomy.name,
            taxonomy.version,
            taxonomy.description,
            taxonomy.decisions,
        )
    builtin = load_taxonomy()
    themes = tuple(
        builtin[label] if label in builtin else Theme(label, label, f"Theme {label!r} (no definition given).")
        for label in model.labels_
    )
    return Taxonomy(themes, "custom", "1", "", ())


def model_document(model: TopicClassifier) -> dict[str, Any]:
    """The JSON document describing a fitted model (without file checksums)."""
    model._check_fitted()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "labels": list(model.labels_),
        "thresholds": [round(float(t), 6) for t in model.thresholds_],
        "params": model.get_params(),
        "featurizer": model.featurizer_.params(),
        "taxonomy": _model_taxonomy(model).to_dict(),
        "info": getattr(model, "info_", {}),
    }


def save_model(model: TopicClassifier, path: str | os.PathLike[str], *, card: bool = True) -> None:
    """Save a fitted model to directory ``path`` atomically.

    The directory is replaced as a whole: readers see the old model or the
    new one, never a mix. A non-empty directory that is not a model is
    never overwritten.
    """
    from .model_card import render_card

    target = Path(path)
    if target.exists() and not target.is_dir():
        raise SourceError(f"{target}: exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / "model.json").exists():
        raise SourceError(f"{target}: is a non-empty directory that is not a model; refusing to overwrite it")
    doc = model_document(model)
    buf = io.BytesIO()
    np.savez(
        buf,
        coef=np.ascontiguousarray(model.coef_, dtype=np.float32),
        intercept=np.asarray(model.intercept_, dtype=np.float32),
        idf=np.asarray(model.featurizer_.idf_, dtype=np.float64),
    )
    weights = buf.getvalue()
    terms = json.dumps(model.featurizer_.terms_, ensure_ascii=False).encode("utf-8")
    doc["files"] = {"weights.npz": _sha256(weights), "terms.json": _sha256(terms)}
    files = {
        "weights.npz": weights,
        "terms.json": terms,
        "model.json": (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    }
    if card:
        files["MODEL_CARD.md"] = render_card(doc).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model directory is ordinary data
        for name, data in files.items():
            with open(tmp / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        _swap_in(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(tmp: Path, target: Path) -> None:
    """Move directory ``tmp`` to ``target``; afterwards ``tmp`` holds the old one (if any)."""
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(tmp, target)
    os.rename(old, tmp)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _read(path: Path, name: str) -> bytes:
    try:
        return (path / name).read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: incomplete model, {name} is missing") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read {name} ({exc.strerror or exc})") from None


def load_model(path: str | os.PathLike[str] | None = None) -> TopicClassifier:
    """Load a model directory; the bundled model when ``path`` is None.

    Only JSON and ``.npz`` arrays (``allow_pickle=False``) are read, after
    checking their SHA-256 against ``model.json``. Missing, truncated,
    tampered or incompatible models raise
    :class:`~customs_topics.errors.ModelError`.

    Example:
        >>> from customs_topics import load_model
        >>> load_model().labels
        ['illicit_trade', 'strategic_trade_control', 'facilitation', 'health_goods']
    """
    root = Path(path) if path is not None else bundled_model_path()
    if root.is_file() and root.name == "model.json":
        root = root.parent
    if not root.exists():
        raise SourceError(f"{root}: no such model directory")
    if not root.is_dir():
        raise ModelError(f"{root}: expected a model directory (with model.json), got a file")
    try:
        doc = json.loads(_read(root, "model.json").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{root}/model.json: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelError(f"{root}/model.json: not a customs-topics model (format must be {FORMAT!r})")
    version = doc.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelError(
            f"{root}: model format version {version!r} is not supported by customs-topics {__version__} "
            f"(supports up to {FORMAT_VERSION}); upgrade the library or retrain the model"
        )
    blobs = {}
    for name in ("weights.npz", "terms.json"):
        data = _read(root, name)
        expected = (doc.get("files") or {}).get(name)
        if expected != _sha256(data):
            raise ModelError(f"{root}/{name}: checksum mismatch (file truncated or modified)")
        blobs[name] = data
    try:
        with np.load(io.BytesIO(blobs["weights.npz"]), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("coef", "intercept", "idf")}
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{root}/weights.npz: unreadable arrays ({exc})") from None
    try:
        terms = json.loads(blobs["terms.json"].decode("utf-8"))
        taxonomy = Taxonomy.from_dict(doc["taxonomy"], source=f"{root}/model.json")
        labels = list(doc["labels"])
        thresholds = np.asarray(doc["thresholds"], dtype=np.float64)
        params = dict(doc["params"])
        featurizer_params = dict(doc["featurizer"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{root}/model.json: missing or malformed field ({exc})") from None
    _check_consistent(root, arrays, terms, labels, thresholds, taxonomy)
    model = TopicClassifier()
    try:
        model.set_params(**params)
        featurizer = Featurizer.from_state(featurizer_params, terms, arrays["idf"])
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{root}/model.json: bad parameters ({exc})") from None
    model.featurizer_ = featurizer
    model.coef_ = arrays["coef"]
    model.intercept_ = arrays["intercept"]
    model.labels_ = labels
    model.thresholds_ = thresholds
    model.taxonomy_ = taxonomy  # type: ignore[attr-defined]
    model.info_ = doc.get("info", {})  # type: ignore[attr-defined]
    return model


def _check_consistent(
    root: Path, arrays: dict[str, np.ndarray], terms: Any, labels: list[str], thresholds: np.ndarray, taxonomy: Taxonomy
) -> None:
    coef, intercept, idf = arrays["coef"], arrays["intercept"], arrays["idf"]
    for name, arr in arrays.items():
        if arr.dtype.kind != "f":
            raise ModelError(f"{root}/weights.npz: array {name!r} has dtype {arr.dtype}, expected floating point")
        if not np.isfinite(arr).all():
            raise ModelError(f"{root}/weights.npz: array {name!r} has non-finite values")
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise ModelError(f"{root}/terms.json: expected a list of strings")
    n, k = len(terms), len(labels)
    if coef.shape != (n, k) or intercept.shape != (k,) or idf.shape != (n,):
        raise ModelError(
            f"{root}: array shapes coef{coef.shape}, intercept{intercept.shape}, idf{idf.shape} "
            f"do not match {n} terms and {k} labels"
        )
    if thresholds.shape != (k,):
        raise ModelError(f"{root}/model.json: {len(thresholds)} thresholds for {k} labels")
    if labels != list(taxonomy.ids):
        raise ModelError(f"{root}/model.json: labels {labels} do not match the taxonomy's themes {list(taxonomy.ids)}")
