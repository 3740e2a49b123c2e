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

Format version 2 added the scoring parameters ``drop_debris`` and
``sentence_pool``; a version 1 file (which does not list them) loads with the
values it was trained with (debris kept, best-sentence pooling), so its
predictions do not change.

Loading never unpickles or imports anything from the directory; any other
file in it is ignored. Saving writes a complete new directory next to the
target (``.NAME.tmp-PID-*``) and swaps it in with one atomic
``renameat2(RENAME_EXCHANGE)`` on Linux, so an interrupted save leaves the old
model intact and a concurrent :func:`load_model` sees the old model or the
new one, never a mix. Where that call is missing the swap takes two renames;
a save killed between them leaves the old model in ``.NAME.old-PID-*``:
:func:`load_model` then reads it from there (with a warning) and the next
:func:`save_model` to the same path moves it back first. Leftover
``.NAME.tmp-*`` / ``.NAME.old-*`` directories of dead processes are removed by
the next save.

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
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
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

log = logging.getLogger("customs_topics")

FORMAT = "customs-topics-model"
FORMAT_VERSION = 2
#: Parameters added after a format version, with the value that reproduces older files' behaviour
#: (an old file does not list them, and today's defaults differ).
LEGACY_PARAMS: dict[int, dict[str, object]] = {1: {"drop_debris": False, "sentence_pool": "max"}}
BUNDLED = ("models", "default")
#: The files a model directory must hold (``MODEL_CARD.md`` is optional).
MODEL_FILES = ("model.json", "weights.npz", "terms.json")
#: Largest ``weights.npz`` member accepted, per array element (float64) plus
#: header slack: a crafted archive cannot make loading inflate gigabytes.
_NPY_HEADER_SLACK = 1 << 16


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
    _recover(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model directory is ordinary data
        for name, data in files.items():
            with open(tmp / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        _swap_in(tmp, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(tmp: Path, target: Path) -> None:
    """Move directory ``tmp`` to ``target``; afterwards ``tmp`` holds the old one (if any)."""
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        return
    # Two-rename fallback: between the renames ``target`` is missing and the
    # old model sits in ``old`` (see _recover and _leftover_model).
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(tmp, target)
    os.rename(old, tmp)


def _fsync_dir(path: Path) -> None:
    """Make renames and new entries in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[^/]*$")


def _leftovers(target: Path) -> list[tuple[Path, str, int]]:
    """``(path, "tmp" | "old", pid)`` of the temporary directories of saves to ``target``."""
    out = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return out
    for entry in entries:
        m = _LEFTOVER.match(entry.name)
        if m and m["name"] == target.name and entry.is_dir() and not entry.is_symlink():
            out.append((entry, m["kind"], int(m["pid"])))
    return out


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: leave it alone
    return True


def _recover(target: Path) -> None:
    """Finish after saves to ``target`` that were killed: restore a model left in
    ``.NAME.old-*`` if ``target`` is missing, and remove other leftovers of dead processes."""
    leftovers = [(p, kind) for p, kind, pid in _leftovers(target) if not _pid_alive(pid)]
    if not target.exists():
        olds = sorted((p for p, kind in leftovers if kind == "old" and (p / "model.json").is_file()), key=_mtime)
        if olds:
            log.warning("%s: restoring the model left in %s by an interrupted save", target, olds[-1].name)
            os.rename(olds[-1], target)
            leftovers = [(p, kind) for p, kind in leftovers if p != olds[-1]]
    for path, _ in leftovers:
        log.info("removing %s, left by an interrupted save", path)
        shutil.rmtree(path, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _leftover_model(target: Path) -> Path | None:
    """The previous model of a save to ``target`` killed between its two renames, if any."""
    olds = [p for p, kind, _ in _leftovers(target) if kind == "old" and (p / "model.json").is_file()]
    return max(olds, key=_mtime) if olds else None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _read_files(root: Path) -> dict[str, bytes]:
    """The model files of ``root``, all read through one directory handle.

    Opening the directory first pins it: if a concurrent save swaps a new
    model in meanwhile, every file still comes from the same directory (or
    goes missing, which the caller retries).
    """
    use_fd = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
    dir_fd = None
    if use_fd:
        try:
            dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise ModelError(f"{root}: cannot open model directory ({exc.strerror or exc})") from None
    try:
        return {name: _read(root, name, dir_fd) for name in MODEL_FILES}
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def _read(root: Path, name: str, dir_fd: int | None) -> bytes:
    try:
        if dir_fd is None:
            if not (root / name).is_file() and (root / name).exists():
                raise ModelError(f"{root}: {name} is not a regular file")
            return (root / name).read_bytes()
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0), dir_fd=dir_fd)
        with open(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                # A FIFO or a device (/dev/zero) would block or never end.
                raise ModelError(f"{root}: {name} is not a regular file")
            return fh.read()
    except FileNotFoundError:
        raise ModelError(f"{root}: incomplete model, {name} is missing") from None
    except IsADirectoryError:
        raise ModelError(f"{root}: {name} is a directory, expected a file") from None
    except OSError as exc:
        raise ModelError(f"{root}: cannot read {name} ({exc.strerror or exc})") from None


def _identity(root: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(root)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def load_model(path: str | os.PathLike[str] | None = None) -> TopicClassifier:
    """Load a model directory; the bundled model when ``path`` is None.

    Only JSON and ``.npz`` arrays (``allow_pickle=False``) are read, after
    checking their SHA-256 against ``model.json``; nothing in the directory is
    ever unpickled, imported or executed. Missing, truncated, tampered or
    incompatible models raise :class:`~customs_topics.errors.ModelError`
    (a missing directory: :class:`~customs_topics.errors.SourceError`).
    Loading while another process saves to the same path gives the old model
    or the new one. If a save was killed between the two renames of its
    fallback swap (``path`` missing), the previous model is read from the
    ``.NAME.old-*`` directory it left, with a warning.

    Example:
        >>> from customs_topics import load_model
        >>> load_model().labels
        ['illicit_trade', 'strategic_trade_control', 'facilitation', 'health_goods']
    """
    root = Path(path) if path is not None else bundled_model_path()
    if root.is_file() and root.name == "model.json":
        root = root.parent
    if not root.exists():
        leftover = _leftover_model(root) if path is not None else None
        if leftover is None:
            raise SourceError(f"{root}: no such model directory")
        log.warning("%s: missing after an interrupted save; loading the previous model from %s", root, leftover)
        root = leftover
    if not root.is_dir():
        raise ModelError(f"{root}: expected a model directory (with model.json), got a file")
    for attempt in range(3):
        before = _identity(root)
        try:
            return _load(root)
        except ModelError:
            # Replaced by a concurrent save while we read it: read the new one.
            if attempt == 2 or before is None or _identity(root) in (before, None):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load(root: Path) -> TopicClassifier:
    files = _read_files(root)
    try:
        doc = json.loads(files["model.json"].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelError(f"{root}/model.json: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelError(f"{root}/model.json: not a customs-topics model (format must be {FORMAT!r})")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise ModelError(
            f"{root}: model format version {version!r} is not supported by customs-topics {__version__} "
            f"(supports up to {FORMAT_VERSION}); upgrade the library or retrain the model"
        )
    checksums = doc.get("files")
    if not isinstance(checksums, dict):
        raise ModelError(f"{root}/model.json: missing or malformed field 'files' (checksums)")
    blobs = {}
    for name in ("weights.npz", "terms.json"):
        data = files[name]
        if checksums.get(name) != _sha256(data):
            raise ModelError(f"{root}/{name}: checksum mismatch (file truncated or modified)")
        blobs[name] = data
    try:
        terms = json.loads(blobs["terms.json"].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelError(f"{root}/terms.json: not valid JSON ({exc})") from None
    if not isinstance(terms, list):
        raise ModelError(f"{root}/terms.json: expected a list of strings")
    labels_doc = doc.get("labels")
    n_labels = len(labels_doc) if isinstance(labels_doc, list) else 0
    arrays = _read_arrays(root, blobs["weights.npz"], max_elements=max(len(terms), 1) * max(n_labels, 1))
    try:
        taxonomy = Taxonomy.from_dict(doc["taxonomy"], source=f"{root}/model.json")
        labels = list(doc["labels"])
        thresholds = np.asarray(doc["thresholds"], dtype=np.float64)
        params = {**LEGACY_PARAMS.get(version, {}), **dict(doc["params"])}
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


_NPY_LOCK = threading.Lock()


def _read_arrays(root: Path, data: bytes, max_elements: int) -> dict[str, np.ndarray]:
    """``coef``, ``intercept`` and ``idf`` from ``weights.npz`` bytes, never unpickling.

    Each member's uncompressed size is checked against what ``max_elements``
    float64 values could need before it is inflated.
    """
    limit = 8 * max_elements + _NPY_HEADER_SLACK
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in ("coef", "intercept", "idf"):
                try:
                    info = zf.getinfo(f"{name}.npy")
                except KeyError:
                    raise ModelError(f"{root}/weights.npz: array {name!r} is missing") from None
                if info.file_size > limit:
                    raise ModelError(
                        f"{root}/weights.npz: array {name!r} is {info.file_size} bytes, "
                        f"more than its shape can need ({limit})"
                    )
        # numpy parses .npy headers with ast.literal_eval. Eight threads loading at once on
        # CPython 3.11.7 failed (rarely) with SystemError "AST constructor recursion depth
        # mismatch", a thread-safety bug of CPython's AST conversion: read arrays one thread at a time.
        with _NPY_LOCK, np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("coef", "intercept", "idf")}
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
        raise ModelError(f"{root}/weights.npz: unreadable arrays ({exc})") from None
    for name, arr in arrays.items():
        if not isinstance(arr, np.ndarray):  # numpy hands back non-.npy members as raw bytes
            raise ModelError(f"{root}/weights.npz: array {name!r} is not in .npy format")
    return arrays


def _check_consistent(
    root: Path, arrays: dict[str, np.ndarray], terms: Any, labels: list[str], thresholds: np.ndarray, taxonomy: Taxonomy
) -> None:
    coef, intercept, idf = arrays["coef"], arrays["intercept"], arrays["idf"]
    for name, arr in arrays.items():
        if arr.dtype.kind != "f" or arr.dtype.hasobject:
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
        raise ModelError(f"{root}/model.json: {thresholds.size} thresholds for {k} labels")
    if not (np.isfinite(thresholds).all() and ((thresholds >= 0) & (thresholds <= 1)).all()):
        raise ModelError(f"{root}/model.json: thresholds must be numbers between 0 and 1")
    if not all(isinstance(label, str) for label in labels) or len(set(labels)) != len(labels):
        raise ModelError(f"{root}/model.json: labels must be distinct strings, got {labels}")
    if labels != list(taxonomy.ids):
        raise ModelError(f"{root}/model.json: labels {labels} do not match the taxonomy's themes {list(taxonomy.ids)}")
