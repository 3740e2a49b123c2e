"""Finding what to label next: the articles of an unlabelled archive most worth
labelling for one theme.

:func:`suggest` reads an archive once, scores every article for the theme and
keeps a mix of

* **likely positives** — for a theme the model knows, the highest scores; for
  a *new* theme (defined in a taxonomy file, not yet in any model), the
  articles most similar to the theme's name, definition and include notes
  (cosine of the model's own TF-IDF features, article and best sentence
  blended as in scoring);
* **uncertain** articles — for a theme the model knows, those whose score is
  closest to the theme's threshold (the cases a label teaches the model most).
  A new theme has no threshold yet, so its first batch is all likely positives;

without near-duplicates (TF-IDF cosine above ``max_similarity`` to an article
already picked is skipped) and without the ids you have already labelled
(``exclude``). After labelling a batch and retraining, run it again with the
new model to get the next batch.

Each suggestion is a JSON Lines record in the training-data format:
``id``, ``title``, ``body``, ``labels`` (the article's own labels when the
archive has them, else the model's current predictions, **without** the
suggested theme: add it if the article is about it, leave it out if not),
then ``suggested_for`` (the theme), ``score`` (the model's 0..1 score, or the
similarity to the definition for a new theme), ``pick`` (``"likely"`` or
``"uncertain"``) and the article's other fields (``event``, ...). Those extra
fields are kept as ``meta`` when the file is used as ``--data``.

Example:
    >>> import io
    >>> archive = read_archive([io.StringIO(
    ...     '{"id": "n1", "title": "Cigarettes seized", "body": "Customs seized 2 million smuggled cigarettes."}\\n'
    ...     '{"id": "n2", "title": "Single window", "body": "The new single window cuts clearance times."}\\n')],
    ...     format="jsonl")
    >>> from customs_topics.taxonomy import Taxonomy, Theme
    >>> tobacco = Theme("tobacco", "Tobacco", "Smuggling of cigarettes and tobacco.", ("cigarette smuggling",))
    >>> rows = suggest(archive, "tobacco", taxonomy=Taxonomy((tobacco,)), n=1)
    >>> rows[0]["id"], rows[0]["suggested_for"], rows[0]["pick"], "tobacco" in rows[0]["labels"]
    ('n1', 'tobacco', 'likely', False)
"""

from __future__ import annotations

import contextlib
import heapq
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any

import numpy as np

from .articles import Article, Format, Source, iter_articles, iter_inputs
from .errors import CustomsTopicsError, InputError
from .model import TopicClassifier, combined_scores
from .taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger("customs_topics")

#: Fields of a suggestion that are not the article's own.
SUGGESTION_FIELDS = ("suggested_for", "score", "pick")


def read_archive(
    sources: Sequence[Source],
    format: Format | None = None,
    *,
    title_field: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
) -> Iterator[Article]:
    """Stream the articles of several archive files or directories (any format ``tag`` reads), in order.

    The one place :func:`suggest`'s command reads its input (through
    :func:`~customs_topics.articles.iter_inputs`, so directories and ``"-"``
    work as in ``tag``); raises the :class:`~customs_topics.errors.InputError`
    (or :class:`~customs_topics.errors.SourceError`) of the first bad record or file.
    ``title_field`` / ``text_field`` / ``id_field`` name JSON Lines fields or CSV
    columns, as in :func:`~customs_topics.articles.read_articles`.

    Example:
        >>> import io
        >>> [a.id for a in read_archive([io.StringIO('{"id": "a", "title": "T", "body": "B"}')], "jsonl")]
        ['a']
    """
    fields = {"title_field": title_field, "text_field": text_field, "id_field": id_field}
    for item in iter_inputs(list(sources), format, **fields):
        if isinstance(item, CustomsTopicsError):
            raise item
        yield item


def labelled_ids(sources: Iterable[Source]) -> set[str]:
    """The ids of the articles in labelled files, to exclude from suggestions.

    Example:
        >>> import io
        >>> labelled_ids([io.StringIO('{"id": "x1", "title": "T", "body": "B", "labels": []}')])
        {'x1'}
    """
    return {a.id for source in sources for a in iter_articles(source, "jsonl")}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


