"""Features: text -> sparse TF-IDF rows over word n-grams.

The same :class:`Featurizer` is used for training and prediction. It needs
only numpy at prediction time (no scipy, no scikit-learn import), which keeps
start-up fast. Rows are returned as CSR arrays (:class:`Rows`).

Tokens are lowercase runs of two or more word characters (``\\w``); features
are word n-grams (unigrams and bigrams by default) counted in the title and
the body separately (so no n-gram spans the two), the title counted
``title_weight`` times, then sublinear TF (``1 + log tf``), IDF and L2
normalisation per row.

Example:
    >>> f = Featurizer(min_df=1).fit([("Fake vaccines", "Customs seized fake vaccines.")])
    >>> rows = f.transform([("", "fake vaccines seized")])
    >>> sorted(f.terms_[i] for i in rows.indices)
    ['fake', 'fake vaccines', 'seized', 'vaccines']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Doc = tuple[str, str]  # (title, body)

TOKEN = re.compile(r"\w\w+")
# A sentence ends at . ! ? followed by space and an upper-case letter, digit or quote.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]?\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens of two or more characters.

    Example:
        >>> tokenize("WCO's STCE-Programme, 2024!")
        ['wco', 'stce', 'programme', '2024']
    """
    return TOKEN.findall(text.lower())


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (a light rule, no abbreviation list).

    Example:
        >>> split_sentences("Officers seized 5 kg. They found two pistols! Done")
        ['Officers seized 5 kg.', 'They found two pistols!', 'Done']
    """
    out: list[str] = []
    for paragraph in text.split("\n"):
        out.extend(s.strip() for s in SENTENCE_END.split(paragraph) if s.strip())
    return out


def sentence_units(title: str, body: str) -> list[str]:
    """The units scored one by one: the title (if any), then each body sentence."""
    return ([title] if title.strip() else []) + split_sentences(body)


def _ngrams(tokens: list[str], n_max: int) -> list[str]:
    grams = list(tokens)
    for n in range(2, n_max + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def segment_sum(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum ``values`` (n, ...) over the row segments ``indptr``; empty segments give 0.

    Each segment is summed on its own, so a row's result does not depend on
    the other rows of the batch.

    Example:
        >>> segment_sum(np.array([1.0, 2.0, 3.0]), np.array([0, 2, 2, 3])).tolist()
        [3.0, 0.0, 3.0]
    """
    out = np.zeros((len(indptr) - 1,) + values.shape[1:], dtype=np.float64)
    starts = indptr[:-1]
    nonempty = starts < indptr[1:]
    if values.shape[0]:
        out[nonempty] = np.add.reduceat(values, starts[nonempty], axis=0)
    return out


@dataclass(frozen=True)
class Rows:
    """Sparse rows in CSR form: row ``i`` has columns ``indices[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_features: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, W: np.ndarray) -> np.ndarray:
        """``rows @ W`` for a dense (n_features, k) matrix, in numpy only."""
        return segment_sum(W[self.indices] * self.data[:, None], self.indptr)

    def to_scipy(self) -> Any:
        """The same rows as a ``scipy.sparse.csr_matrix`` (imports scipy)."""
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_features))


class Featurizer:
    """Word n-gram TF-IDF featurizer; see the module docstring.

    Parameters are stored as given; fitted attributes end in ``_``:
    ``terms_`` (list of feature strings), ``vocabulary_`` (term -> column)
    and ``idf_`` (array).
    """

    def __init__(
        self,
        *,
        ngram_max: int = 2,
        min_df: int = 2,
        sublinear_tf: bool = True,
        title_weight: int = 2,
    ) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.title_weight = title_weight

    def params(self) -> dict[str, Any]:
        return {
            "ngram_max": self.ngram_max,
            "min_df": self.min_df,
            "sublinear_tf": self.sublinear_tf,
            "title_weight": self.title_weight,
        }

    def _counts(self, doc: Doc) -> Counter[str]:
        title, body = doc
        counts = Counter(_ngrams(tokenize(body), self.ngram_max))
        if title and self.title_weight:
            for gram in _ngrams(tokenize(title), self.ngram_max):
                counts[gram] += self.title_weight
        return counts

    def fit(self, docs: Sequence[Doc]) -> Featurizer:
        """Learn the vocabulary (terms in at least ``min_df`` documents) and IDF."""
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(self._counts(doc).keys())
        terms = sorted(t for t, c in df.items() if c >= self.min_df)
        n = len(docs)
        self.terms_ = terms
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        self.idf_ = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
        return self

    @classmethod
    def from_state(cls, params: dict[str, Any], terms: list[str], idf: np.ndarray) -> Featurizer:
        """Rebuild a fitted featurizer from saved parameters, terms and IDF."""
        self = cls(**params)
        self.terms_ = list(terms)
        self.vocabulary_ = {t: i for i, t in enumerate(self.terms_)}
        self.idf_ = np.asarray(idf, dtype=np.float64)
        return self

    @property
    def n_features(self) -> int:
        return len(self.terms_)

    def transform(self, docs: Sequence[Doc]) -> Rows:
        """TF-IDF rows, one per document, L2-normalised (empty text: empty row)."""
        vocab = self.vocabulary_
        indptr = [0]
        indices: list[int] = []
        counts: list[float] = []
        for doc in docs:
            c = self._counts(doc)
            for term, count in c.items():
                j = vocab.get(term)
                if j is not None:
                    indices.append(j)
                    counts.append(count)
            indptr.append(len(indices))
        return self._weigh(
            np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(counts, dtype=np.float64)
        )

    def _weigh(self, indptr: np.ndarray, indices: np.ndarray, tf: np.ndarray) -> Rows:
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf) if tf.size else tf
        values = tf * self.idf_[indices]
        norms = np.sqrt(segment_sum(values * values, indptr))
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        scale = np.repeat(scale, np.diff(indptr))
        return Rows(indptr, indices, values * scale, self.n_features)

    def transform_units(self, docs: Sequence[Doc]) -> tuple[Rows, np.ndarray]:
        """Rows for each sentence of each document; ``owner[i]`` is the document of row ``i``.

        The title counts as a sentence of its own. Every document has at
        least one row (an empty one for empty text).
        """
        units: list[Doc] = []
        owner: list[int] = []
        for i, (title, body) in enumerate(docs):
            for sentence in sentence_units(title, body) or [""]:
                units.append(("", sentence))
                owner.append(i)
        return self.transform(units), np.array(owner, dtype=np.int64)
