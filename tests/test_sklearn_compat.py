"""TopicClassifier as a scikit-learn citizen: clone, Pipeline, GridSearchCV, label matrices.

What is tested with scikit-learn's own utilities: ``sklearn.base.clone``,
``Pipeline`` + ``FunctionTransformer``, ``GridSearchCV`` (with a
``make_scorer`` scorer and with the estimator's own ``score``), ``get_tags``
/ ``is_classifier``, and the API checks of ``sklearn.utils.estimator_checks``
that do not feed numeric arrays (listed in ``API_CHECKS``).
``check_estimator`` as a whole does not apply: almost every other check fits
on random float matrices, which a text classifier rejects by design
(``InputError``), and several require ``sample_weight`` or sklearn's own
``NotFittedError``.

scikit-learn >= 1.7 refuses estimators without ``__sklearn_tags__`` (Pipeline
and ``is_classifier`` call ``get_tags``). Until model.py has the glue proposed
in /work/scratch/integrations_requests.md, the tests use ``Estimator``: a
subclass adding exactly that code; once model.py has it, ``Estimator`` is
TopicClassifier itself and ``test_model_has_sklearn_glue`` starts to pass.
"""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks

from customs_topics import TopicClassifier, load_model
from customs_topics.corpus import label_matrix

THEMES = ["illicit_trade", "strategic_trade_control", "facilitation", "health_goods"]


Estimator = TopicClassifier


def texts_of(records: Any) -> list[str]:
    """FunctionTransformer step: a DataFrame or a list of dicts -> 'title\\n\\nbody' strings."""
    if hasattr(records, "to_dict"):
        records = records.to_dict("records")
    return [f"{r.get('title') or ''}\n\n{r.get('body') or ''}" for r in records]


def micro_f1(y_true: Any, y_pred: list[list[str]], labels: list[str]) -> float:
    """For make_scorer: predict() returns label lists; y may be lists or an indicator matrix."""
    Y = y_true if isinstance(y_true, np.ndarray) else label_matrix(y_true, labels)
    return f1_score(Y, label_matrix(y_pred, labels), average="micro", zero_division=0)


MICRO_F1 = make_scorer(micro_f1, labels=THEMES)


@pytest.fixture(scope="module")
def data(small_corpus):
    """~75 labelled articles, shuffled (the corpus is ordered by source), as texts, records and labels."""
    articles = list(small_corpus)
    random.Random(0).shuffle(articles)
    records = [{"title": a.title, "body": a.body} for a in articles]
    labels = [list(a.labels) for a in articles]
    return texts_of(records), records, labels


# ----------------------------------------------------------------- params
def test_clone_copies_params_not_state(data):
    texts, _, labels = data
    clf = Estimator(themes=THEMES, C=3.0, sentence_weight=0.2, threshold_folds=0, min_df=1).fit(texts, labels)
    twin = clone(clf)
    assert twin is not clf
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "coef_")
    twin.set_params(C=7.0)
    assert clf.C == 3.0


def test_get_set_params_contract():
    clf = Estimator()
    params = clf.get_params()
    assert set(params) >= {"themes", "C", "sentence_weight", "threshold_folds", "n_jobs", "random_state"}
    assert clf.set_params(C=2.0, sentence_weight=0.0) is clf
    assert (clf.C, clf.sentence_weight) == (2.0, 0.0)
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        clf.set_params(nope=1)


API_CHECKS = [
    "check_parameters_default_constructible",
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_mixin_order",
]


@pytest.mark.parametrize("check", API_CHECKS)
def test_sklearn_api_checks(check):
    fn = getattr(estimator_checks, check, None)
    if fn is None:
        pytest.skip(f"{check} is not in this scikit-learn version")
    fn("TopicClassifier", Estimator())


def test_tags():
    """Text in, several outputs; deliberately not is_classifier(): scikit-learn's classifier
    contract is single-output with ``classes_`` (scorers read it; check_cv would refuse label lists)."""
    from sklearn.utils import get_tags

    tags = get_tags(Estimator())
    assert tags.target_tags.multi_output and not tags.target_tags.single_output
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert not is_classifier(Estimator())


def test_model_has_sklearn_glue():
    from sklearn.utils import get_tags

    assert get_tags(TopicClassifier()).target_tags.multi_output
    assert callable(TopicClassifier.score)
    model = load_model()
    model.predict(["warm the scorer cache"])
    assert pickle.loads(pickle.dumps(model)).predict(["Customs seized cocaine"]) == [["illicit_trade"]]


