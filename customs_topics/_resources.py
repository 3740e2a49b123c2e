"""Where the data shipped with the package lives.

In a wheel the repo's ``seeds/`` and ``models/`` folders are installed inside
the package as ``customs_topics/_shipped/``; in a source checkout they are
read from the repo itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(*parts: str) -> Path:
    """Path of ``seeds/...`` or ``models/...`` in a wheel or a checkout."""
    inside = _PACKAGE.joinpath("_shipped", *parts)
    if inside.exists():
        return inside
    return _PACKAGE.parent.joinpath(*parts)


def seed_digest_path() -> Path:
    """Path of the shipped seed digest (``seeds/wco_news_digest.txt``), from any directory.

    Ten WCO news summaries in the digest format, for trying the readers and
    the model.

    Example:
        >>> from customs_topics import read_articles, seed_digest_path
        >>> len(read_articles(seed_digest_path()))
        10
    """
    return shipped("seeds", "wco_news_digest.txt")


def bundled_corpus_path() -> Path:
    """Path of the shipped labelled corpus (``seeds/corpus/train.jsonl``), from any directory.

    JSON Lines with ``id``, ``title``, ``body``, ``labels`` and provenance
    fields (see ``seeds/corpus/README.md``); ``corpus.bundled_corpus()``
    reads it as articles.

    Example:
        >>> from customs_topics import bundled_corpus_path, read_articles
        >>> read_articles(bundled_corpus_path())[0].labels is not None
        True
    """
    return shipped("seeds", "corpus", "train.jsonl")
