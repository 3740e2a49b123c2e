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
        [sys.executable, "-m", "customs_topics.cli", "tag", str(ROOT / "seeds" / "wco_news_digest.txt")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert json.loads(out[0]) == json.loads(example)
