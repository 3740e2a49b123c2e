"""Labelled data: loading, validation against a taxonomy, and the bundled corpus.

The bundled training corpus is the seed digest (``seeds/wco_news_digest.txt``
with its gold labels ``seeds/labels.json``) plus the 1,464 labelled summaries
of ``seeds/corpus/train.jsonl``, each with the ``source_url`` of the public
article it was written from.

Example:
    >>> from customs_topics.corpus import bundled_corpus
    >>> articles = bundled_corpus()
    >>> len(articles)
    1474
    >>> articles[0].labels
    ('illicit_trade', 'health_goods', 'facilitation')
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ._resources import shipped
from .articles import Article, Format, Source, iter_numbered, read_articles
from .errors import DataError, InputError, SourceError
from .taxonomy import Taxonomy, load_taxonomy

#: Appended to "unknown theme" errors: how to add a theme.
NEW_THEME_HINT = (
    "to add a theme, define it in a taxonomy file that extends the built-in one "
    "and pass it with --taxonomy FILE (taxonomy= in Python)"
)


def load_labelled(
    source: Source,
    taxonomy: Taxonomy | str | os.PathLike[str] | None = None,
    *,
    format: Format | None = None,
) -> list[Article]:
    """Read labelled articles (JSON Lines with a ``labels`` list) and validate them.

    Every record needs a non-empty ``title`` or ``body``, a ``labels`` list
    whose ids are all in ``taxonomy`` (the built-in one by default) and a
    unique ``id`` when it has one. Problems raise
    :class:`~customs_topics.errors.DataError` naming the file, line and field.

    Example:
        >>> import io
        >>> src = io.StringIO('{"title": "T", "body": "B", "labels": ["spam"]}')
        >>> load_labelled(src, format="jsonl")
        Traceback (most recent call last):
        ...
        customs_topics.errors.DataError: <stream>:1: field 'labels': unknown theme 'spam' (the taxonomy has: ...); ...
    """
    return [article for _, article in _load_numbered(source, taxonomy, format)]


def _load_numbered(
    source: Source, taxonomy: Taxonomy | str | os.PathLike[str] | None, format: Format | None
) -> list[tuple[int, Article]]:
    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy)
    known = set(taxonomy.ids)
    out: list[tuple[int, Article]] = []
    for line, item in iter_numbered(source, format or "jsonl"):
        if isinstance(item, InputError):
            raise DataError(item.reason, source=item.source, line=item.line, field=item.field)
        name = _name(source)
        if item.labels is None:
            raise DataError(
                "missing (expected a list of theme ids, [] for none)", source=name, line=line, field="labels"
            )
        if not (item.title.strip() or item.body.strip()):
            raise DataError("empty article (expected a non-empty title or body)", source=name, line=line, field="body")
        for label in item.labels:
            if label not in known:
                raise DataError(
                    f"unknown theme {label!r} (the taxonomy has: {', '.join(taxonomy.ids)}); {NEW_THEME_HINT}",
                    source=name,
                    line=line,
                    field="labels",
                )
        out.append((line, _dedupe_labels(item)))
    return out


def _name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def _dedupe_labels(article: Article) -> Article:
    labels = tuple(dict.fromkeys(article.labels or ()))
    if labels == article.labels:
        return article
    return Article(article.id, article.title, article.body, labels, article.meta)


def load_seed_digest(
    digest: str | os.PathLike[str] | None = None,
    labels: str | os.PathLike[str] | None = None,
) -> list[Article]:
    """The seed digest's articles with their gold labels (matched by title)."""
    digest_path = Path(digest) if digest is not None else shipped("seeds", "wco_news_digest.txt")
    labels_path = Path(labels) if labels is not None else shipped("seeds", "labels.json")
    try:
        gold = json.loads(labels_path.read_text("utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{labels_path}: no such file") from None
    out = []
    for article in read_articles(digest_path, format="digest"):
        if article.title not in gold:
            raise DataError(f"no gold labels for {article.title!r}", source=str(labels_path))
        out.append(
            Article(
                article.id,
                article.title,
                article.body,
                tuple(gold[article.title]),
                {"event": f"seed-digest:{article.id}", "source": "seeds/wco_news_digest.txt"},
            )
        )
    return out


def bundled_corpus(taxonomy: Taxonomy | None = None) -> list[Article]:
    """The bundled training data: the seed digest plus ``seeds/corpus/train.jsonl``."""
    path = shipped("seeds", "corpus", "train.jsonl")
    return load_seed_digest() + load_labelled(path, taxonomy)


def training_data(
    files: Sequence[str | os.PathLike[str]],
    taxonomy: Taxonomy | str | os.PathLike[str] | None = None,
    *,
    bundled: bool = False,
) -> list[Article]:
    """Labelled articles of ``files``, optionally on top of the bundled corpus.

    With ``bundled=True`` a record whose ``id`` is a bundled article's id
    replaces that article: this is how you relabel bundled articles for a
    theme you add. Any other repeated id raises
    :class:`~customs_topics.errors.DataError` naming both places.
    """
    return training_data_sources(files, taxonomy, bundled=bundled)[0]


#: The source name :func:`training_data_sources` gives bundled articles.
BUNDLED_SOURCE = "the bundled corpus"


def training_data_sources(
    files: Sequence[str | os.PathLike[str]],
    taxonomy: Taxonomy | str | os.PathLike[str] | None = None,
    *,
    bundled: bool = False,
) -> tuple[list[Article], list[str]]:
    """:func:`training_data` and, for each article, where it came from (a file
    name, or :data:`BUNDLED_SOURCE`), for messages that count examples per file.

    Example:
        >>> articles, sources = training_data_sources([], bundled=True)
        >>> len(articles) == len(sources), sources[0]
        (True, 'the bundled corpus')
    """
    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy)
    records = (
        (os.fspath(path), line, article) for path in files for line, article in _load_numbered(path, taxonomy, None)
    )
    return _merge(bundled_corpus(taxonomy) if bundled else [], BUNDLED_SOURCE, records)


