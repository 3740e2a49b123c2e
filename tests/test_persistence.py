"""Safe model files: save/load, checksums, versions, shapes, and no unpickling."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from conftest import BUILTIN_IDS, DEFAULT_MODEL, arrays, fix_checksum, read_doc, run_cli, write_doc

from customs_topics import CustomsTopicsError, ModelError, SourceError, load_model, save_model
from customs_topics.persistence import FORMAT_VERSION, bundled_model_path

PROBE = ["Fake COVID-19 vaccines seized at the airport", "Single Window cuts clearance times", "", "pistols"]


def write_arrays(d: Path, arrs: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrs)
    (d / "weights.npz").write_bytes(buf.getvalue())
    fix_checksum(d, "weights.npz")


def test_bundled_model_is_the_repo_default():
    # In a checkout this is the same directory; in an installed wheel, a copy of it.
    for name in ("model.json", "weights.npz", "terms.json", "MODEL_CARD.md"):
        assert (bundled_model_path() / name).read_bytes() == (DEFAULT_MODEL / name).read_bytes()


def test_save_and_load_round_trip(model, tmp_path):
    out = tmp_path / "nested" / "copy"
    save_model(model, out)
    assert {p.name for p in out.iterdir()} == {"model.json", "weights.npz", "terms.json", "MODEL_CARD.md"}
    loaded = load_model(out)
    assert loaded.labels == model.labels
    np.testing.assert_array_equal(loaded.thresholds_, np.round(model.thresholds_, 6))
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    np.testing.assert_allclose(loaded.predict_proba(PROBE), model.predict_proba(PROBE))
    assert loaded.predict(PROBE) == model.predict(PROBE)
    assert loaded.get_params() == model.get_params()
    assert load_model(out / "model.json").labels == model.labels
    # nothing left behind next to the target
    assert [p.name for p in out.parent.iterdir()] == ["copy"]


def test_saved_model_files_are_data_only(model, tmp_path):
    save_model(model, tmp_path / "m", card=False)
    d = tmp_path / "m"
    assert {p.name for p in d.iterdir()} == {"model.json", "weights.npz", "terms.json"}
    doc = read_doc(d)
    assert doc["format_version"] == FORMAT_VERSION
    assert doc["labels"] == list(BUILTIN_IDS)
    assert doc["files"]["weights.npz"] == hashlib.sha256((d / "weights.npz").read_bytes()).hexdigest()
    assert doc["files"]["terms.json"] == hashlib.sha256((d / "terms.json").read_bytes()).hexdigest()
    a = arrays(d)  # loads with allow_pickle=False
    assert set(a) == {"coef", "intercept", "idf"}
    assert all(v.dtype.kind == "f" for v in a.values())
    terms = json.loads((d / "terms.json").read_text("utf-8"))
    assert a["coef"].shape == (len(terms), 4)


def test_save_over_existing_model(model, food_model, tmp_path):
    out = tmp_path / "m"
    save_model(food_model, out)
    assert load_model(out).labels[-1] == "food_safety"
    save_model(model, out)
    assert load_model(out).labels == list(BUILTIN_IDS)
    assert load_model(out).predict(PROBE) == model.predict(PROBE)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_save_refuses_non_model_non_empty_directory(model, tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.txt").write_text("do not delete", "utf-8")
    with pytest.raises(SourceError) as info:
        save_model(model, target)
    assert isinstance(info.value, CustomsTopicsError)
    assert [p.name for p in target.iterdir()] == ["thesis.txt"]
    assert (target / "thesis.txt").read_text("utf-8") == "do not delete"


def test_save_refuses_a_file_target(model, tmp_path):
    target = tmp_path / "file"
    target.write_text("x", "utf-8")
    with pytest.raises(SourceError):
        save_model(model, target)
    assert target.read_text("utf-8") == "x"


def test_save_into_empty_directory(model, tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    save_model(model, target)
    assert load_model(target).labels == list(BUILTIN_IDS)


def test_save_unfitted_model_fails(tmp_path):
    from customs_topics import TopicClassifier

    with pytest.raises(AttributeError):
        save_model(TopicClassifier(), tmp_path / "m")
    assert not (tmp_path / "m").exists()


# --------------------------------------------------------------------------- #
# Broken or tampered model directories -> ModelError


def test_truncated_weights(model_dir):
    data = (model_dir / "weights.npz").read_bytes()
    (model_dir / "weights.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"weights\.npz"):
        load_model(model_dir)


@pytest.mark.parametrize("cut", ["half", "garbage"])
def test_truncated_weights_with_matching_checksum(model_dir, cut):
    data = (model_dir / "weights.npz").read_bytes()
    (model_dir / "weights.npz").write_bytes(data[: len(data) // 2] if cut == "half" else b"PK\x03\x04" + b"x" * 100)
    fix_checksum(model_dir, "weights.npz")
    with pytest.raises(ModelError, match=r"weights\.npz"):
        load_model(model_dir)


def test_empty_weights_with_matching_checksum(model_dir):
    (model_dir / "weights.npz").write_bytes(b"")
    fix_checksum(model_dir, "weights.npz")
    with pytest.raises(ModelError, match=r"weights\.npz"):
        load_model(model_dir)


def test_modified_terms_checksum_mismatch(model_dir):
    terms = json.loads((model_dir / "terms.json").read_text("utf-8"))
    terms[0], terms[1] = terms[1], terms[0]
    (model_dir / "terms.json").write_text(json.dumps(terms), "utf-8")
    with pytest.raises(ModelError, match="checksum"):
        load_model(model_dir)


def test_modified_weights_checksum_mismatch(model_dir):
    a = arrays(model_dir)
    a["coef"] = a["coef"] * 2
    buf = io.BytesIO()
    np.savez(buf, **a)
    (model_dir / "weights.npz").write_bytes(buf.getvalue())
    with pytest.raises(ModelError, match="checksum"):
        load_model(model_dir)


NEWS_PAGE = "\n".join(
    [
        "Skip to main content",
        "Home",
        "Newsroom",
        "Press releases",
        "Release Date: 12 March 2024",
        "Officers at the port seized 400 kg of cocaine hidden in a shipment of bananas from Ecuador.",
        "Related news",
        "New Single Window Cuts Clearance Times for Importers",
        "Agency Opens Vaccine Cold-Chain Fast Lane at the Airport",
        "Export Controls Tightened on Dual-Use Drone Components",
    ]
)


def test_format_version_1_files_load_with_the_scoring_they_were_trained_with(model, model_dir):
    """A version 1 model.json has no drop_debris / sentence_pool: it must score as it did then
    (debris lines kept, best-sentence pooling), not with today's defaults."""
    doc = read_doc(model_dir)
    doc["format_version"] = 1
    for name in ("drop_debris", "sentence_pool"):
        doc["params"].pop(name, None)
    write_doc(model_dir, doc)
    old = load_model(model_dir)
    assert old.get_params()["drop_debris"] is False
    assert old.get_params()["sentence_pool"] == "max"
    # Same weights, different scoring of page debris: the headline list counts for the version 1 model.
    assert not np.allclose(old.predict_proba(NEWS_PAGE), model.predict_proba(NEWS_PAGE))
    twin = load_model(model_dir)
    twin.set_params(drop_debris=model.drop_debris, sentence_pool=model.sentence_pool)
    np.testing.assert_allclose(twin.predict_proba(NEWS_PAGE), model.predict_proba(NEWS_PAGE))