# --------------------------------------------------------------- fitting
def test_fit_label_lists_and_indicator_matrix_agree(data):
    texts, _, labels = data
    Y = label_matrix(labels, THEMES)
    a = Estimator(threshold_folds=2).fit(texts, labels)
    b = Estimator(themes=THEMES, threshold_folds=2).fit(texts, Y)
    assert sorted(a.labels) == sorted(THEMES) and b.labels == THEMES
    assert a.predict(texts) == b.predict(texts) or [sorted(r) for r in a.predict(texts)] == [
        sorted(r) for r in b.predict(texts)
    ]
    np.testing.assert_allclose(
        a.predict_proba(texts)[:, [a.labels.index(t) for t in THEMES]], b.predict_proba(texts), rtol=1e-5
    )


def test_score_is_micro_f1(data):
    texts, _, labels = data
    clf = Estimator(themes=THEMES, threshold_folds=0, min_df=1).fit(texts[:50], labels[:50])
    expected = micro_f1(labels[50:], clf.predict(texts[50:]), THEMES)
    assert clf.score(texts[50:], labels[50:]) == pytest.approx(expected)
    assert clf.score(texts[50:], label_matrix(labels[50:], THEMES)) == pytest.approx(expected)
    assert MICRO_F1(clf, texts[50:], labels[50:]) == pytest.approx(expected)


# -------------------------------------------------------------- pipeline
def _pipeline() -> Pipeline:
    return Pipeline(
        [("texts", FunctionTransformer(texts_of)), ("clf", Estimator(themes=THEMES, threshold_folds=2, C=10.0))]
    )


def test_pipeline_on_records_matches_direct_fit(data):
    texts, records, labels = data
    pipe = _pipeline().fit(records, labels)
    direct = Estimator(themes=THEMES, threshold_folds=2, C=10.0).fit(texts, labels)
    assert pipe.predict(records) == direct.predict(texts)
    np.testing.assert_array_equal(pipe.predict_proba(records), direct.predict_proba(texts))
    twin = pickle.loads(pickle.dumps(pipe))
    assert twin.predict(records[:10]) == pipe.predict(records[:10])
    assert clone(pipe).get_params()["clf__C"] == 10.0


def test_pipeline_on_dataframe(data):
    pd = pytest.importorskip("pandas")
    _, records, labels = data
    df = pd.DataFrame(records)
    pipe = _pipeline().fit(df, label_matrix(labels, THEMES))
    assert pipe.predict(df.iloc[:20]) == _pipeline().fit(records, labels).predict(records[:20])


# ----------------------------------------------------------- grid search
GRID = {"C": [1.0, 30.0], "sentence_weight": [0.0, 0.5]}


def test_grid_search_indicator_matrix_with_scorer(data):
    texts, _, labels = data
    Y = label_matrix(labels, THEMES)
    search = GridSearchCV(
        Estimator(themes=THEMES, threshold_folds=2), GRID, cv=2, scoring=MICRO_F1, error_score="raise"
    ).fit(texts, Y)
    assert search.best_params_["C"] in GRID["C"]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert 0.3 < search.best_score_ <= 1.0
    assert search.best_estimator_.labels == THEMES
    assert len(search.predict(texts[:5])) == 5


def test_grid_search_label_lists_uses_score_method_in_pipeline(data):
    """No scoring=: GridSearchCV falls back on the (proposed) score() = micro-F1."""
    _, records, labels = data
    search = GridSearchCV(_pipeline(), {"clf__" + k: v for k, v in GRID.items()}, cv=2, error_score="raise").fit(
        records, labels
    )
    assert set(search.best_params_) == {"clf__C", "clf__sentence_weight"}
    best = search.best_estimator_
    assert search.score(records, labels) == pytest.approx(best.named_steps["clf"].score(texts_of(records), labels))


def test_predict_path_imports_no_sklearn_or_scipy():
    code = (
        "import sys; from customs_topics import load_model; "
        "m = load_model(); m.predict(['Customs seized cocaine']); m.tag('x', explain=2); "
        "bad = sorted({k.split('.')[0] for k in sys.modules} & {'sklearn', 'scipy', 'pandas', 'dask'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
