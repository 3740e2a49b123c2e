"""Shared fixtures: repo paths, the bundled model, small labelled data sets and a CLI runner."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import customs_topics
from customs_topics import Article, load_model
from customs_topics.corpus import bundled_corpus

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DIGEST = SEEDS / "wco_news_digest.txt"
LABELS = SEEDS / "labels.json"
TRAIN_JSONL = SEEDS / "corpus" / "train.jsonl"
GUIDE = SEEDS / "ANNOTATION_GUIDE.md"
DEFAULT_MODEL = REPO / "models" / "default"
BUILTIN_IDS = ("illicit_trade", "strategic_trade_control", "facilitation", "health_goods")

FOOD_TAXONOMY = {
    "extends": "customs-topics",
    "themes": [
        {
            "id": "food_safety",
            "name": "Food safety",
            "definition": "Sanitary and phytosanitary controls on food and agricultural goods at the border.",
            "includes": ["contaminated or uninspected food consignments"],
        }
    ],
}
FOOD_ITEMS = (
    "contaminated poultry",
    "uninspected beef",
    "spoiled seafood",
    "mouldy grain",
    "pesticide-laden vegetables",
    "untested dairy products",
    "salmonella-infected eggs",
    "unlabelled honey",
    "listeria-tainted cheese",
    "aflatoxin-contaminated peanuts",
    "rotten fruit",
    "unapproved meat products",
)
FOOD_EXAMPLE = (
    "Food safety inspectors rejected a consignment of contaminated shrimp after laboratory tests "
    "found it failed food hygiene and sanitary standards."
)


def run_cli(
    *args: str | os.PathLike[str], input: bytes | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m customs_topics.cli ARGS`` and capture stdout/stderr (bytes)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "customs_topics.cli", *map(str, args)],
        input=input,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def json_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: Sequence[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def model():
    """The bundled model (read-only: tests must not mutate it)."""
    return load_model()


@pytest.fixture(scope="session")
def corpus() -> list[Article]:
    return bundled_corpus()


@pytest.fixture(scope="session")
def gold() -> dict[str, list[str]]:
    return json.loads(LABELS.read_text("utf-8"))


def balanced_subset(articles: Sequence[Article], per_key: int) -> list[Article]:
    """Up to ``per_key`` corpus articles per first label (and per 'no label'), in corpus order."""
    counts: dict[str, int] = {}
    out = []
    for a in articles:
        key = a.labels[0] if a.labels else ""
        if counts.get(key, 0) < per_key:
            counts[key] = counts.get(key, 0) + 1
            out.append(a)
    return out


@pytest.fixture(scope="session")
def small_corpus(corpus) -> list[Article]:
    """About 75 labelled corpus articles (15 per first label and 15 with none), from train.jsonl."""
    return balanced_subset(corpus[10:], 15)


@pytest.fixture(scope="session")
def small_jsonl(tmp_path_factory, small_corpus) -> Path:
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    return write_jsonl(path, [a.to_dict() for a in small_corpus])


def food_rows(corpus: Sequence[Article], per_key: int = 10) -> list[dict]:
    """Corpus articles plus clearly distinct synthetic food-safety articles."""
    rows = [a.to_dict() for a in balanced_subset(corpus[10:], per_key)]
    for i, item in enumerate(FOOD_ITEMS):
        rows.append(
            {
                "id": f"food-{i}",
                "title": f"Food safety inspectors reject {item}",
                "body": f"Food safety inspectors and veterinary officers rejected a consignment of {item} "
                "after laboratory tests on food hygiene and sanitary and phytosanitary standards.",
                "labels": ["food_safety"],
                "event": f"food-{i}",
            }
        )
    return rows


@pytest.fixture(scope="session")
def food_files(tmp_path_factory, corpus) -> tuple[Path, Path]:
    """(taxonomy.json extending the built-in one with food_safety, labelled data.jsonl)."""
    d = tmp_path_factory.mktemp("food")
    tax = d / "taxonomy.json"
    tax.write_text(json.dumps(FOOD_TAXONOMY), "utf-8")
    data = write_jsonl(d / "data.jsonl", food_rows(corpus))
    return tax, data


@pytest.fixture(scope="session")
def food_model(food_files):
    tax, data = food_files
    return customs_topics.train(data, tax, cv_folds=0, threshold_folds=2)


# --- model-directory helpers shared by the persistence and hostile-model tests ---


@pytest.fixture
def model_dir(tmp_path) -> Path:
    """A private copy of the bundled model directory, free to damage."""
    d = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, d)
    return d


def read_doc(d: Path) -> dict:
    return json.loads((d / "model.json").read_text("utf-8"))


def write_doc(d: Path, doc: dict) -> None:
    (d / "model.json").write_text(json.dumps(doc), "utf-8")


def fix_checksum(d: Path, name: str) -> None:
    """Make model.json vouch for the current content of ``name`` (a tamperer's move)."""
    doc = read_doc(d)
    doc["files"][name] = hashlib.sha256((d / name).read_bytes()).hexdigest()
    write_doc(d, doc)


def arrays(d: Path) -> dict[str, np.ndarray]:
    with np.load(d / "weights.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def run_cli_on_tty(*args: str, input: bytes | None = None, stdin_tty: bool = False) -> tuple[int, bytes, bytes]:
    """Run the CLI with stderr (and, with ``stdin_tty``, stdin) on a pseudo-terminal: (exit code, stdout, stderr).

    With ``stdin_tty`` the input is ended by typing Ctrl-D once the command has written something to stderr.
    """
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "customs_topics.cli", *args],
        stdin=slave if stdin_tty else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    if stdin_tty:
        select.select([master], [], [], 120)
        os.write(master, b"\x04")
        out, _ = proc.communicate(timeout=300)
    else:
        out, _ = proc.communicate(input, timeout=300)
    os.close(slave)
    err = b""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    return proc.returncode, out, err