def test_saved_model_records_its_scoring_parameters(model, tmp_path):
    save_model(model, tmp_path / "m", card=False)
    params = read_doc(tmp_path / "m")["params"]
    assert params["drop_debris"] is model.drop_debris
    assert params["sentence_pool"] == model.sentence_pool


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 99, "1", None, 1.0, 0, -1, True, 2**70, [1]])
def test_unsupported_format_version(model_dir, version):
    doc = read_doc(model_dir)
    doc["format_version"] = version
    write_doc(model_dir, doc)
    with pytest.raises(ModelError, match="format version"):
        load_model(model_dir)


@pytest.mark.parametrize(
    "change",
    [
        lambda a: {**a, "coef": a["coef"][:, :3]},
        lambda a: {**a, "coef": a["coef"][:-1]},
        lambda a: {**a, "intercept": a["intercept"][:2]},
        lambda a: {**a, "idf": a["idf"][:-1]},
        lambda a: {**a, "coef": a["coef"].T},
    ],
    ids=["coef-labels", "coef-terms", "intercept", "idf", "transposed"],
)
def test_wrong_shape_arrays_with_fixed_checksum(model_dir, change):
    write_arrays(model_dir, change(arrays(model_dir)))
    with pytest.raises(ModelError, match="shape"):
        load_model(model_dir)


