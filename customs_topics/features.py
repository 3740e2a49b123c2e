"""Features: text -> TF-IDF rows over words, word pairs and word affixes.

An article is cut into *units*: its title, then each sentence of its body.
Each unit is lowercased and split into word tokens (``\\w+``). A unit's
*terms* are its words and (``ngram_max=2``) its pairs of adjacent words; the
article's terms are those of its units, the title's counted ``title_weight``
times. Each term maps to features: itself and, for a word, its *affixes*
(first 3, 4, 5 and 6 characters, ``P:`` prefix; last 3 and 4, ``X:`` prefix;
only those shorter than the word), which let the model generalise to words it
has not seen (``smugglers`` shares ``P:smugg`` with ``smuggling``).

A row's value for feature ``f`` is ``sum(tf(term) * idf[f])`` over the
row's terms that map to ``f``, with ``tf(c) = 1 + ln c`` (sublinear), and the
row is divided by ``sqrt(sum((tf(term) * idf[f])**2))`` over the same
(term, feature) pairs, i.e. its L2 norm when no two terms share a feature.
This term-wise definition is what lets the batch scorer score a batch without
building feature rows: each known term's weighted sum ``sum(idf[f] * W[f])``
is precomputed.

Two implementations share this definition and are tested to agree:
:meth:`Featurizer.transform` / :meth:`Featurizer.transform_units` (plain
Python, readable, used for training and explanations, here) and
:class:`~customs_topics.scorer.Scorer` (vectorised numpy over a whole batch,
used for prediction, in :mod:`customs_topics.scorer`).

Example:
    >>> f = Featurizer(min_df=1).fit([("Fake vaccines", "Customs seized fake vaccines.")])
    >>> rows = f.transform([("", "fake vaccines seized")])
    >>> sorted(f.terms_[i] for i in rows.indices)[:6]
    ['P:fak', 'P:sei', 'P:seiz', 'P:seize', 'P:vac', 'P:vacc']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .scorer import Scorer

Doc = tuple[str, str]  # (title, body)

TOKEN = re.compile(r"\w+")
# A sentence ends at . ! ? ; followed by white space and an upper-case letter, digit, quote or bracket.
SENTENCE_END = re.compile(r"[.!?;]\s+(?=[A-Z0-9\"'(])")
# Markers of the batch scorer: article start, unit start, body start. Removed from user text first.
_DOC, _UNIT, _BODY = "\x01", "\x02", "\x03"
_CLEAN = str.maketrans({_DOC: " ", _UNIT: " ", _BODY: " "})
PREFIXES = (3, 4, 5, 6)
SUFFIXES = (3, 4)
# Byte-level word splitting of UTF-8 text: lowercase ASCII letters, keep ASCII word characters, the
# markers and every non-ASCII byte, turn the rest into spaces. Pieces with non-ASCII bytes are then
# re-split with TOKEN, so the result equals TOKEN.findall(text.lower()).
_BYTE_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c in (95, 1, 2, 3) or c >= 128) else 32
    for c in range(256)
)


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens.

    Example:
        >>> tokenize("WCO's STCE-Programme, 2024!")
        ['wco', 's', 'stce', 'programme', '2024']
    """
    return TOKEN.findall(text.lower())


def _clean(text: str) -> str:
    return text.translate(_CLEAN) if (_DOC in text or _UNIT in text or _BODY in text) else text


def _mark_units(text: str) -> str:
    """``text`` with each sentence end (its punctuation and the white space
    after it) and each line break replaced by the unit marker."""
    return SENTENCE_END.sub(f" {_UNIT} ", text).replace("\n", f" {_UNIT} ")


