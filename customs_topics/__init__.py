"""customs-topics: tag customs and trade news with themes.

The data flow is text -> :class:`Article` (``articles``) -> features
(``features``) -> scores -> labels (``model``), with the theme definitions in
``taxonomy`` and training in ``trainer``.

Example:
    >>> from customs_topics import load_model
    >>> model = load_model()
    >>> model.predict(["Customs seized counterfeit face masks and fake test kits."])
    [['illicit_trade', 'health_goods']]
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._resources import bundled_corpus_path, seed_digest_path
from .articles import Article, iter_articles, iter_inputs, iter_records, read_articles
from .errors import CustomsTopicsError, DataError, InputError, ModelError, SourceError, TaxonomyError
from .model import Tag, TopicClassifier
from .persistence import load_model, save_model
from .taxonomy import Taxonomy, Theme, load_taxonomy
from .trainer import train

__all__ = [
    "Article",
    "CustomsTopicsError",
    "DataError",
    "InputError",
    "ModelError",
    "SourceError",
    "Tag",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "TopicClassifier",
    "__version__",
    "bundled_corpus_path",
    "iter_articles",
    "iter_inputs",
    "iter_records",
    "load_model",
    "load_taxonomy",
    "read_articles",
    "save_model",
    "seed_digest_path",
    "train",
]