def test_non_float_or_non_finite_arrays(model_dir, tmp_path):
    a = arrays(model_dir)
    write_arrays(model_dir, {**a, "intercept": np.array(["a", "b", "c", "d"])})
    with pytest.raises(ModelError, match="intercept"):
        load_model(model_dir)
    coef = a["coef"].copy()
    coef[0, 0] = np.inf
    write_arrays(model_dir, {**a, "coef": coef})
    with pytest.raises(ModelError, match="non-finite"):
        load_model(model_dir)


def test_missing_array(model_dir):
    a = arrays(model_dir)
    del a["idf"]
    write_arrays(model_dir, a)
    with pytest.raises(ModelError):
        load_model(model_dir)


def test_object_array_is_not_unpickled(model_dir, tmp_path):
    marker = tmp_path / "PWNED-npz"
    a = arrays(model_dir)
    write_arrays(model_dir, {**a, "idf": np.array([_Evil(str(marker))], dtype=object)})
    with pytest.raises(ModelError):
        load_model(model_dir)
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda doc: doc.update(labels=doc["labels"][::-1]),
        lambda doc: doc["labels"].__setitem__(3, "food_safety"),
        lambda doc: doc["taxonomy"]["themes"].pop(),
        lambda doc: doc["taxonomy"]["themes"][0].update(id="smuggling"),
        lambda doc: doc.update(thresholds=[0.5]),
        lambda doc: doc.pop("labels"),
        lambda doc: doc.pop("files"),
        lambda doc: doc.update(format="something-else"),
        lambda doc: doc["params"].update(evil=1),
        lambda doc: doc["taxonomy"]["themes"][0].update(definition=""),
    ],
    ids=[
        "reordered",
        "renamed",
        "taxonomy-short",
        "taxonomy-renamed",
        "thresholds",
        "no-labels",
        "no-files",
        "format",
        "params",
        "taxonomy-invalid",
    ],
)
def test_model_json_inconsistent_or_malformed(model_dir, edit):
    doc = read_doc(model_dir)
    edit(doc)
    write_doc(model_dir, doc)
    with pytest.raises(ModelError):
        load_model(model_dir)


def test_model_json_not_json(model_dir):
    (model_dir / "model.json").write_text("{not json", "utf-8")
    with pytest.raises(ModelError):
        load_model(model_dir)


@pytest.mark.parametrize("name", ["model.json", "weights.npz", "terms.json"])
def test_missing_file(model_dir, name):
    (model_dir / name).unlink()
    with pytest.raises(ModelError, match=name):
        load_model(model_dir)


def test_missing_model_directory(tmp_path):
    with pytest.raises((SourceError, ModelError)):
        load_model(tmp_path / "nope")
    (tmp_path / "file").write_text("x", "utf-8")
    with pytest.raises(ModelError):
        load_model(tmp_path / "file")


def test_model_card_is_optional_for_loading(model_dir):
    (model_dir / "MODEL_CARD.md").unlink()
    assert load_model(model_dir).labels == list(BUILTIN_IDS)


# --------------------------------------------------------------------------- #
# Pickles are never loaded


class _Evil:
    """Unpickling this creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("name", ["model.pkl", "model.pickle", "weights.pkl", "model.joblib", "classifier.sav"])
def test_pickle_in_model_dir_is_never_loaded(model_dir, tmp_path, model, name):
    marker = tmp_path / f"PWNED-{name}"
    (model_dir / name).write_bytes(pickle.dumps(_Evil(str(marker))))
    # sanity: the payload does work when unpickled
    probe = tmp_path / "probe-marker"
    pickle.loads(pickle.dumps(_Evil(str(probe))))
    assert probe.exists()
    loaded = load_model(model_dir)
    assert not marker.exists()
    assert loaded.predict(PROBE) == model.predict(PROBE)
    res = run_cli("tag", "--model", model_dir, "-", input=b"Customs seized cocaine at the port.\n")
    assert res.returncode == 0, res.stderr.decode()
    assert not marker.exists()


def test_pickled_weights_file_is_refused(model_dir, tmp_path):
    marker = tmp_path / "PWNED-weights"
    (model_dir / "weights.npz").write_bytes(pickle.dumps(_Evil(str(marker))))
    fix_checksum(model_dir, "weights.npz")
    with pytest.raises(ModelError, match=r"weights\.npz"):
        load_model(model_dir)
    assert not marker.exists()


def test_load_does_not_write_to_model_dir(model_dir):
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in model_dir.iterdir()}
    load_model(model_dir)
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in model_dir.iterdir()}
    assert before == after
    assert os.access(model_dir, os.R_OK)