def merge_records(base: list[Article], records: Iterable[tuple[str, int | None, Article]]) -> list[Article]:
    """``base`` plus ``records`` ``(source, line, article)``: a record whose id is a
    ``base`` article's replaces it (relabelling); two records with one id raise
    :class:`~customs_topics.errors.DataError` naming both places."""
    return _merge(base, BUNDLED_SOURCE, records)[0]


def _merge(
    base: list[Article], base_source: str, records: Iterable[tuple[str, int | None, Article]]
) -> tuple[list[Article], list[str]]:
    articles = list(base)
    sources = [base_source] * len(articles)
    position = {a.id: i for i, a in enumerate(articles)}
    seen: dict[str, str] = {}
    for source, line, article in records:
        if article.id in seen:
            raise DataError(
                f"duplicate id {article.id!r} (first on {seen[article.id]})", source=source, line=line, field="id"
            )
        seen[article.id] = f"{source}:{line}" if line is not None else source
        if article.id in position:  # relabels a base article
            articles[position[article.id]] = article
            sources[position[article.id]] = source
        else:
            position[article.id] = len(articles)
            articles.append(article)
            sources.append(source)
    return articles, sources


def check_duplicate_ids(articles: Sequence[Article]) -> None:
    """Raise :class:`DataError` if two articles share an id (e.g. across files)."""
    seen: dict[str, int] = {}
    for i, article in enumerate(articles):
        if article.id in seen:
            raise DataError(f"duplicate id {article.id!r} (records {seen[article.id] + 1} and {i + 1})", field="id")
        seen[article.id] = i


def label_matrix(label_lists: Iterable[Iterable[str]], labels: Sequence[str]) -> np.ndarray:
    """Label-indicator matrix (n_articles, n_labels) of 0/1 ``int8``.

    Example:
        >>> label_matrix([["b"], [], ["a", "b"]], ["a", "b"]).tolist()
        [[0, 1], [0, 0], [1, 1]]
    """
    index = {label: j for j, label in enumerate(labels)}
    rows = list(label_lists)
    Y = np.zeros((len(rows), len(labels)), dtype=np.int8)
    for i, row in enumerate(rows):
        for label in row:
            if label not in index:
                raise DataError(f"unknown theme {label!r} in record {i + 1}", field="labels")
            Y[i, index[label]] = 1
    return Y


def summarize(articles: Sequence[Article], labels: Sequence[str]) -> dict[str, object]:
    """Counts per label, articles with no label, and sources, for model cards."""
    counts = Counter(label for a in articles for label in (a.labels or ()))
    sources = Counter(
        str(a.meta.get("source_url", a.meta.get("source", "unknown"))).split("/")[2]
        if "://" in str(a.meta.get("source_url", ""))
        else str(a.meta.get("source", "unknown"))
        for a in articles
    )
    return {
        "articles": len(articles),
        "per_label": {label: counts.get(label, 0) for label in labels},
        "no_label": sum(1 for a in articles if not a.labels),
        "events": len({a.meta.get("event", a.id) for a in articles}),
        "top_sources": dict(sources.most_common(10)),
    }
