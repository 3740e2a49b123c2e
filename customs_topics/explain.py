"""Explanations: why a theme was (or was not) assigned, and readable text forms.

:meth:`TopicClassifier.explain <customs_topics.model.TopicClassifier.explain>`
gives a :class:`ThemeExplanation` for any theme, assigned or not: its score
and threshold, how far apart they are, the terms that raised the score, the
terms that held it down, and the sentence that scored highest for it.
:func:`tag_text` is the readable form of a :class:`~customs_topics.model.Tag`.

Example:
    >>> from customs_topics import load_model
    >>> e = load_model().explain("Customs seized 2 tonnes of cocaine at the port.", "health_goods")[0]
    >>> e.assigned, e.score < e.threshold
    (False, True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .features import units

if TYPE_CHECKING:
    from .model import Tag, Thresholds, TopicClassifier


@dataclass
class ThemeExplanation:
    """Why one article got (or did not get) one theme.

    ``score`` and ``threshold`` are on the 0..1 scale of ``predict_proba``;
    ``margin = score - threshold`` (negative: not assigned). ``logit_gap`` is
    how much the linear score must rise to reach the threshold (0 when
    assigned). ``raised_by`` / ``held_down_by`` are the ``k`` words or word
    pairs adding most to / taking most from the whole-article score, as
    ``(term, contribution)``; ``bias`` is the theme's intercept (a negative
    one holds every article down). ``sentence`` is the unit (title or
    sentence) that scored highest for the theme, or ``None``.
    """

    theme: str
    assigned: bool
    score: float
    threshold: float
    margin: float
    logit_gap: float
    raised_by: list[tuple[str, float]] = field(default_factory=list)
    held_down_by: list[tuple[str, float]] = field(default_factory=list)
    bias: float = 0.0
    sentence: str | None = None
    known_terms: bool = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (term lists as ``[term, contribution]`` pairs)."""
        out = asdict(self)
        out["raised_by"] = [list(t) for t in self.raised_by]
        out["held_down_by"] = [list(t) for t in self.held_down_by]
        return out

    def __str__(self) -> str:
        verdict = "assigned" if self.assigned else "not assigned"
        relation = "above" if self.margin >= 0 else "below"
        lines = [
            f"{self.theme}: {verdict}, score {self.score:.3f}, threshold {self.threshold:.3f} "
            f"({abs(self.margin):.3f} {relation})"
        ]
        if not self.known_terms:
            lines.append("  no word of the article is known to the model")
            return "\n".join(lines)
        if not self.assigned:
            lines.append(f"  the linear score needs +{self.logit_gap:.2f} to reach the threshold")
        if self.raised_by:
            lines.append("  raised by: " + _terms(self.raised_by))
        if self.held_down_by:
            lines.append("  held down by: " + _terms(self.held_down_by))
        lines.append(f"  bias (every article): {self.bias:+.2f}")
        if self.sentence:
            lines.append(f"  best sentence: {self.sentence!r}")
        return "\n".join(lines)


def _terms(items: list[tuple[str, float]]) -> str:
    return ", ".join(f"{term} ({value:+.2f})" for term, value in items)


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def explain_theme(
    model: TopicClassifier, X: Any, theme: str, k: int = 5, thresholds: Thresholds = None
) -> list[ThemeExplanation]:
    """One :class:`ThemeExplanation` of ``theme`` per input (see ``TopicClassifier.explain``)."""
    from .errors import InputError
    from .model import _pairs, _sigmoid, as_docs

    model._check_fitted()
    if theme not in model.labels_:
        raise InputError(f"unknown theme {theme!r} (the model has: {', '.join(model.labels_)})", field="theme")
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InputError(f"k must be a non-negative integer, got {k!r}", field="k")
    j = model.labels_.index(theme)
    threshold = float(model._threshold_array(thresholds)[j])
    articles = as_docs(X)
    docs = _pairs(articles)
    S, U, owner = model._scores(model._get_scorer(), model.intercept_, docs)
    P = _sigmoid(S)
    starts = np.searchsorted(owner, np.arange(len(docs) + 1))
    out = []
    for i, (title, body) in enumerate(docs):
        score = float(P[i, j])
        known = bool(np.isfinite(S[i, j]))
        contrib = model.featurizer_.term_contributions(title, body, model.coef_[:, j]) if known else {}
        ranked = sorted(contrib.items(), key=lambda kv: -kv[1])
        sentence = None
        if known and starts[i] < starts[i + 1]:
            b = int(np.argmax(U[starts[i] : starts[i + 1], j]))
            if np.isfinite(U[starts[i] + b, j]):
                sentence = units(title, body)[b].strip()
        assigned = bool(score > 0.0 and score >= threshold)
        gap = 0.0 if assigned or not known else max(0.0, _logit(threshold) - float(S[i, j]))
        out.append(
            ThemeExplanation(
                theme=theme,
                assigned=assigned,
                score=round(score, 4),
                threshold=round(threshold, 4),
                margin=round(score - threshold, 4),
                logit_gap=round(gap, 4),
                raised_by=[(t, round(float(v), 4)) for t, v in ranked[:k] if v > 0],
                held_down_by=[(t, round(float(v), 4)) for t, v in reversed(ranked[-k:]) if v < 0] if k else [],
                bias=round(float(model.intercept_[j]), 4),
                sentence=sentence,
                known_terms=known,
            )
        )
    return out


def tag_text(tag: Tag) -> str:
    """A readable multi-line form of a :class:`~customs_topics.model.Tag`.

    Example:
        >>> from customs_topics import load_model
        >>> t = load_model().tag("Customs seized 40 pistols and ammunition at the border.", explain=2)[0]
        >>> tag_text(t).splitlines()[1]
        'labels: strategic_trade_control'
    """
    head = tag.title or "(no title)"
    lines = [f"{head} [{tag.id}]" if tag.id else head, "labels: " + (", ".join(tag.labels) or "(none)")]
    for label in tag.labels:
        lines.append(f"  {label} {tag.scores.get(label, 0.0):.3f}")
        detail = (tag.explanation or {}).get(label)
        if detail:
            terms = [(str(t), float(v)) for t, v in detail.get("terms") or []]
            if terms:
                lines.append("    terms: " + _terms(terms))
            if detail.get("sentence"):
                lines.append(f"    sentence: {detail['sentence']!r}")
    others = [f"{label} {score:.3f}" for label, score in tag.scores.items() if label not in tag.labels]
    if others:
        lines.append("not assigned: " + ", ".join(others))
    return "\n".join(lines)