def split_units(title: str, body: str) -> tuple[list[str], list[str]]:
    """The units of an article: the sentences of its title and of its body.

    A sentence ends at ``. ! ? ;`` followed by white space and a capital,
    digit, quote or bracket, or at a line break; the end punctuation is
    dropped (it is never part of a word). Each part has at least one unit,
    possibly empty.

    Example:
        >>> t, b = split_units("Seizure", "Officers seized 5 kg. They found two pistols!")
        >>> [u.strip() for u in t + b]
        ['Seizure', 'Officers seized 5 kg', 'They found two pistols!']
    """
    return _mark_units(_clean(title)).split(_UNIT), _mark_units(_clean(body)).split(_UNIT)


def units(title: str, body: str) -> list[str]:
    """All units of an article, title first, in scoring order."""
    t, b = split_units(title, body)
    return t + b


def affixes(word: str) -> list[str]:
    """The affix features of a word.

    Example:
        >>> affixes("smuggling")
        ['P:smu', 'P:smug', 'P:smugg', 'P:smuggl', 'X:ing', 'X:ling']
    """
    n = len(word)
    return [f"P:{word[:k]}" for k in PREFIXES if n > k] + [f"X:{word[-k:]}" for k in SUFFIXES if n > k + 1]


def _unit_terms(tokens: list[str], ngram_max: int) -> list[str]:
    terms = list(tokens)
    if ngram_max >= 2:
        terms += [f"{a} {b}" for a, b in pairwise(tokens)]
    return terms


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


