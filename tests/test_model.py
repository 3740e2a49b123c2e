"""The classifier and its predict API, with the bundled model and small fast fits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BUILTIN_IDS, DIGEST
from hypothesis import given, settings
from hypothesis import strategies as st

from customs_topics import Article, DataError, InputError, Tag, TopicClassifier, load_model, read_articles

COCAINE = "Customs seized 2 tonnes of cocaine hidden in banana boxes at the port."
WINDOW = "The new Single Window and pre-arrival processing cut clearance times for traders."
PISTOLS = "Customs found 40 pistols and ammunition in a truck at the border."
VACCINES = "Fake COVID-19 vaccines seized at the airport"


def test_load_model_without_arguments():
    m = load_model()
    assert isinstance(m, TopicClassifier)
    assert m.labels == list(BUILTIN_IDS)
    assert len(m.thresholds_) == 4 and all(0 < t < 1 for t in m.thresholds_)


def test_clear_examples(model):
    assert model.predict([COCAINE, WINDOW, PISTOLS, VACCINES]) == [
        ["illicit_trade"],
        ["facilitation"],
        ["strategic_trade_control"],
        ["illicit_trade", "health_goods"],
    ]


def test_predict_accepts_str_article_and_lists_in_order(model):
    a = Article.from_text("Pistols and ammunition seized", PISTOLS)
    one = model.predict(COCAINE)
    assert one == [["illicit_trade"]]
    assert model.predict(a) == [["strategic_trade_control"]]
    mixed = model.predict([WINDOW, a, COCAINE])
    assert mixed == [["facilitation"], ["strategic_trade_control"], ["illicit_trade"]]
    assert model.predict(x for x in [WINDOW, a]) == mixed[:2]
    assert model.predict([]) == []


def test_labels_are_in_model_label_order(model, corpus):
    for labels in model.predict(corpus[:100]):
        assert labels == [label for label in model.labels if label in labels]


def test_predict_proba_shape_and_alignment(model, corpus):
    docs = [COCAINE, WINDOW, PISTOLS, *corpus[:20]]
    P = model.predict_proba(docs)
    assert P.shape == (len(docs), len(model.labels)) == (23, 4)
    assert ((P >= 0) & (P <= 1)).all()
    assert model.predict_proba([]).shape == (0, 4)
    col = {label: j for j, label in enumerate(model.labels)}
    assert P[0].argmax() == col["illicit_trade"]
    assert P[1].argmax() == col["facilitation"]
    assert P[2].argmax() == col["strategic_trade_control"]
    # predict is predict_proba against the thresholds
    t = np.asarray(model.thresholds_)
    assert model.predict(docs) == [[model.labels[j] for j in np.flatnonzero(row >= t)] for row in P]


def test_tag_returns_labels_scores_and_explanations(model):
    a = Article.from_text("Pistols seized", PISTOLS, id="art-1")
    tags = model.tag([a, COCAINE], explain=2)
    assert all(isinstance(t, Tag) for t in tags)
    t = tags[0]
    assert (t.id, t.title) == ("art-1", "Pistols seized")
    assert t.labels == ["strategic_trade_control"]
    assert list(t.scores) == model.labels
    assert t.scores["strategic_trade_control"] == pytest.approx(model.predict_proba(a)[0][1], abs=1e-4)
    assert set(t.explanation) == set(t.labels)
    for _label, exp in t.explanation.items():
        assert 1 <= len(exp["terms"]) <= 2
        for term, weight in exp["terms"]:
            assert isinstance(term, str) and term in (a.title + " " + a.body).lower()
            assert weight > 0
        assert exp["sentence"] is None or exp["sentence"] in (a.title, a.body)
    d = t.to_dict()
    assert set(d) == {"id", "title", "labels", "scores", "explanation"}
    assert tags[1].labels == ["illicit_trade"]


def test_tag_without_explain_has_no_explanation(model):
    [t] = model.tag(WINDOW)
    assert t.explanation is None
    assert set(t.to_dict()) == {"id", "title", "labels", "scores"}
    assert t.labels == ["facilitation"]


@pytest.mark.parametrize("k", [1, 3, 5])
def test_explain_k_limits_terms(model, k):
    [t] = model.tag(COCAINE + " " + WINDOW, explain=k)
    assert t.labels
    for exp in t.explanation.values():
        assert 1 <= len(exp["terms"]) <= k
        weights = [w for _, w in exp["terms"]]
        assert weights == sorted(weights, reverse=True)


def test_threshold_override_float_and_mapping(model):
    assert model.predict(COCAINE, thresholds=0.9999) == [[]]
    assert model.predict(COCAINE, thresholds=1e-6) == [list(model.labels)]
    assert model.predict(COCAINE, thresholds={"illicit_trade": 0.9999}) == [[]]
    p = model.predict_proba(WINDOW)[0]
    low = float(p[model.labels.index("health_goods")]) - 1e-3
    assert model.predict(WINDOW, thresholds={"health_goods": low}) == [["facilitation", "health_goods"]]
    # the override is per call: tuned thresholds are unchanged afterwards
    assert model.predict(COCAINE) == [["illicit_trade"]]
    [t] = model.tag(COCAINE, thresholds=0.9999)
    assert t.labels == []


def test_threshold_unknown_label_is_input_error(model):
    with pytest.raises(InputError, match="food_safety") as info:
        model.predict(COCAINE, thresholds={"food_safety": 0.5})
    assert info.value.field == "thresholds"
    with pytest.raises(InputError):
        model.tag(COCAINE, thresholds={"spam": 0.5})


@pytest.mark.parametrize("text", ["", " ", "\n\t  \n", "   \r\n"])
def test_empty_text_gets_no_labels(model, text):
    assert model.predict(text) == [[]]
    assert model.predict(Article.from_text(text, text)) == [[]]
    assert model.predict(text, thresholds=0.0) == [[]]
    [t] = model.tag(text, explain=3)
    assert t.labels == [] and t.explanation == {}
    assert all(v == 0.0 for v in t.scores.values())


def test_text_with_unknown_words_gets_no_labels(model):
    assert model.predict("zzqx qqwv xxyyz") == [[]]


def test_batch_equals_one_by_one(model, corpus):
    docs = ["", corpus[0], COCAINE, "  ", *corpus[100:160], PISTOLS, ""]
    batch_p = model.predict_proba(docs)
    single_p = np.vstack([model.predict_proba(d) for d in docs])
    np.testing.assert_allclose(batch_p, single_p, rtol=0, atol=1e-12)
    assert model.predict(docs) == [model.predict(d)[0] for d in docs]
    assert [t.to_dict() for t in model.tag(docs, explain=3)] == [model.tag(d, explain=3)[0].to_dict() for d in docs]


def test_batch_results_do_not_depend_on_order(model, corpus):
    docs = corpus[200:240]
    forward = model.predict(docs)
    backward = model.predict(docs[::-1])
    assert forward == backward[::-1]


@pytest.mark.parametrize(
    ("bad", "field"),
    [(None, "X"), ([None], "X[0]"), (["ok", 3], "X[1]"), (5, "X"), (b"bytes", "X"), ([COCAINE, 2.5], "X[1]")],
)
def test_bad_inputs_are_input_errors(model, bad, field):
    for call in (model.predict, model.predict_proba, model.tag):
        with pytest.raises(InputError) as info:
            call(bad)
        assert info.value.field == field


def test_bundled_model_reproduces_seed_gold_labels(model, gold):
    articles = read_articles(DIGEST)
    predicted = model.predict(articles)
    exact = sum(set(p) == set(gold[a.title]) for p, a in zip(predicted, articles, strict=True))
    assert exact >= 8, list(zip(predicted, [gold[a.title] for a in articles], strict=True))


def test_bundled_model_quality_on_its_training_corpus(model, corpus):
    # Trained on these: exact-match accuracy well above chance and every theme found.
    predicted = model.predict(corpus)
    exact = sum(set(p) == set(a.labels) for p, a in zip(predicted, corpus, strict=True)) / len(corpus)
    assert exact >= 0.85
    for label in model.labels:
        assert any(label in p for p in predicted)


# --------------------------------------------------------------------------- #
# Small fits


@pytest.fixture(scope="module")
def small_fit(small_corpus):
    return TopicClassifier(themes=list(BUILTIN_IDS), threshold_folds=2).fit(small_corpus)


def test_small_fit_has_fitted_attributes(small_fit, small_corpus):
    m = small_fit
    assert m.labels == list(BUILTIN_IDS)
    assert m.coef_.shape == (m.featurizer_.n_features, 4)
    assert m.intercept_.shape == (4,) and len(m.thresholds_) == 4
    assert all(0 < t < 1 for t in m.thresholds_)
    predicted = m.predict(small_corpus)
    exact = sum(set(p) == set(a.labels) for p, a in zip(predicted, small_corpus, strict=True)) / len(small_corpus)
    assert exact >= 0.6


@pytest.fixture(scope="module")
def small_fit_again(small_corpus):
    return TopicClassifier(themes=list(BUILTIN_IDS), threshold_folds=2).fit(small_corpus)


def test_refit_gives_nearly_the_same_model(small_fit, small_fit_again):
    np.testing.assert_allclose(small_fit_again.thresholds_, small_fit.thresholds_, atol=1e-3)
    np.testing.assert_allclose(small_fit_again.coef_, small_fit.coef_, atol=1e-3)


def test_fit_is_deterministic(small_fit, small_fit_again):
    np.testing.assert_array_equal(small_fit_again.thresholds_, small_fit.thresholds_)
    np.testing.assert_array_equal(small_fit_again.coef_, small_fit.coef_)


def test_fit_on_strings_with_label_lists():
    X = [
        "cocaine seized at the port",
        "single window launched for traders",
        "heroin smuggling ring",
        "faster clearance with AEO",
    ] * 3
    y = [["illicit_trade"], ["facilitation"], ["illicit_trade"], ["facilitation"]] * 3
    m = TopicClassifier(threshold_folds=0, min_df=1).fit(X, y)
    assert m.labels == ["facilitation", "illicit_trade"]
    assert m.predict(["cocaine seized", "single window clearance"]) == [["illicit_trade"], ["facilitation"]]


def test_fit_with_indicator_matrix(small_corpus):
    from customs_topics.corpus import label_matrix

    Y = label_matrix([a.labels for a in small_corpus], BUILTIN_IDS)
    m = TopicClassifier(themes=list(BUILTIN_IDS), threshold_folds=0).fit(small_corpus, Y)
    assert m.labels == list(BUILTIN_IDS)
    assert list(m.thresholds_) == [0.5] * 4


def test_fit_errors():
    with pytest.raises(DataError):
        TopicClassifier(threshold_folds=0).fit([Article.from_text("t", "b")])  # unlabelled
    with pytest.raises(DataError):
        TopicClassifier(threshold_folds=0, min_df=1).fit(["a b", "c d"], [["x"]])  # length mismatch
    with pytest.raises(DataError, match="rare"):
        TopicClassifier(threshold_folds=2, min_df=1).fit(
            ["aa bb", "cc dd", "ee ff"], [["common"], ["common"], ["rare"]]
        )
    with pytest.raises(DataError, match="every"):
        TopicClassifier(threshold_folds=0, min_df=1).fit(["aa", "bb", "cc"], [["x", "y"], ["x"], ["x", "y"]])


def test_unfitted_model_refuses_to_predict():
    with pytest.raises(AttributeError, match="not fitted"):
        TopicClassifier().predict("x")


def test_get_set_params():
    m = TopicClassifier(C=2.0, threshold_folds=3)
    params = m.get_params()
    assert params["C"] == 2.0 and params["threshold_folds"] == 3
    assert TopicClassifier(**params).get_params() == params
    assert m.set_params(C=5.0) is m and m.C == 5.0
    with pytest.raises(ValueError):
        m.set_params(nonsense=1)
    assert "C=5.0" in repr(m)


_words = st.sampled_from(
    [
        "cocaine",
        "seized",
        "Customs",
        "vaccines",
        ".",
        "!",
        "?",
        " ",
        "\n",
        "Single",
        "Window",
        "pistols",
        "\u00e9",
        "\u2028",
        "'",
        '"',
        "A",
        "1",
        "Mr.",
        "\r",
        "\t",
    ]
)
_texts = st.lists(_words, max_size=30).map(" ".join) | st.text(max_size=120)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_texts, _texts), min_size=1, max_size=4), st.integers(0, 3))
def test_tag_any_text_batch_equals_single_and_explains_with_own_sentences(model, docs, k):
    articles = [Article.from_text(title, body) for title, body in docs]
    tags = model.tag(articles, explain=k)
    P = model.predict_proba(articles)
    assert P.shape == (len(articles), 4) and np.isfinite(P).all()
    for article, tag in zip(articles, tags, strict=True):
        assert model.tag(article, explain=k)[0].to_dict() == tag.to_dict()
        if k:
            assert set(tag.explanation) == set(tag.labels)
            for exp in tag.explanation.values():
                assert exp["sentence"] is None or exp["sentence"] in f"{article.title}\n{article.body}"


# --------------------------------------------------------------------------- #
# Thresholds as a mapping, the CV report, readable explanations, unassigned themes

SEIZURE = "Customs seized 2 tonnes of cocaine hidden in banana boxes at the port."


def test_thresholds_mapping_matches_array(model):
    t = model.thresholds
    assert list(t) == model.labels
    assert [t[label] for label in model.labels] == pytest.approx(list(model.thresholds_))
    t["illicit_trade"] = 0.0  # a copy: changing it does not change the model
    assert model.thresholds["illicit_trade"] == pytest.approx(float(model.thresholds_[0]))
    # it can be passed back as an override and gives the model's own predictions
    assert model.predict([SEIZURE], thresholds=model.thresholds) == model.predict([SEIZURE])


def test_cv_report_attribute(model, small_fit):
    report = model.cv_report_
    assert report is model.info_["cv"]
    assert set(report["per_label"]) == set(model.labels)
    assert all(m["support"] > 0 for m in report["per_label"].values())
    assert small_fit.cv_report_ is None  # fitted directly, never cross-validated


def test_tag_text_form_names_labels_terms_and_sentence(model):
    body = "Officers opened the containers on Monday. They seized 2 tonnes of cocaine hidden in banana boxes."
    tag = model.tag([Article.from_text("Port seizure", body, id="p1")], explain=3)[0]
    text = str(tag)
    assert text == tag.explain_text()
    lines = text.splitlines()
    assert lines[0] == "Port seizure [p1]"
    assert lines[1] == "labels: " + ", ".join(tag.labels)
    for label in tag.labels:
        assert f"  {label} {tag.scores[label]:.3f}" in lines
        for term, weight in tag.explanation[label]["terms"]:
            assert f"{term} ({weight:+.2f})" in text
    assert "seized 2 tonnes of cocaine" in text
    unassigned = [label for label in model.labels if label not in tag.labels]
    assert lines[-1].startswith("not assigned: ") and all(label in lines[-1] for label in unassigned)


def test_explain_an_unassigned_theme(model):
    text = "Customs seized 40 pistols and fake vaccines at the border."
    assert "facilitation" not in model.predict(text)[0]
    e = model.explain(text, "facilitation", k=3)[0]
    assert not e.assigned
    assert e.threshold == pytest.approx(model.thresholds["facilitation"], abs=1e-4)
    assert e.score == pytest.approx(model.predict_proba(text)[0][model.labels.index("facilitation")], abs=1e-4)
    assert e.margin == pytest.approx(e.score - e.threshold, abs=2e-4) and e.margin < 0
    assert e.logit_gap > 0
    assert 0 < len(e.held_down_by) <= 3 and all(v < 0 for _, v in e.held_down_by)
    assert [v for _, v in e.held_down_by] == sorted(v for _, v in e.held_down_by)  # most negative first
    # lowering the threshold just below the score assigns it
    assert "facilitation" in model.predict(text, thresholds={"facilitation": e.score - 0.001})[0]
    shown = str(e)
    assert shown.startswith("facilitation: not assigned") and "held down by:" in shown
    assert json.loads(json.dumps(e.to_dict()))["held_down_by"][0][0] == e.held_down_by[0][0]


def test_explain_an_assigned_theme_and_a_batch(model):
    texts = ["Customs seized 40 pistols and ammunition at the border.", SEIZURE, ""]
    out = model.explain(texts, "strategic_trade_control")
    assert len(out) == 3
    predicted = model.predict(texts)
    for e, labels in zip(out, predicted, strict=True):
        assert e.assigned == ("strategic_trade_control" in labels)
        assert (e.margin >= 0) == e.assigned
    assert out[0].raised_by and out[0].raised_by[0][1] > 0
    assert not out[2].known_terms and out[2].score == 0.0 and "no word" in str(out[2])


def test_explain_errors(model):
    with pytest.raises(InputError, match="unknown theme 'food_safety'"):
        model.explain(SEIZURE, "food_safety")
    with pytest.raises(InputError, match="k must be"):
        model.explain(SEIZURE, "illicit_trade", k=-1)


# --- sentence pooling ----------------------------------------------------------------------------

LONG_STORY = (
    "The Revenue Authority published its annual report on Tuesday. "
    "Officers seized 300 kg of cocaine hidden in a container of frozen fish at the port. "
    + "The report also covers staff training, new offices and the budget for the coming year. "
    * 12
)


def _pooled(model, text, pool):
    clone = TopicClassifier(**{**model.get_params(), "sentence_pool": pool, "sentence_weight": 1.0})
    clone.__dict__.update({k: v for k, v in model.__dict__.items() if k.endswith("_")})
    return clone.decision_function(text)[0]


def test_softmax_pooling_lies_between_the_mean_and_the_best_sentence(model):
    best = _pooled(model, LONG_STORY, "max")
    soft = _pooled(model, LONG_STORY, "softmax")
    assert np.all(soft <= best + 1e-12)
    # One sentence: the soft maximum is that sentence's score.
    one = "Officers seized 300 kg of cocaine hidden in a container of frozen fish at the port."
    np.testing.assert_allclose(_pooled(model, one, "softmax"), _pooled(model, one, "max"))


def test_softmax_pooling_does_not_grow_with_more_sentences(model):
    """The soft maximum is a mean over sentences: a story repeated six times (a longer text with
    the same mix of sentences) keeps its score."""
    story = "Officers seized 300 kg of cocaine. The ship came from Ecuador. The crew was arrested."
    padded = " ".join([story] * 6)
    np.testing.assert_allclose(_pooled(model, padded, "softmax"), _pooled(model, story, "softmax"), atol=1e-9)


def test_unknown_sentence_pool_is_refused(model):
    clone = TopicClassifier(**{**model.get_params(), "sentence_pool": "mean"})
    clone.__dict__.update({k: v for k, v in model.__dict__.items() if k.endswith("_")})
    with pytest.raises(ValueError, match="sentence_pool must be one of max, softmax"):
        clone.predict("Officers seized cocaine.")
