"""The fast batch scorer computes exactly what the reference featurizer defines.

``Featurizer.transform``/``transform_units`` build feature rows in plain
Python; ``Scorer.score`` scores whole batches without building rows. With
random weight matrices, equal scores mean equal feature vectors (up to
floating-point rounding), and the bundled model's predictions must not
depend on the path.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_topics import load_model
from customs_topics.corpus import bundled_corpus
from customs_topics.debris import drop_debris
from customs_topics.features import Featurizer, split_units, tokenize, units
from customs_topics.scorer import UNKNOWN_CACHE

AWKWARD = [
    ("", ""),
    ("   ", "\n\n  \t "),
    ("...", "!!! ??? ;;; --- ***"),
    ("x", "y"),
    ("Ünïcode Σίσυφος ÉTÉ \u212aing", "naïve café. Ωmega ΣΑΣ! 123 __ x\x01y\x02z\x03w\n\nnext\r\nline"),
    ("“Quoted” — dashes…", "Customs seized 1,000 kg… “of cocaine”.\u00a0Officers\u2009found 2 pistols; İstanbul."),
    ("Numbers 2024", "HS 8471.30 and 3004.90; 12.5% duty; 1e6 units; 0x1F"),
    ("Mixed 中文 العربية", "Zoll beschlagnahmt Kokain. Douane saisit des médicaments falsifiés! 税关查获"),
    ("Lone \ud800 surrogate", "text with \udfff inside. And more."),
    (
        "U.S. CBP Seizes Fake Pills",
        "U.S. Customs and Border Protection (CBP) officers seized... 3 shipments. (Photo: CBP)",
    ),
    ("Long", "Customs seized counterfeit goods. " * 3000),
    ("Tabs\tand\tspaces", "a\tb\vc\fd\re"),
]


@pytest.fixture(scope="module")
def corpus_docs():
    return [(a.title, a.body) for a in bundled_corpus()]


@pytest.fixture(scope="module")
def featurizer(corpus_docs):
    return Featurizer().fit(corpus_docs[:400])


def reference(f: Featurizer, W: np.ndarray, docs):
    rows = f.transform(docs)
    unit_rows, owner = f.transform_units(docs)
    return rows.dot(W), unit_rows.dot(W), owner, np.diff(rows.indptr) == 0, np.diff(unit_rows.indptr) == 0


def assert_same(f: Featurizer, W: np.ndarray, docs) -> None:
    doc_ref, unit_ref, owner_ref, doc_empty_ref, unit_empty_ref = reference(f, W, docs)
    doc, unit, owner, doc_empty, unit_empty = f.scorer(W).score(docs)
    np.testing.assert_array_equal(owner, owner_ref)
    np.testing.assert_array_equal(doc_empty, doc_empty_ref)
    np.testing.assert_array_equal(unit_empty, unit_empty_ref)
    np.testing.assert_allclose(doc, doc_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(unit, unit_ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "params", [{}, {"ngram_max": 1}, {"use_affixes": False}, {"title_weight": 3}, {"sublinear_tf": False}]
)
def test_scorer_equals_reference_on_corpus(corpus_docs, params):
    f = Featurizer(**params).fit(corpus_docs[:400])
    W = np.random.default_rng(1).normal(size=(f.n_features, 3))
    # Held-out articles: many words the featurizer has not seen.
    assert_same(f, W, corpus_docs[400:])


def test_scorer_equals_reference_on_awkward_text(featurizer):
    W = np.random.default_rng(2).normal(size=(featurizer.n_features, 4))
    assert_same(featurizer, W, AWKWARD)
    # One at a time too: results must not depend on the batch.
    scorer = featurizer.scorer(W)
    together = scorer.score(AWKWARD)[0]
    alone = np.vstack([scorer.score([d])[0] for d in AWKWARD])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text(max_size=60), st.text(max_size=300)), min_size=1, max_size=5))
def test_scorer_equals_reference_on_arbitrary_text(featurizer, docs):
    W = np.random.default_rng(3).normal(size=(featurizer.n_features, 2))
    assert_same(featurizer, W, docs)


def test_learned_unknown_words_do_not_change_scores(featurizer, corpus_docs):
    W = np.random.default_rng(4).normal(size=(featurizer.n_features, 2))
    scorer = featurizer.scorer(W)
    docs = corpus_docs[400:450]
    first = scorer.score(docs)[0]
    assert scorer._size > scorer.n_known  # unknown words were remembered
    np.testing.assert_array_equal(scorer.score(docs)[0], first)
    np.testing.assert_allclose(first, reference(featurizer, W, docs)[0], rtol=0, atol=1e-10)


def test_full_unknown_cache_falls_back_to_per_batch_table(featurizer, corpus_docs, monkeypatch):
    import customs_topics.scorer as scorer_module

    monkeypatch.setattr(scorer_module, "UNKNOWN_CACHE", 0)
    W = np.random.default_rng(5).normal(size=(featurizer.n_features, 2))
    scorer = featurizer.scorer(W)
    docs = corpus_docs[450:500]
    np.testing.assert_allclose(scorer.score(docs)[0], reference(featurizer, W, docs)[0], rtol=0, atol=1e-10)
    assert scorer._size == scorer.n_known
    assert UNKNOWN_CACHE > 0


def test_bundled_model_predictions_do_not_depend_on_the_path(corpus_docs):
    model = load_model()
    docs = corpus_docs[:200] + AWKWARD
    fast = model.predict_proba([f"{t}\n\n{b}" if t else b for t, b in docs])
    # Reference path: rows built in Python, then the same blending.
    f = model.featurizer_
    texts = [f"{t}\n\n{b}" if t else b for t, b in docs]
    if model.drop_debris:  # the model leaves page debris lines out first
        texts = [drop_debris(text) for text in texts]
    doc_ref, unit_ref, owner, doc_empty, unit_empty = reference(
        f, model.coef_.astype(np.float64), [("", text) for text in texts]
    )
    S = doc_ref + model.intercept_
    U = np.where(unit_empty[:, None], -np.inf, unit_ref + model.intercept_)
    best = np.full_like(S, -np.inf)
    np.maximum.at(best, owner, U)
    if model.sentence_pool == "softmax":  # log of the mean of exp over the units with a known term
        total = np.zeros_like(S)
        np.add.at(total, owner, np.exp(U - np.where(np.isfinite(best), best, 0)[owner]))
        count = np.bincount(owner[~unit_empty], minlength=len(S))[:, None]
        with np.errstate(divide="ignore"):
            best = np.where(np.isfinite(best), best + np.log(total / np.maximum(count, 1)), best)
    a = model.sentence_weight
    S = np.where(np.isfinite(best), (1 - a) * S + a * np.where(np.isfinite(best), best, 0), S)
    S[doc_empty] = -np.inf
    np.testing.assert_allclose(fast, 1 / (1 + np.exp(-S)), rtol=0, atol=1e-9)


def test_batch_of_many_chunks_equals_small_batches():
    model = load_model()
    texts = [f"{t} {b}" for t, b in ((a.title, a.body) for a in bundled_corpus())] * 5  # > CHUNK articles
    whole = model.predict_proba(texts)
    parts = np.vstack([model.predict_proba(texts[i : i + 300]) for i in range(0, len(texts), 300)])
    np.testing.assert_allclose(whole, parts, rtol=0, atol=1e-12)


def test_units_and_tokens():
    assert tokenize("Café-Zoll 2024_x") == ["café", "zoll", "2024_x"]
    t, b = split_units("Title. Two", "One. Two! three? Four;\nFive")
    assert [u.strip() for u in t] == ["Title", "Two"]
    assert [u.strip() for u in b] == ["One", "Two! three", "Four", "Five"]
    assert units("", "") == ["", ""]