def segment_sum(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum ``values`` (n, ...) over the row segments ``indptr``; empty segments give 0.

    Example:
        >>> segment_sum(np.array([1.0, 2.0, 3.0]), np.array([0, 2, 2, 3])).tolist()
        [3.0, 0.0, 3.0]
    """
    out = np.zeros((len(indptr) - 1, *values.shape[1:]), dtype=np.float64)
    starts = indptr[:-1]
    nonempty = starts < indptr[1:]
    if values.shape[0]:
        out[nonempty] = np.add.reduceat(values, starts[nonempty], axis=0)
    return out


class Featurizer:
    """Word, word-pair and affix TF-IDF featurizer; see the module docstring.

    Parameters are stored as given; fitted attributes end in ``_``:
    ``terms_`` (feature strings), ``vocabulary_`` (feature -> column) and
    ``idf_``.
    """

    def __init__(
        self,
        *,
        ngram_max: int = 2,
        min_df: int = 2,
        sublinear_tf: bool = True,
        title_weight: int = 1,
        use_affixes: bool = True,
    ) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.title_weight = title_weight
        self.use_affixes = use_affixes

    def params(self) -> dict[str, Any]:
        return {
            "ngram_max": self.ngram_max,
            "min_df": self.min_df,
            "sublinear_tf": self.sublinear_tf,
            "title_weight": self.title_weight,
            "use_affixes": self.use_affixes,
        }

    def _check(self) -> None:
        if self.ngram_max not in (1, 2):
            raise ValueError(f"ngram_max must be 1 or 2, got {self.ngram_max!r}")
        if not isinstance(self.title_weight, int) or self.title_weight < 0:
            raise ValueError(f"title_weight must be a non-negative integer, got {self.title_weight!r}")

    # ---------------------------------------------------------------- reference
    def unit_term_counts(self, title: str, body: str) -> tuple[list[Counter[str]], list[Counter[str]]]:
        """Term counts of each unit of the title and of the body."""
        t, b = split_units(title, body)
        return (
            [Counter(_unit_terms(tokenize(u), self.ngram_max)) for u in t],
            [Counter(_unit_terms(tokenize(u), self.ngram_max)) for u in b],
        )

    def doc_term_counts(self, title: str, body: str) -> Counter[str]:
        """Term counts of a whole article (title counted ``title_weight`` times)."""
        title_units, body_units = self.unit_term_counts(title, body)
        total: Counter[str] = Counter()
        for counts in title_units:
            for term, c in counts.items():
                total[term] += c * self.title_weight
        for counts in body_units:
            total.update(counts)
        return +total

    def _term_features(self, term: str) -> list[str]:
        if self.use_affixes and " " not in term:
            return [term, *affixes(term)]
        return [term]

    def fit(self, docs: Sequence[Doc]) -> Featurizer:
        """Learn the vocabulary (features of at least ``min_df`` articles) and IDF."""
        self._check()
        df: Counter[str] = Counter()
        for title, body in docs:
            feats: set[str] = set()
            for term in self.doc_term_counts(title, body):
                feats.update(self._term_features(term))
            df.update(feats)
        terms = sorted(t for t, c in df.items() if c >= self.min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
        return self._set_state(terms, idf)

    def _set_state(self, terms: list[str], idf: np.ndarray) -> Featurizer:
        self.terms_ = list(terms)
        self.vocabulary_ = {t: i for i, t in enumerate(self.terms_)}
        self.idf_ = np.asarray(idf, dtype=np.float64)
        return self

    @classmethod
    def from_state(cls, params: dict[str, Any], terms: list[str], idf: np.ndarray) -> Featurizer:
        """Rebuild a fitted featurizer from saved parameters, terms and IDF."""
        self = cls(**params)
        self._check()
        return self._set_state(terms, idf)

    @property
    def n_features(self) -> int:
        return len(self.terms_)

    def _tf(self, c: float) -> float:
        return 1.0 + math.log(c) if self.sublinear_tf else float(c)

    def _rows(self, counts_list: Sequence[Counter[str]]) -> Rows:
        vocab, idf = self.vocabulary_, self.idf_
        indptr, indices, data = [0], [], []
        for counts in counts_list:
            values: dict[int, float] = {}
            square = 0.0
            for term, c in counts.items():
                tf = self._tf(c)
                for feat in self._term_features(term):
                    j = vocab.get(feat)
                    if j is not None:
                        v = tf * idf[j]
                        values[j] = values.get(j, 0.0) + v
                        square += v * v
            scale = 1.0 / math.sqrt(square) if square > 0 else 0.0
            indices.extend(values)
            data.extend(v * scale for v in values.values())
            indptr.append(len(indices))
        return Rows(
            np.array(indptr, dtype=np.int64),
            np.array(indices, dtype=np.int64),
            np.array(data, dtype=np.float64),
            self.n_features,
        )

    def term_contributions(self, title: str, body: str, w: np.ndarray) -> dict[str, float]:
        """Each word and word pair's share of ``row @ w`` for one article (sums to the score)."""
        vocab, idf = self.vocabulary_, self.idf_
        raw: dict[str, float] = {}
        square = 0.0
        for term, c in self.doc_term_counts(title, body).items():
            tf = self._tf(c)
            total = 0.0
            for feat in self._term_features(term):
                j = vocab.get(feat)
                if j is not None:
                    total += tf * idf[j] * w[j]
                    square += (tf * idf[j]) ** 2
            raw[term] = total
        scale = 1.0 / math.sqrt(square) if square > 0 else 0.0
        return {term: v * scale for term, v in raw.items()}

    def transform(self, docs: Sequence[Doc]) -> Rows:
        """Article rows (reference implementation; empty text gives an empty row)."""
        return self._rows([self.doc_term_counts(t, b) for t, b in docs])

    def transform_units(self, docs: Sequence[Doc]) -> tuple[Rows, np.ndarray]:
        """Unit rows of every article; ``owner[i]`` is the article of row ``i``."""
        counts: list[Counter[str]] = []
        owner: list[int] = []
        for i, (title, body) in enumerate(docs):
            title_units, body_units = self.unit_term_counts(title, body)
            for c in title_units + body_units:
                counts.append(c)
                owner.append(i)
        return self._rows(counts), np.array(owner, dtype=np.int64)

    def scorer(self, W: np.ndarray) -> Scorer:
        """A fast batch scorer for weights ``W`` (n_features, k) (:class:`~customs_topics.scorer.Scorer`)."""
        from .scorer import Scorer

        return Scorer(self, W)
