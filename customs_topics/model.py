"""The multi-label theme classifier: features -> scores -> labels.

:class:`TopicClassifier` is a linear model, one logistic regression per theme
over the TF-IDF features of :mod:`customs_topics.features`. A theme's score
blends the whole article's score with a soft maximum of its sentences'
scores (``sentence_weight=0.5``, ``sentence_pool="softmax"``), so a theme
carried by a single clause is not diluted by a long article about something
else, while a long page's many sentences do not raise it by their number.
Lines of page debris (menus, bylines, related-headline lists) are left out
first (:mod:`customs_topics.debris`). Each theme has its own decision
threshold, tuned by grouped cross-validation on the training data.

Prediction needs numpy only; fitting imports scikit-learn.

Example:
    >>> from customs_topics import load_model
    >>> model = load_model()
    >>> model.predict(["Customs seized 2 tonnes of cocaine hidden in banana boxes."])
    [['illicit_trade']]
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from .articles import MAX_ARTICLE_CHARS, Article, text_id
from .debris import drop_debris
from .errors import DataError, InputError
from .evaluation import best_thresholds, grouped_folds
from .features import Doc, Featurizer, units
from .scorer import CHUNK, POOLS, Scorer, _chunk_scores, _sigmoid, combined_scores

log = logging.getLogger("customs_topics")

TextLike = Union[str, Article]
Thresholds = Union[float, Mapping[str, float], None]


@dataclass
class Tag:
    """The tagging result for one input: ``labels`` assigned, ``scores`` for
    every theme (probability-like, 0..1) and, when asked for, ``explanation``:
    per assigned label the terms that pushed its score up most and the
    sentence that carried it (``None`` when the whole article did).
    """

    id: str | None
    title: str
    labels: list[str]
    scores: dict[str, float]
    explanation: dict[str, dict[str, Any]] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "title": self.title, "labels": self.labels, "scores": self.scores}
        if self.explanation is not None:
            out["explanation"] = self.explanation
        return out

    def explain_text(self) -> str:
        """The tag as readable text: labels with scores, their terms and sentence, the other scores.

        Example:
            >>> from customs_topics import load_model
            >>> tag = load_model().tag("Customs seized 40 pistols and ammunition at the border.", explain=2)[0]
            >>> print(tag.explain_text())  # doctest: +ELLIPSIS
            (no title) [a-...]
            labels: strategic_trade_control
              strategic_trade_control 0...
                terms: ...pistols (+...
                sentence: 'Customs seized 40 pistols and ammunition at the border.'
            not assigned: illicit_trade 0..., facilitation 0..., health_goods 0...
        """

        from .explain import tag_text

        return tag_text(self)

    def __str__(self) -> str:
        return self.explain_text()


def _coerce(X: TextLike | Iterable[TextLike], max_chars: int, pairs: bool) -> list[Any]:
    """Validate inputs; return Articles, or (title, body) pairs when ``pairs``."""
    if isinstance(X, (str, Article)):
        X = [X]
    elif isinstance(X, (bytes, bytearray)):
        raise InputError("expected str or Article, got bytes (decode it first)", field="X")
    elif isinstance(X, Mapping):
        raise InputError(
            "expected str, Article or an iterable of them, got a mapping (use Article.from_text)", field="X"
        )
    elif X is None:
        raise InputError("expected str, Article or an iterable of them, got None", field="X")
    try:
        items = iter(X)
    except TypeError:
        raise InputError(f"expected str, Article or an iterable of them, got {type(X).__name__}", field="X") from None
    out: list[Any] = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            title, body = "", item
        elif isinstance(item, Article):
            title, body = item.title, item.body
        else:
            raise InputError(f"expected str or Article, got {type(item).__name__}", field=f"X[{i}]")
        if len(title) + len(body) > max_chars:
            log.warning("input %d is %d characters, truncated to %d", i, len(title) + len(body), max_chars)
            title = title[:max_chars]
            body = body[: max(0, max_chars - len(title))]
            if isinstance(item, Article):
                item = Article(item.id, title, body, item.labels, item.meta)
        if pairs:
            out.append((title, body))
        elif isinstance(item, Article):
            out.append(item)
        else:
            out.append(Article(id=None, title=title, body=body))  # type: ignore[arg-type]
    return out


def as_docs(X: TextLike | Iterable[TextLike], max_chars: int = MAX_ARTICLE_CHARS) -> list[Article]:
    """Coerce a str, an Article, or an iterable of either into a list of Articles.

    A plain string is an article with no title. ``None`` or any other type
    raises :class:`~customs_topics.errors.InputError` naming the item.
    Longer than ``max_chars`` characters: truncated, with a warning.
    """
    return _coerce(X, max_chars, pairs=False)


def _pairs(articles: Sequence[Article]) -> list[Doc]:
    return [(a.title, a.body) for a in articles]


class TopicClassifier:
    """Multi-label linear theme classifier (scikit-learn estimator contract).

    Parameters
    ----------
    themes : sequence of str, optional
        Theme ids in output order (e.g. ``load_taxonomy().ids``); by default
        the sorted set of labels seen in ``fit``.
    C : float
        Inverse L2 regularisation strength of each logistic regression.
    class_weight : "balanced" or None
        Re-weight positives and negatives of each theme.
    ngram_max, min_df, sublinear_tf, title_weight, use_affixes
        Featurizer settings (see :class:`~customs_topics.features.Featurizer`).
    sentence_weight : float
        Weight of the best sentence's score in a theme's score (the rest is
        the whole article's); 0 scores whole articles only.
    sentence_pool : {"max", "softmax"}
        How sentence scores are pooled: the best sentence's, or a soft
        maximum (log of the mean of exp) that does not grow with the number
        of sentences, so long pages are not favoured.
    drop_debris : bool
        Leave out lines of page debris (menus, bylines, headline lists; see
        :mod:`customs_topics.debris`) before training and scoring.
    threshold_folds : int
        Grouped folds used to tune each theme's threshold (0 or 1: use 0.5).
    random_state : int
        Seed of the fold assignment.
    n_jobs : int, optional
        Processes used to score batches larger than ``CHUNK`` articles
        (joblib; ``-1`` for all cores). Results do not depend on it.

    Fitted attributes: ``labels_``, ``featurizer_``, ``coef_`` (n_features,
    n_labels), ``intercept_``, ``thresholds_`` (an array in label order;
    :attr:`thresholds` gives the same as a ``{theme: threshold}`` dict).
    Models made by :func:`~customs_topics.trainer.train` or
    :func:`~customs_topics.persistence.load_model` also have ``taxonomy_``
    and ``info_``, a dict with ``"training_data"`` (per-theme counts, events,
    sources: :func:`~customs_topics.corpus.summarize`), ``"data_files"``
    and, when cross-validated, ``"cv_folds"`` and ``"cv"``, the
    cross-validation report (:func:`~customs_topics.evaluation.scores`),
    also available as :attr:`cv_report_`.

    Example:
        >>> clf = TopicClassifier(threshold_folds=0, min_df=1)
        >>> clf = clf.fit(["cocaine seized at port", "single window launched"] * 3,
        ...               [["illicit_trade"], ["facilitation"]] * 3)
        >>> clf.predict(["cocaine seized"])
        [['illicit_trade']]
    """

    def __init__(
        self,
        themes: Sequence[str] | None = None,
        *,
        C: float = 30.0,
        class_weight: str | None = "balanced",
        ngram_max: int = 2,
        min_df: int = 2,
        sublinear_tf: bool = True,
        title_weight: int = 1,
        use_affixes: bool = True,
        sentence_weight: float = 0.5,
        sentence_pool: str = "softmax",
        drop_debris: bool = True,
        threshold_folds: int = 4,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.themes = themes
        self.C = C
        self.class_weight = class_weight
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.title_weight = title_weight
        self.use_affixes = use_affixes
        self.sentence_weight = sentence_weight
        self.sentence_pool = sentence_pool
        self.drop_debris = drop_debris
        self.threshold_folds = threshold_folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters (scikit-learn contract)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> TopicClassifier:
        """Set constructor parameters (scikit-learn contract)."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for TopicClassifier; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"TopicClassifier({', '.join(changed)})"

    # ------------------------------------------------------ scikit-learn glue
    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        """Tags for scikit-learn >= 1.6 (scikit-learn is imported only when it asks).

        Text in, several outputs. Deliberately not a "classifier": for
        scikit-learn that means single-output with ``classes_`` (scorers read
        it, and ``cv=<int>`` would refuse lists of label lists).
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False, multi_output=True, single_output=False),
            input_tags=InputTags(one_d_array=False, two_d_array=False, string=True),
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")

    def score(self, X: Iterable[TextLike], y: Iterable[Iterable[str]] | np.ndarray) -> float:
        """Micro-averaged F1 of ``predict(X)`` against ``y`` (label lists or an
        indicator matrix aligned with :attr:`labels`); the default score of
        ``GridSearchCV`` and ``cross_val_score``."""
        from .corpus import label_matrix

        self._check_fitted()
        if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
            Y = (y > 0).astype(np.int8)
        else:
            Y = label_matrix(y, self.labels_)
        pred = label_matrix(self.predict(X), self.labels_)
        tp = int(np.sum((pred == 1) & (Y == 1)))
        wrong = int(np.sum(pred != Y))
        return 2 * tp / (2 * tp + wrong) if tp else 0.0

    # --------------------------------------------------------------------- fit
    def _featurizer(self) -> Featurizer:
        return Featurizer(
            ngram_max=self.ngram_max,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            title_weight=self.title_weight,
            use_affixes=self.use_affixes,
        )

    def fit(
        self,
        X: Iterable[TextLike],
        y: Iterable[Iterable[str]] | np.ndarray | None = None,
        groups: Sequence[Any] | None = None,
    ) -> TopicClassifier:
        """Fit on articles (or strings) and their labels.

        ``y`` is a list of label lists or a 0/1 indicator matrix aligned with
        ``labels``; when omitted the labels are taken from the Articles.
        ``groups`` keeps related articles in the same threshold-tuning fold;
        by default each Article's ``meta["event"]`` (else its id).
        """
        articles = as_docs(X)
        if y is None:
            missing = [i for i, a in enumerate(articles) if a.labels is None]
            if missing:
                raise DataError(f"no labels given and article {missing[0]} is unlabelled", field="y")
            y = [a.labels or () for a in articles]
        label_names, Y = self._resolve_labels(y)
        if len(Y) != len(articles):
            raise DataError(f"X has {len(articles)} articles but y has {len(Y)} rows", field="y")
        if groups is None:
            groups = [a.meta.get("event", a.id if a.id is not None else i) for i, a in enumerate(articles)]
        self._check_support(label_names, Y, len(set(groups)))
        docs = self._page_text(_pairs(articles))
        thresholds = np.full(len(label_names), 0.5)
        if self.threshold_folds and self.threshold_folds >= 2:
            P = self._out_of_fold(docs, Y, groups)
            thresholds = best_thresholds(Y, P)
        self.featurizer_, self.coef_, self.intercept_ = self._fit_linear(docs, Y)
        self._scorer = None
        self.labels_ = list(label_names)
        self.thresholds_ = thresholds
        return self

    def _resolve_labels(self, y: Iterable[Iterable[str]] | np.ndarray) -> tuple[list[str], np.ndarray]:
        from .corpus import label_matrix

        if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
            names = list(self.themes) if self.themes is not None else [str(j) for j in range(y.shape[1])]
            if len(names) != y.shape[1]:
                raise DataError(f"y has {y.shape[1]} columns but {len(names)} labels were given", field="y")
            return names, (np.asarray(y) > 0).astype(np.int8)
        rows = [list(r) for r in y]
        if self.themes is not None:
            names = list(self.themes)
        else:
            names = sorted({label for r in rows for label in r})
        return names, label_matrix(rows, names)

    def _check_support(self, labels: Sequence[str], Y: np.ndarray, n_groups: int) -> None:
        need = max(2, self.threshold_folds or 0)
        pos = Y.sum(axis=0)
        few = [f"{label} ({int(pos[j])})" for j, label in enumerate(labels) if pos[j] < need]
        if few:
            raise DataError(
                f"themes with too few examples (need at least {need} each for "
                f"{self.threshold_folds}-fold threshold tuning): {', '.join(few)}",
                field="labels",
            )
        full = [label for j, label in enumerate(labels) if pos[j] == len(Y)]
        if full:
            raise DataError(f"themes on every article (need some negatives): {', '.join(full)}", field="labels")
        if self.threshold_folds and self.threshold_folds >= 2 and n_groups < self.threshold_folds:
            raise DataError(f"{n_groups} distinct events cannot fill {self.threshold_folds} folds", field="groups")

    def _fit_linear(self, docs: Sequence[Doc], Y: np.ndarray) -> tuple[Featurizer, np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        featurizer = self._featurizer().fit(docs)
        Xs = featurizer.transform(docs).to_scipy()
        coef = np.zeros((featurizer.n_features, Y.shape[1]), dtype=np.float32)
        intercept = np.zeros(Y.shape[1], dtype=np.float32)
        for j in range(Y.shape[1]):
            lr = LogisticRegression(
                C=self.C,
                class_weight=self.class_weight,
                solver="liblinear",
                dual=True,
                max_iter=1000,
                random_state=self.random_state,
            )
            lr.fit(Xs, Y[:, j])
            coef[:, j] = lr.coef_[0]
            intercept[j] = lr.intercept_[0]
        return featurizer, coef, intercept

    def _out_of_fold(self, docs: Sequence[Doc], Y: np.ndarray, groups: Sequence[Any]) -> np.ndarray:
        folds = grouped_folds(Y, groups, self.threshold_folds, seed=self.random_state)
        P = np.zeros(Y.shape, dtype=np.float64)
        for k in range(self.threshold_folds):
            test = folds == k
            train_docs = [d for d, t in zip(docs, test) if not t]
            test_docs = [d for d, t in zip(docs, test) if t]
            featurizer, coef, intercept = self._fit_linear(train_docs, Y[~test])
            P[test] = _sigmoid(self._scores(featurizer.scorer(coef), intercept, test_docs)[0])
        return P

    # ----------------------------------------------------------------- predict
    def _pool(self) -> str:
        if self.sentence_pool not in POOLS:
            raise ValueError(f"sentence_pool must be one of {', '.join(POOLS)}, got {self.sentence_pool!r}")
        return str(self.sentence_pool)

    def _page_text(self, docs: list[Doc]) -> list[Doc]:
        """``docs`` with page debris lines left out of each body (when ``drop_debris``)."""
        if not self.drop_debris:
            return docs
        return [(title, drop_debris(body)) for title, body in docs]

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise AttributeError("this TopicClassifier is not fitted yet: call fit() or load_model()")

    def _scores(
        self, scorer: Scorer, intercept: np.ndarray, docs: Sequence[Doc]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decision scores (n, L), plus unit scores and the owner article of each unit."""
        return combined_scores(scorer, intercept, float(self.sentence_weight), docs, self._pool())

    def _get_scorer(self) -> Scorer:
        scorer = getattr(self, "_scorer", None)
        if scorer is None:
            scorer = self._scorer = self.featurizer_.scorer(self.coef_)
        return scorer

    def decision_function(self, X: TextLike | Iterable[TextLike]) -> np.ndarray:
        """Raw linear scores (n_inputs, n_labels); ``-inf`` for text with no known term."""
        self._check_fitted()
        docs = self._page_text(_coerce(X, MAX_ARTICLE_CHARS, pairs=True))
        scorer = self._get_scorer()
        weight = float(self.sentence_weight)
        pool = self._pool()
        n_jobs = self.n_jobs or 1
        if n_jobs == 1 or len(docs) <= CHUNK:
            return _chunk_scores(scorer, self.intercept_, weight, docs, pool)
        from joblib import Parallel, cpu_count, delayed

        # One piece per worker: the scorer is sent once per piece, not once per chunk.
        workers = min(cpu_count() if n_jobs < 0 else n_jobs, -(-len(docs) // CHUNK))
        size = -(-len(docs) // workers)
        parts = Parallel(n_jobs=workers)(
            delayed(_chunk_scores)(scorer, self.intercept_, weight, docs[i : i + size], pool)
            for i in range(0, len(docs), size)
        )
        return np.vstack(parts)

    def predict_proba(self, X: TextLike | Iterable[TextLike]) -> np.ndarray:
        """Scores in 0..1, shape (n_inputs, n_labels), columns aligned with :attr:`labels`."""
        return _sigmoid(self.decision_function(X))

    def _threshold_array(self, thresholds: Thresholds) -> np.ndarray:
        t = np.array(self.thresholds_, dtype=np.float64)
        if thresholds is None:
            return t
        if isinstance(thresholds, Mapping):
            items = list(thresholds.items())
        else:
            items = [(label, thresholds) for label in self.labels_]
        for label, value in items:
            if label not in self.labels_:
                raise InputError(
                    f"unknown theme {label!r} (the model has: {', '.join(self.labels_)})", field="thresholds"
                )
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = float("nan")
            if isinstance(value, bool) or not 0.0 <= number <= 1.0:
                raise InputError(
                    f"threshold for {label!r} must be a number from 0 to 1, got {value!r}", field="thresholds"
                )
            t[self.labels_.index(label)] = number
        return t

    def predict(self, X: TextLike | Iterable[TextLike], thresholds: Thresholds = None) -> list[list[str]]:
        """One list of theme ids per input, in input order.

        ``thresholds`` overrides the tuned ones: one float for every theme or
        a ``{theme: threshold}`` mapping. Empty text gets no labels.
        """
        self._check_fitted()
        P = self.predict_proba(X)
        return self._labels_of(P, self._threshold_array(thresholds))

    def _labels_of(self, P: np.ndarray, t: np.ndarray) -> list[list[str]]:
        hits = (t <= P) & (P > 0.0)
        if hits.shape[1] > 16 or hits.shape[0] <= 8:
            return [[self.labels_[j] for j in np.flatnonzero(row)] for row in hits]
        # Each row's label set as a bit code; one list per distinct code.
        codes = hits.astype(np.int64) @ (1 << np.arange(hits.shape[1], dtype=np.int64))
        names = {int(c): [self.labels_[j] for j in range(hits.shape[1]) if c >> j & 1] for c in np.unique(codes)}
        return [list(names[c]) for c in codes.tolist()]

    def tag(self, X: TextLike | Iterable[TextLike], thresholds: Thresholds = None, explain: int = 0) -> list[Tag]:
        """Labels, per-theme scores and (with ``explain=k``) the top ``k``
        terms and the deciding sentence behind each assigned label.

        Example:
            >>> from customs_topics import load_model
            >>> t = load_model().tag("Customs seized 40 pistols and ammunition at the border.", explain=2)[0]
            >>> t.labels
            ['strategic_trade_control']
        """
        self._check_fitted()
        articles = as_docs(X)
        docs = self._page_text(_pairs(articles))
        S, U, owner = self._scores(self._get_scorer(), self.intercept_, docs)
        P = _sigmoid(S)
        label_lists = self._labels_of(P, self._threshold_array(thresholds))
        starts = np.searchsorted(owner, np.arange(len(docs) + 1))
        out = []
        for i, (article, labels) in enumerate(zip(articles, label_lists)):
            explanation = None
            if explain and labels:
                explanation = {}
                for label in labels:
                    j = self.labels_.index(label)
                    sentence = None
                    if self.sentence_weight and starts[i] < starts[i + 1]:
                        b = int(np.argmax(U[starts[i] : starts[i + 1], j]))
                        if np.isfinite(U[starts[i] + b, j]):
                            sentence = units(*docs[i])[b].strip()
                    explanation[label] = {"terms": self._top_terms(docs[i], j, explain), "sentence": sentence}
            elif explain:
                explanation = {}
            out.append(
                Tag(
                    id=article.id if article.id is not None else text_id(article.text),  # the CLI's id
                    title=article.title,
                    labels=labels,
                    scores={label: round(float(P[i, j]), 4) for j, label in enumerate(self.labels_)},
                    explanation=explanation,
                )
            )
        return out

    def _top_terms(self, doc: Doc, j: int, k: int) -> list[list[Any]]:
        """The ``k`` words or word pairs that add most to label ``j``'s article score."""
        contrib = self.featurizer_.term_contributions(doc[0], doc[1], self.coef_[:, j])
        top = sorted(contrib.items(), key=lambda kv: -kv[1])[:k]
        return [[term, round(float(v), 4)] for term, v in top if v > 0]

    @property
    def labels(self) -> list[str]:
        """Theme ids in column order of :meth:`predict_proba` (fitted models only)."""
        self._check_fitted()
        return list(self.labels_)

    @property
    def thresholds(self) -> dict[str, float]:
        """Each theme's decision threshold, ``{theme: threshold}`` (a copy of ``thresholds_``).

        Example:
            >>> from customs_topics import load_model
            >>> t = load_model().thresholds
            >>> list(t) == load_model().labels and all(0 < v < 1 for v in t.values())
            True
        """
        self._check_fitted()
        return {label: float(v) for label, v in zip(self.labels_, self.thresholds_)}

    @property
    def cv_report_(self) -> dict[str, Any] | None:
        """The cross-validation report ``train`` made before fitting (``info_["cv"]``), or ``None``.

        A :func:`~customs_topics.evaluation.scores` dict: ``per_label``
        (precision, recall, f1, support, predicted), ``micro``, ``macro``,
        ``exact_match``, ``n_articles``; ``info_["cv_folds"]`` is the number
        of folds. Saved with the model and shown in its card.

        Example:
            >>> from customs_topics import load_model
            >>> round(load_model().cv_report_["micro"]["f1"], 1) > 0.5
            True
        """
        info = getattr(self, "info_", None) or {}
        return info.get("cv")

    def explain(
        self, X: TextLike | Iterable[TextLike], theme: str, k: int = 5, thresholds: Thresholds = None
    ) -> list[Any]:
        """Why each input got, or did not get, ``theme``: one
        :class:`~customs_topics.explain.ThemeExplanation` per input with the
        score, the threshold and the gap between them, the ``k`` terms that
        raised the score and the ``k`` that held it down, and the best sentence.
        ``print()`` one for a readable form.

        Example:
            >>> from customs_topics import load_model
            >>> e = load_model().explain("Customs seized 2 tonnes of cocaine at the port.", "health_goods")[0]
            >>> e.assigned, e.margin < 0, len(e.held_down_by) > 0
            (False, True, True)
        """
        from .explain import explain_theme

        return explain_theme(self, X, theme, k=k, thresholds=thresholds)