class _ThemeScorer:
    """Scores a batch for one theme: model probability, or similarity to a new theme's definition."""

    def __init__(self, model: TopicClassifier, theme: str, taxonomy: Taxonomy | str | os.PathLike[str] | None) -> None:
        self.model = model
        self.theme = theme
        self.known = theme in model.labels
        if self.known:
            self.j = model.labels.index(theme)
            self.threshold = model.thresholds[theme]
            return
        tax = taxonomy if isinstance(taxonomy, Taxonomy) else (load_taxonomy(taxonomy) if taxonomy else None)
        if tax is None or theme not in tax:
            where = f"the taxonomy has: {', '.join(tax.ids)}" if tax is not None else "no --taxonomy given"
            raise InputError(
                f"unknown theme {theme!r} (the model has: {', '.join(model.labels)}; {where}): to suggest "
                "articles for a new theme, define it in a taxonomy file and pass it with --taxonomy FILE",
                field="theme",
            )
        spec = tax[theme]
        query = " ".join([spec.name + ".", spec.definition, *spec.includes])
        q = model.featurizer_.transform([("", query)]).to_scipy().toarray()[0]
        if not q.any():
            raise InputError(
                f"the definition and includes of {theme!r} share no word with the model's vocabulary; "
                "write them with the words articles about the theme use",
                field="theme",
            )
        self.query_scorer = model.featurizer_.scorer(q.astype(np.float32)[:, None])

    def scores(self, articles: Sequence[Article]) -> np.ndarray:
        if self.known:
            return self.model.predict_proba(articles)[:, self.j]
        docs = [(a.title, a.body) for a in articles]
        S = combined_scores(self.query_scorer, np.zeros(1), float(self.model.sentence_weight), docs)[0][:, 0]
        return np.where(np.isfinite(S), S, 0.0)


def suggest(
    archive: Iterable[Article],
    theme: str,
    *,
    model: TopicClassifier | str | os.PathLike[str] | None = None,
    taxonomy: Taxonomy | str | os.PathLike[str] | None = None,
    n: int = 20,
    exclude: Iterable[str] = (),
    uncertain_share: float = 0.5,
    max_similarity: float = 0.8,
    batch_size: int = 2000,
) -> list[dict[str, Any]]:
    """The ``n`` articles of ``archive`` most worth labelling next for ``theme``.

    ``theme`` is one of the model's themes, or a new one defined in
    ``taxonomy`` (a :class:`~customs_topics.taxonomy.Taxonomy` or a taxonomy
    file). ``model`` is a fitted model or a model directory (default: the
    bundled model). ``exclude`` holds ids already labelled (see
    :func:`labelled_ids`); articles labelled with ``theme`` in the archive
    itself are skipped too. ``uncertain_share`` of the picks (for a theme the
    model knows) are the articles whose score is closest to the theme's
    threshold; the rest are the highest-scoring. Returns the records
    described in the module docstring, likely positives first (best first),
    then uncertain ones (closest first); fewer than ``n`` when the archive has
    fewer candidates. The archive is streamed: memory holds ``batch_size``
    articles plus a few hundred candidates.

    Raises :class:`~customs_topics.errors.InputError` for an unknown theme, an
    ``n`` below 1 or an archive with no article left to suggest.
    """
    from .persistence import load_model

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a positive integer (articles to suggest), got {n!r}", field="n")
    if not 0.0 <= uncertain_share <= 1.0:
        raise InputError(f"uncertain_share must be from 0 to 1, got {uncertain_share!r}", field="uncertain_share")
    if not isinstance(model, TopicClassifier):
        model = load_model(model)
    scorer = _ThemeScorer(model, theme, taxonomy)
    skip = set(exclude)
    keep = max(5 * n, 50)
    likely: list[tuple[float, int, Article, float]] = []  # min-heaps (key, -order, article, score)
    uncertain: list[tuple[float, int, Article, float]] = []
    seen: set[str] = set()
    read = 0
    articles = iter(archive)
    while batch := list(islice(articles, batch_size)):
        read += len(batch)
        fresh = []
        for article in batch:
            if article.id in skip or article.id in seen or theme in (article.labels or ()):
                continue
            seen.add(article.id)
            fresh.append(article)
        if not fresh:
            continue
        s = scorer.scores(fresh)
        closeness = -np.abs(_logit(s) - _logit(np.array(scorer.threshold))) if scorer.known else None
        first = len(seen) - len(fresh)
        for i, article in enumerate(fresh):
            score = float(s[i])
            if score > 0:
                _push(likely, (score, -(first + i), article, score), keep)
            if closeness is not None:
                _push(uncertain, (float(closeness[i]), -(first + i), article, score), keep)
    if read == 0:
        raise InputError("the archive has no articles", field="archive")
    if not seen:
        raise InputError(
            f"all {read} articles of the archive are already labelled (excluded ids, or labelled {theme!r})",
            field="archive",
        )
    n_uncertain = round(n * uncertain_share) if scorer.known else 0
    ranked_likely = [(e[2], e[3]) for e in sorted(likely, reverse=True)]
    ranked_uncertain = [(e[2], e[3]) for e in sorted(uncertain, reverse=True)]
    picks = _pick(model, ranked_likely, ranked_uncertain, n - n_uncertain, n, max_similarity)
    if len(picks) < n:
        log.warning("only %d article(s) to suggest for %r (asked for %d)", len(picks), theme, n)
    return _records(model, theme, picks)


