"""Hostile or broken model directories fail with ModelError and execute nothing (adds to test_persistence.py)."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import arrays, fix_checksum, read_doc, write_doc

from customs_topics import ModelError, load_model


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _write_members(d: Path, members: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    (d / "weights.npz").write_bytes(buf.getvalue())
    fix_checksum(d, "weights.npz")


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def test_object_dtype_coef_with_matching_checksum_is_never_unpickled(model_dir, tmp_path):
    marker = tmp_path / "PWNED"
    a = arrays(model_dir)
    members = {f"{k}.npy": _npy(v) for k, v in a.items()}
    members["coef.npy"] = _npy(np.array([_Evil(str(marker))], dtype=object))
    _write_members(model_dir, members)
    with pytest.raises(ModelError, match=r"weights\.npz"):
        load_model(model_dir)
    assert not marker.exists()


def test_raw_pickle_as_npy_member_is_never_unpickled(model_dir, tmp_path):
    marker = tmp_path / "PWNED"
    a = arrays(model_dir)
    members = {f"{k}.npy": _npy(v) for k, v in a.items()}
    members["idf.npy"] = pickle.dumps(_Evil(str(marker)))
    _write_members(model_dir, members)
    with pytest.raises(ModelError, match=r"weights\.npz"):
        load_model(model_dir)
    assert not marker.exists()


def test_extra_pickled_member_is_ignored(model_dir, tmp_path, model):
    marker = tmp_path / "PWNED"
    a = arrays(model_dir)
    members = {f"{k}.npy": _npy(v) for k, v in a.items()}
    members["evil.npy"] = _npy(np.array([_Evil(str(marker))], dtype=object))
    members["evil.pkl"] = pickle.dumps(_Evil(str(marker)))
    _write_members(model_dir, members)
    loaded = load_model(model_dir)
    assert loaded.predict(["cocaine seized"]) == model.predict(["cocaine seized"])
    assert not marker.exists()


def test_python_files_in_model_dir_are_never_imported(model_dir, tmp_path):
    marker = tmp_path / "PWNED"
    code = f"open({str(marker)!r}, 'w').close()\n"
    for name in ("__init__.py", "model.py", "weights.py", "sitecustomize.py", "customs_topics.py"):
        (model_dir / name).write_text(code, "utf-8")
    load_model(model_dir)
    assert not marker.exists()


def test_decompression_bomb_is_refused_before_inflating(model_dir):
    a = arrays(model_dir)
    members = {f"{k}.npy": _npy(v) for k, v in a.items()}
    members["intercept.npy"] = _npy(np.zeros(20_000_000))  # 160 MB inflated, a few hundred KB deflated
    _write_members(model_dir, members)
    assert (model_dir / "weights.npz").stat().st_size < 2_000_000
    with pytest.raises(ModelError, match="more than its shape can need"):
        load_model(model_dir)


@pytest.mark.parametrize("dtype", [np.int64, np.complex128, np.bool_, "U3"])
def test_wrong_dtype_with_matching_checksum(model_dir, dtype):
    a = arrays(model_dir)
    a["coef"] = a["coef"].astype(dtype) if dtype != np.complex128 else a["coef"] + 0j
    _write_members(model_dir, {f"{k}.npy": _npy(v) for k, v in a.items()})
    with pytest.raises(ModelError, match="coef"):
        load_model(model_dir)


@pytest.mark.parametrize(
    "thresholds", [[float("nan")] * 4, [2.0, 0.5, 0.5, 0.5], [-0.1, 0.5, 0.5, 0.5], ["a", "b", "c", "d"], [[0.5]] * 4]
)
def test_bad_thresholds(model_dir, thresholds):
    doc = read_doc(model_dir)
    doc["thresholds"] = thresholds
    write_doc(model_dir, doc)
    with pytest.raises(ModelError, match=r"thresholds|malformed"):
        load_model(model_dir)


@pytest.mark.parametrize("labels", [[1, 2, 3, 4], ["illicit_trade"] * 4, "illicit_trade"])
def test_bad_labels(model_dir, labels):
    doc = read_doc(model_dir)
    doc["labels"] = labels
    write_doc(model_dir, doc)
    with pytest.raises(ModelError):
        load_model(model_dir)


@pytest.mark.parametrize("terms", [b"{not json", b'{"a": 1}', b"[1, 2, 3]", b"\xff\xfe", b"[" * 100_000])
def test_bad_terms_with_matching_checksum(model_dir, terms):
    (model_dir / "terms.json").write_bytes(terms)
    fix_checksum(model_dir, "terms.json")
    with pytest.raises(ModelError, match=r"terms\.json|shape"):
        load_model(model_dir)


@pytest.mark.parametrize("doc", [b"[" * 100_000, b"[]", b"null", b'"customs-topics-model"', b"\xff"])
def test_model_json_garbage(model_dir, doc):
    (model_dir / "model.json").write_bytes(doc)
    with pytest.raises(ModelError, match=r"model\.json"):
        load_model(model_dir)


def test_files_field_not_a_mapping(model_dir):
    doc = read_doc(model_dir)
    doc["files"] = ["weights.npz"]
    write_doc(model_dir, doc)
    with pytest.raises(ModelError, match="files"):
        load_model(model_dir)


def test_model_file_is_a_directory(model_dir):
    (model_dir / "terms.json").unlink()
    (model_dir / "terms.json").mkdir()
    with pytest.raises(ModelError, match=r"terms\.json"):
        load_model(model_dir)
