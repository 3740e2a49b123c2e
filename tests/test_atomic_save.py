"""Atomic saves: a save killed at any moment leaves the old model or the new one, never a mix.

Also: leftovers of killed saves are cleaned by the next save, the two-rename
fallback's window is recovered from, and concurrent loads see whole models.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_jsonl

from customs_topics import ModelError, load_model, save_model
from customs_topics import persistence as persistence_module

# A child process that saves models A and B alternately to DIR until killed.
SAVE_LOOP = textwrap.dedent(
    """
    import sys, numpy as np
    from customs_topics import load_model, save_model
    import customs_topics.persistence as p
    target, mode = sys.argv[1], sys.argv[2]
    if mode == "fallback":
        p._exchange = lambda a, b: False  # as on systems without renameat2
    a = load_model()
    b = load_model()
    b.thresholds_ = np.round(b.thresholds_ * 0.5, 6)
    print("ready", flush=True)
    i = 0
    while True:
        save_model((a, b)[i % 2], target)
        i += 1
    """
)


def _which(d: Path, a_thresholds: np.ndarray) -> str:
    model = load_model(d)
    if np.array_equal(model.thresholds_, a_thresholds):
        return "A"
    np.testing.assert_array_equal(model.thresholds_, np.round(a_thresholds * 0.5, 6))
    return "B"


def _leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_save_loop_killed_at_random_moments(tmp_path, model, mode):
    target = tmp_path / "model"
    a_thresholds = np.round(model.thresholds_, 6)
    rng = random.Random(1234)
    seen = set()
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVE_LOOP, str(target), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout.readline() == b"ready\n", proc.stderr.read()
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        if not target.exists() and not _leftovers(target):
            continue  # killed before the first save completed: nothing there, nothing loadable
        # The old model or the new one, complete: loading verifies every checksum and shape.
        seen.add(_which(target, a_thresholds))
    assert seen, "no save ever completed"
    # The next save restores/cleans whatever a kill left behind.
    save_model(model, target)
    assert _leftovers(target) == []
    assert _which(target, a_thresholds) == "A"


def test_fallback_window_is_recovered(tmp_path, model, caplog):
    """Simulate a kill between the two renames of the fallback swap: DIR is missing."""
    target = tmp_path / "model"
    save_model(model, target)
    old = tmp_path / ".model.old-999999999-x"
    os.rename(target, old)
    new = tmp_path / ".model.tmp-999999999-y"
    save_model(model, tmp_path / "other")
    os.rename(tmp_path / "other", new)
    # load_model reads the previous model from the leftover (read-only, with a warning)
    with caplog.at_level("WARNING", logger="customs_topics"):
        loaded = load_model(target)
    assert loaded.labels == model.labels
    assert any("interrupted save" in r.getMessage() for r in caplog.records)
    assert not target.exists()
    # a missing model with no leftover is still a clear error
    with pytest.raises(OSError, match="no such model directory"):
        load_model(tmp_path / "never-saved")
    # the next save puts it back first, then replaces it; the leftovers are gone
    save_model(model, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert load_model(target).labels == model.labels


def test_leftovers_of_live_processes_are_kept(tmp_path, model):
    target = tmp_path / "model"
    mine = tmp_path / f".model.tmp-{os.getppid()}-busy"  # the parent process is alive
    mine.mkdir()
    dead = tmp_path / ".model.tmp-999999999-dead"
    dead.mkdir()
    (dead / "weights.npz").write_bytes(b"half")
    unrelated = tmp_path / ".othermodel.tmp-999999999-x"
    unrelated.mkdir()
    save_model(model, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model", mine.name, unrelated.name])


def _small_rows(small_corpus, n):
    return [a.to_dict() for a in small_corpus[:n]]


def test_cli_train_killed_at_random_moments(tmp_path, small_corpus):
    """`customs-topics train --out DIR` SIGKILLed after random delays: DIR is absent, or one complete model."""
    data = [
        write_jsonl(tmp_path / "a.jsonl", _small_rows(small_corpus, len(small_corpus))),
        write_jsonl(tmp_path / "b.jsonl", _small_rows(small_corpus, len(small_corpus) - 5)),
    ]
    work = tmp_path / "out"
    work.mkdir()
    target = work / "model"
    # Reference model.json of each data file (training is deterministic).
    refs = {}
    for i, path in enumerate(data):
        ref = tmp_path / f"ref{i}"
        res = subprocess.run(
            [sys.executable, "-m", "customs_topics.cli", "train", "--data", path, "--out", ref, "--folds", "0"],
            capture_output=True,
            check=False,
        )
        assert res.returncode == 0, res.stderr.decode()
        refs[(ref / "model.json").read_bytes()] = i
    assert len(refs) == 2
    start = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "customs_topics.cli",
            "train",
            "--data",
            data[0],
            "--out",
            tmp_path / "t",
            "--folds",
            "0",
        ],
        check=True,
        capture_output=True,
    )
    duration = time.monotonic() - start
    rng = random.Random(7)
    completed = False
    for k in range(6):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "customs_topics.cli",
                "train",
                "--data",
                data[k % 2],
                "--out",
                target,
                "--folds",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5 * duration, 1.1 * duration))
        proc.send_signal(signal.SIGKILL)
        returncode = proc.wait()
        completed = completed or returncode == 0
        if not target.exists():
            assert not completed, "a completed model disappeared"
            continue
        assert (target / "model.json").read_bytes() in refs
        load_model(target)  # complete: all checksums, shapes and the taxonomy agree
    res = subprocess.run(
        [sys.executable, "-m", "customs_topics.cli", "train", "--data", data[0], "--out", target, "--folds", "0"],
        capture_output=True,
        check=False,
    )
    assert res.returncode == 0
    assert refs[(target / "model.json").read_bytes()] == 0
    assert sorted(p.name for p in work.iterdir()) == ["model"]


def test_concurrent_loads_during_saves_see_whole_models(tmp_path, model):
    target = tmp_path / "model"
    save_model(model, target)
    b = load_model()
    b.thresholds_ = np.round(b.thresholds_ * 0.5, 6)
    a_thresholds = np.round(model.thresholds_, 6)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[str] = []

    def saver() -> None:
        i = 0
        while not stop.is_set():
            save_model((b, model)[i % 2], target)
            i += 1

    def loader() -> None:
        try:
            while not stop.is_set():
                seen.append(_which(target, a_thresholds))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=saver)] + [threading.Thread(target=loader) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert {"A", "B"} <= set(seen)


def test_load_model_does_not_wait_on_fifo_or_device(tmp_path, model):
    target = tmp_path / "model"
    save_model(model, target)
    (target / "terms.json").unlink()
    os.mkfifo(target / "terms.json")
    with pytest.raises(ModelError, match="not a regular file"):
        load_model(target)
    (target / "terms.json").unlink()
    (target / "terms.json").symlink_to("/dev/zero")
    with pytest.raises(ModelError, match="not a regular file"):
        load_model(target)


def test_save_model_document_is_json(tmp_path, model):
    save_model(model, tmp_path / "m")
    doc = json.loads((tmp_path / "m" / "model.json").read_text("utf-8"))
    assert set(doc["files"]) == {"weights.npz", "terms.json"}
    assert persistence_module.MODEL_FILES == ("model.json", "weights.npz", "terms.json")
