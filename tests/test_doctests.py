"""Every module's docstring examples run and pass."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "customs_topics",
    "customs_topics.errors",
    "customs_topics.articles",
    "customs_topics.taxonomy",
    "customs_topics.corpus",
    "customs_topics.features",
    "customs_topics.scorer",
    "customs_topics.evaluation",
    "customs_topics.model",
    "customs_topics.persistence",
    "customs_topics.model_card",
    "customs_topics.trainer",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=True, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0, f"{result.failed} doctest failure(s) in {name} (see captured stdout)"
