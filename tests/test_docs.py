"""The README's promises match the shipped model and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text("utf-8")


def test_readme_scores_are_the_bundled_models(readme):
    cv = json.loads((ROOT / "models" / "default" / "model.json").read_text("utf-8"))["info"]["cv"]
    block = readme[readme.index("<!-- scores:start -->") : readme.index("<!-- scores:end -->")]
    for label, m in cv["per_label"].items():
        assert f"| `{label}` | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |" in block
    for avg in ("micro", "macro"):
        m = cv[avg]
        assert f"| *{avg} average* | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |" in block


def test_readme_starts_with_the_two_commands(readme):
    commands = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    assert "pip install ." in commands[0] and "customs-topics tag seeds/wco_news_digest.txt" in commands[0]
    assert commands[1].strip() == "pip install '.[test]' && pytest"


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "pip install .\n" in ci and "customs-topics tag seeds/wco_news_digest.txt" in ci
    assert "pip install '.[test]'" in ci and "\npytest" in ci


def test_readme_taxonomy_table_matches_the_taxonomy(readme):
    from customs_topics import load_taxonomy

    for theme in load_taxonomy().themes:
        assert f"| `{theme.id}` | {theme.name} | {theme.definition} |" in readme


def test_readme_example_output_is_what_the_cli_prints(readme):
    import subprocess
    import sys

    example = next(line for line in readme.splitlines() if line.startswith('{"id": "a-'))
    out = subprocess.run(
        [sys.executable, "-m", "customs_topics.cli", "tag", "seeds/wco_news_digest.txt"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    assert json.loads(out[0]) == json.loads(example)


# --------------------------------------------------------------------------- #
# Every README example runs as written, from a directory outside the checkout.
#
# One test per fenced python/bash block, in README order, all in one temporary
# working directory holding the files the examples name (see _workdir). Skipped,
# and why (_SKIP): blocks that install the package from the checkout or run the
# test suite and benchmarks (Quick start, Development); the Dask DataFrame and
# multi-node examples (they need a Dask cluster and its data); Spark examples
# (they need a Spark session or cluster). Everything else runs, including the
# retraining example (on a fixture of bundled-corpus articles relabelled with
# the README's tobacco theme, made only for this test).

_FENCE = re.compile(r"^( *)```(\w+)\n(.*?)\n\1```", re.S | re.M)
_SKIP = {
    "pip install": "installs the package from the checkout",
    "python benchmarks/": "development commands for a checkout",
    "LocalCluster": "needs a Dask cluster",
    'Client("tcp://': "needs a multi-node Dask cluster",
    "UNTESTED": "Spark sketch, needs Spark",
    "SparkSession": "needs a Spark session",
    "spark-submit": "needs a Spark cluster",
}


def _examples() -> list[tuple[str, str, str]]:
    """(id, language, code) of every python/bash block, in README order.

    A Python block runs after the earlier Python blocks of its section, as in
    one session (a follow-on block may use names an earlier one defined).
    """
    text = README.read_text("utf-8")
    out: list[tuple[str, str, str]] = []
    sessions: dict[str, list[str]] = {}
    for match in _FENCE.finditer(text):
        indent, lang, body = match.groups()
        if lang not in ("python", "bash"):
            continue
        heading = ([h for h in re.findall(r"^## (.+)$", text[: match.start()], re.M)] or ["top"])[-1]
        code = "\n".join(line[len(indent) :] for line in body.splitlines())
        if lang == "python" and not any(marker in code for marker in _SKIP):
            code = "\n".join([*sessions.get(heading, []), code])
            sessions[heading] = [code]
        out.append((f"{heading} #{sum(1 for e in out if e[0].startswith(heading)) + 1}", lang, code))
    return out


EXAMPLES = _examples()


def _workdir(tmp: Path) -> Path:
    """The files the README examples name, as a user would have them."""
    import shutil

    from customs_topics import bundled_corpus_path
    from customs_topics._resources import shipped
    from customs_topics.corpus import bundled_corpus

    data = ROOT / "tests" / "data" / "inputs"
    corpus = bundled_corpus()
    rows = [{"id": a.id, "title": a.title, "body": a.body} for a in corpus[:40:4]]
    labelled = [dict(r, labels=list(a.labels or ())) for r, a in zip(rows, corpus[:40:4])]
    taxonomy = json.loads(re.search(r'```json\n\s*(\{"extends".*?)\n\s*```', README.read_text("utf-8"), re.S)[1])

    def jsonl(name: str, items: list[dict]) -> None:
        (tmp / name).write_text("".join(json.dumps(i) + "\n" for i in items), "utf-8")

    # The retraining walk-through: a tobacco theme, labelled on bundled articles that are about it
    # (even ones to train on, odd ones held out), and an archive folder holding the bundled corpus.
    tobacco_words = re.compile(r"\b(tobacco|cigarettes?|cigars?|hookah|shisha)\b", re.I)
    tobacco = [
        {"id": a.id, "title": a.title, "body": a.body, "labels": [*(a.labels or ()), "tobacco"]}
        for a in corpus
        if tobacco_words.search(a.text)
    ]
    tobacco_ids = {t["id"] for t in tobacco}
    negatives = [r for r in labelled if r["id"] not in tobacco_ids]
    (tmp / "archive").mkdir()
    shutil.copy(bundled_corpus_path(), tmp / "archive" / "corpus.jsonl")
    jsonl("labelled.jsonl", tobacco[::2] + negatives)
    jsonl("held-out.jsonl", tobacco[1::2])
    jsonl("news.jsonl", rows)
    jsonl("news-1.jsonl", rows[:5])  # the Dask Bag example's news-*.jsonl
    jsonl("news-2.jsonl", rows[5:])
    jsonl("gold.jsonl", labelled)
    jsonl("my-labelled.jsonl", labelled)
    jsonl("mine.jsonl", tobacco[::2] + negatives)  # the Command line section's train example
    (tmp / "archive.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows[:3]) + "{not json\n" + json.dumps(rows[3]) + "\n", "utf-8"
    )
    for name in ("my-taxonomy.json", "tobacco-taxonomy.json"):
        (tmp / name).write_text(json.dumps(taxonomy), "utf-8")
    page = (
        "<!DOCTYPE html><html><head><title>Pistols seized | Border News</title></head><body><nav>Home News</nav>"
        "<article><h1>Pistols seized at the border</h1><p>Officers found 40 pistols and ammunition hidden in a "
        "truck at the border crossing.</p></article></body></html>"
    )
    (tmp / "page.html").write_text(page, "utf-8")
    (tmp / "pages").mkdir()
    (tmp / "pages" / "pistols.html").write_text(page, "utf-8")
    (tmp / "press").mkdir()
    for name in ("press_release.txt", "byline_story.txt"):
        shutil.copy(data / name, tmp / "press" / name)
    shutil.copy(data / "news.csv", tmp / "exports.csv")
    shutil.copytree(shipped("models", "default"), tmp / "my-model")  # "a model of your own", until train replaces it
    return tmp


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return _workdir(tmp_path_factory.mktemp("readme-examples"))


def test_readme_has_examples_to_run():
    run = [e for e in EXAMPLES if not any(marker in e[2] for marker in _SKIP)]
    assert sum(lang == "python" for _, lang, _ in run) >= 4 and sum(lang == "bash" for _, lang, _ in run) >= 2


@pytest.mark.parametrize(("lang", "code"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_readme_example_runs_from_outside_the_checkout(workdir, lang, code):
    import os
    import subprocess
    import sys

    reason = next((why for marker, why in _SKIP.items() if marker in code), None)
    if reason:
        pytest.skip(reason)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    if lang == "python":
        res = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, timeout=900)
        assert res.returncode == 0, f"README example failed:\n{code}\n{res.stderr.decode()}"
        return
    if not Path(sys.executable).with_name("customs-topics").exists():
        pytest.skip("customs-topics script not installed in this environment")
    for line in code.splitlines():
        command = line.split("  #")[0].strip()
        if not command:
            continue
        res = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, timeout=900)
        allowed = (0, 1) if "--on-error" in command else (0,)
        err = res.stderr.decode()
        assert res.returncode in allowed and "Traceback" not in err, f"README command failed: {command}\n{err}"