def _push(heap: list[tuple[float, int, Article, float]], entry: tuple[float, int, Article, float], keep: int) -> None:
    """Keep the ``keep`` largest entries by (key, -order): ties go to the earlier article."""
    if len(heap) < keep:
        heapq.heappush(heap, entry)
    elif entry[:2] > heap[0][:2]:
        heapq.heapreplace(heap, entry)


def _pick(
    model: TopicClassifier,
    likely: list[tuple[Article, float]],
    uncertain: list[tuple[Article, float]],
    n_likely: int,
    n: int,
    max_similarity: float,
) -> list[tuple[Article, float, str]]:
    """Greedy selection: ``n_likely`` from ``likely`` then the rest from ``uncertain``
    (each topping up the other when short), skipping near-duplicates."""
    pool = {a.id: a for a, _ in likely + uncertain}
    ids = list(pool)
    rows = model.featurizer_.transform([(pool[i].title, pool[i].body) for i in ids]).to_scipy().tocsr()
    index = {i: k for k, i in enumerate(ids)}
    chosen: list[tuple[Article, float, str]] = []
    chosen_rows: list[int] = []

    def take(candidates: list[tuple[Article, float]], kind: str, limit: int) -> None:
        for article, score in candidates:
            if len(chosen) >= limit:
                return
            k = index[article.id]
            if any(c[0].id == article.id for c in chosen):
                continue
            if chosen_rows:
                sims = (rows[chosen_rows] @ rows[k].T).toarray().ravel()
                if sims.max() > max_similarity:
                    continue
            chosen.append((article, score, kind))
            chosen_rows.append(k)

    take(likely, "likely", n_likely)
    take(uncertain, "uncertain", n)
    take(likely, "likely", n)
    return chosen


def _records(model: TopicClassifier, theme: str, picks: list[tuple[Article, float, str]]) -> list[dict[str, Any]]:
    unlabelled = [a for a, _, _ in picks if a.labels is None]
    predicted = dict(zip((a.id for a in unlabelled), model.predict(unlabelled) if unlabelled else []))
    out = []
    for article, score, kind in picks:
        labels = list(article.labels) if article.labels is not None else predicted[article.id]
        row: dict[str, Any] = {
            "id": article.id,
            "title": article.title,
            "body": article.body,
            "labels": [label for label in labels if label != theme],
            "suggested_for": theme,
            "score": round(float(score), 4),
            "pick": kind,
        }
        for key, value in article.meta.items():
            row.setdefault(key, value)
        out.append(row)
    return out


def write_suggestions(rows: Iterable[dict[str, Any]], out: str | os.PathLike[str] | IO[str]) -> None:
    """Write suggestions as JSON Lines to an open file, or atomically to a path
    (a temporary file in the same directory, renamed over ``out`` when complete).

    Example:
        >>> import io
        >>> buf = io.StringIO()
        >>> write_suggestions([{"id": "a", "title": "T", "body": "B", "labels": []}], buf)
        >>> buf.getvalue()
        '{"id": "a", "title": "T", "body": "B", "labels": []}\\n'
    """
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in rows]
    if not isinstance(out, (str, os.PathLike)):
        out.writelines(lines)
        return
    path = os.fspath(out)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
