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
This term-wise definition is what lets :class:`Scorer` score a batch without
building feature rows: each known term's weighted sum ``sum(idf[f] * W[f])``
is precomputed.

Two implementations share this definition and are tested to agree:
:meth:`Featurizer.transform` / :meth:`Featurizer.transform_units` (plain
Python, readable, used for training and explanations) and :class:`Scorer`
(vectorised numpy over a whole batch, used for prediction).

Example:
    >>> f = Featurizer(min_df=1).fit([("Fake vaccines", "Customs seized fake vaccines.")])
    >>> rows = f.transform([("", "fake vaccines seized")])
    >>> sorted(f.terms_[i] for i in rows.indices)[:6]
    ['P:fak', 'P:sei', 'P:seiz', 'P:seize', 'P:vac', 'P:vacc']
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Any

import numpy as np

Doc = tuple[str, str]  # (title, body)

TOKEN = re.compile(r"\w+")
# A sentence ends at . ! ? ; followed by white space and an upper-case letter, digit, quote or bracket.
SENTENCE_END = re.compile(r"[.!?;]\s+(?=[A-Z0-9\"'(])")
# Markers of the batch scorer: article start, unit start, body start. Removed from user text first.
_DOC, _UNIT, _BODY = "\x01", "\x02", "\x03"
_CLEAN = str.maketrans({_DOC: " ", _UNIT: " ", _BODY: " "})
#: Distinct unknown words a scorer remembers (with their affix rows) across batches.
UNKNOWN_CACHE = 200_000
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
        """A fast batch scorer for weights ``W`` (n_features, k)."""
        return Scorer(self, W)


def _title_units(mark_kind: np.ndarray) -> np.ndarray:
    """Whether each unit belongs to a title: the last part marker before it starts an article."""
    if not mark_kind.size:
        return np.zeros(0, dtype=bool)
    last_part = np.maximum.accumulate(np.where(mark_kind != -3, np.arange(mark_kind.size), 0))
    return mark_kind[last_part] == -2


class Scorer:
    """Vectorised ``rows @ W`` for whole batches, for article and unit rows at once.

    For every known word and word pair it precomputes ``V[term] = sum(idf[f] *
    W[f])`` and ``N[term] = sum(idf[f]**2)`` over the term's features; a
    batch is then one pass to mark units, one to split words, one dictionary
    lookup per word, two sorts and a few ``bincount`` calls. Unknown words
    still count through their affixes, computed once per distinct word per
    batch. Words are split with ``bytes.translate`` on UTF-8 (the same
    tokens as ``\\w+``); only pieces with non-ASCII bytes go through the
    regular expression.
    """

    def __init__(self, featurizer: Featurizer, W: np.ndarray) -> None:
        self.f = featurizer
        W = np.asarray(W, dtype=np.float64)
        self.k = W.shape[1]
        vocab, idf = featurizer.vocabulary_, featurizer.idf_
        self._IW = idf[:, None] * W
        self._I2 = idf * idf
        words = [t for t in featurizer.terms_ if " " not in t and not t.startswith(("P:", "X:"))]
        self.n_words = len(words)
        self.word_id: dict[str, int] = {w: i for i, w in enumerate(words)}
        marks = {_DOC: -2, _UNIT: -3, _BODY: -4}
        self.word_id.update(marks)
        self.byte_id: dict[bytes, int] = {w.encode("utf-8", "surrogatepass"): i for w, i in self.word_id.items()}
        V_words, N_words = self._term_vectors(words)
        pairs, pair_feats = [], []
        if featurizer.ngram_max >= 2:
            for term, j in vocab.items():
                a, sep, b = term.partition(" ")
                if sep and a in self.word_id and b in self.word_id:
                    pairs.append(self.word_id[a] * self.n_words + self.word_id[b])
                    pair_feats.append(j)
        order = np.argsort(np.array(pairs, dtype=np.int64), kind="stable")
        self.pair_keys = np.array(pairs, dtype=np.int64)[order]
        # Words that start or end some known pair: only their neighbours are looked up.
        self.pair_first = np.zeros(self.n_words, dtype=bool)
        self.pair_second = np.zeros(self.n_words, dtype=bool)
        self.pair_first[self.pair_keys // max(self.n_words, 1)] = True
        self.pair_second[self.pair_keys % max(self.n_words, 1)] = True
        pair_feats_arr = np.array(pair_feats, dtype=np.int64)[order]
        # Term table: known words, then known pairs; unknown words are appended per batch.
        # Term table, one column per term: rows 0..k-1 hold V (idf-weighted weights), row k holds N.
        V = np.vstack([V_words, self._IW[pair_feats_arr].reshape(-1, self.k)])
        N = np.concatenate([N_words, self._I2[pair_feats_arr]])
        self._T = np.ascontiguousarray(np.vstack([V.T, N[None, :]]))
        self.n_known = self._size = N.size
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]  # locks cannot be pickled (joblib workers, pickle of a used model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _learn(self, words: list[bytes]) -> bool:
        """Append unknown words (their affix rows) to the term table and publish their ids.

        Rows are written before ids are published and existing rows never
        change, so a thread that read an id always finds its row in the
        table it reads next. Returns False once the cache is full.
        """
        with self._lock:
            new = [w for w in words if w not in self.byte_id]
            if self._size + len(new) > self.n_known + UNKNOWN_CACHE:
                return False
            if new:
                Vu, Nu = self._unknown_vectors(new)
                end = self._size + len(new)
                T = self._T
                if end > T.shape[1] or not T.flags.writeable:
                    # Grow into a new array (readers keep the old one); also when the table is a
                    # read-only copy, as in joblib workers that receive it memory-mapped.
                    T = np.zeros((self.k + 1, max(end, 2 * T.shape[1])))
                    T[:, : self._size] = self._T[:, : self._size]
                T[: self.k, self._size : end] = Vu.T
                T[self.k, self._size : end] = Nu
                self._T = T
                for i, w in enumerate(new):
                    self.byte_id[w] = self._size + i
                self._size = end
            return True

    def _unknown_vectors(self, words: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of words outside the vocabulary: only their affixes can be known (zero rows without affixes)."""
        return self._term_vectors([w.decode("utf-8", "surrogatepass") for w in words])

    def _term_vectors(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        vocab = self.f.vocabulary_
        V = np.zeros((len(words), self.k))
        N = np.zeros(len(words))
        for i, w in enumerate(words):
            for feat in self.f._term_features(w):
                j = vocab.get(feat)
                if j is not None:
                    V[i] += self._IW[j]
                    N[i] += self._I2[j]
        return V, N

    def _tokens(self, docs: Sequence[Doc]) -> tuple[list[bytes], np.ndarray]:
        """Word tokens (UTF-8 bytes) and markers of a batch, with their term ids (-1: unknown)."""
        text = "".join(f"{_DOC} {title} {_BODY} {body} " for title, body in docs)
        if text.count(_DOC) != len(docs) or text.count(_BODY) != len(docs) or _UNIT in text:
            # Marker characters in the input itself: clean each part first (rare).
            text = "".join(f"{_DOC} {_clean(title)} {_BODY} {_clean(body)} " for title, body in docs)
        # One pass marks the sentences of every title and body: no match can cross a marker.
        text = _mark_units(text)
        raw = text.encode("utf-8", "surrogatepass")
        tokens = raw.translate(_BYTE_WORDS).split()
        get = self.byte_id.get
        ids = np.fromiter(map(get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        if not raw.isascii():
            # Non-ASCII pieces may hold several words (or none): split them again with the regex.
            odd = [p for p in (ids == -1).nonzero()[0].tolist() if not tokens[p].isascii()]
            if odd:
                out: list[bytes] = []
                id_parts: list[np.ndarray] = []
                prev = 0
                for p in odd:
                    piece = [
                        w.encode("utf-8", "surrogatepass") for w in tokenize(tokens[p].decode("utf-8", "surrogatepass"))
                    ]
                    out.extend(tokens[prev:p])
                    out.extend(piece)
                    id_parts += [ids[prev:p], np.array([get(w, -1) for w in piece], dtype=np.int64)]
                    prev = p + 1
                out.extend(tokens[prev:])
                id_parts.append(ids[prev:])
                tokens, ids = out, np.concatenate(id_parts)
        return tokens, ids

    def score(self, docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(doc_scores, unit_scores, unit_owner, doc_empty, unit_empty)`` of ``X @ W`` (no bias).

        A row is empty when none of its words and pairs has a known feature.
        """
        f = self.f
        tokens, ids = self._tokens(docs)
        is_mark = ids <= -2
        mark_kind = ids[is_mark]
        n_units = int(is_mark.sum())
        unit_of = np.cumsum(is_mark) - 1
        unit_owner = np.cumsum(mark_kind == -2) - 1
        unknown = (ids == -1).nonzero()[0]
        if unknown.size:
            words = [tokens[p] for p in unknown.tolist()]
            if self._learn(list(dict.fromkeys(words))):
                ids[unknown] = [self.byte_id[w] for w in words]
        T = self._T  # after the ids: every id read so far has its column here
        unknown = (ids == -1).nonzero()[0]
        if unknown.size:  # the cache is full: a table for this batch only
            local: dict[bytes, int] = {}
            ids[unknown] = [local.setdefault(tokens[p], T.shape[1] + len(local)) for p in unknown.tolist()]
            Vu, Nu = self._unknown_vectors(list(local))
            T = np.hstack([T, np.vstack([Vu.T, Nu[None, :]])])
        word_pos = (~is_mark).nonzero()[0]
        term = ids[word_pos]
        unit = unit_of[word_pos]
        if f.ngram_max >= 2 and word_pos.size > 1 and self.pair_keys.size:
            a = word_pos[:-1]
            first, second = ids[a], ids[word_pos[1:]]
            ok = (word_pos[1:] == a + 1) & (first < self.n_words) & (second < self.n_words)
            ok[ok] = self.pair_first[first[ok]] & self.pair_second[second[ok]]
            a = a[ok]
            keys = ids[a] * self.n_words + ids[a + 1]
            where = np.minimum(np.searchsorted(self.pair_keys, keys), self.pair_keys.size - 1)
            hit = self.pair_keys[where] == keys
            term = np.concatenate([term, self.n_words + where[hit]])
            unit = np.concatenate([unit, unit_of[a[hit]]])
        n_terms = T.shape[1]
        # One sort of (article, term, unit-in-article) keys counts every (unit, term) and,
        # summing runs, every (article, term).
        first_unit = (mark_kind == -2).nonzero()[0]
        in_doc = unit - first_unit[unit_owner[unit]]
        ubits = max(int(in_doc.max()).bit_length(), 1) if in_doc.size else 1
        tbits = max(n_terms.bit_length(), 1)
        if len(docs).bit_length() + tbits + ubits > 62:
            return self._score_halves(docs)
        key = np.sort((((unit_owner[unit] << tbits) | term) << ubits) | in_doc)
        if key.size == 0:
            empty = np.zeros((0,), dtype=np.int64)
            u_unit = u_term = d_doc = d_term = empty
            counts = d_counts = np.zeros(0)
        else:
            change = np.empty(key.size, dtype=bool)
            change[0] = True
            np.not_equal(key[1:], key[:-1], out=change[1:])
            starts = change.nonzero()[0]
            ends = np.empty_like(starts)
            ends[:-1] = starts[1:]
            ends[-1] = key.size
            counts = (ends - starts).astype(np.float64)
            run = key[starts]
            doc_term = run >> ubits
            u_term = doc_term & ((1 << tbits) - 1)
            d_doc_all = doc_term >> tbits
            u_unit = first_unit[d_doc_all] + (run & ((1 << ubits) - 1))
            d_change = np.empty(run.size, dtype=bool)
            d_change[0] = True
            np.not_equal(doc_term[1:], doc_term[:-1], out=d_change[1:])
            d_starts = d_change.nonzero()[0]
            weighted = (
                counts if f.title_weight == 1 else counts * np.where(_title_units(mark_kind)[u_unit], f.title_weight, 1)
            )
            d_counts = np.add.reduceat(weighted, d_starts)
            d_doc, d_term = d_doc_all[d_starts], u_term[d_starts]
        unit_scores, unit_sq = self._accumulate(u_unit, u_term, counts, n_units, T)
        keep = d_counts > 0
        doc_scores, doc_sq = self._accumulate(d_doc[keep], d_term[keep], d_counts[keep], len(docs), T)
        return doc_scores, unit_scores, unit_owner, doc_sq == 0, unit_sq == 0

    def _score_halves(self, docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Score a batch whose keys would overflow 63 bits as two halves (huge articles only)."""
        if len(docs) < 2:
            raise ValueError("article too large to score (over 2**62 unit-term keys); split it")
        mid = len(docs) // 2
        a, b = self.score(docs[:mid]), self.score(docs[mid:])
        owner = np.concatenate([a[2], b[2] + mid])
        return (
            np.vstack([a[0], b[0]]),
            np.vstack([a[1], b[1]]),
            owner,
            np.concatenate([a[3], b[3]]),
            np.concatenate([a[4], b[4]]),
        )

    def _accumulate(
        self, row: np.ndarray, term: np.ndarray, counts: np.ndarray, n_rows: int, T: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Normalised ``sum(tf * V[term])`` per row, and the squared norms."""
        tf = 1.0 + np.log(counts) if self.f.sublinear_tf else counts
        G = T.take(term, axis=1)
        G *= tf
        sq = np.bincount(row, weights=G[self.k] * tf, minlength=n_rows)
        norm = np.sqrt(sq)
        scale = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
        out = np.empty((n_rows, self.k))
        for j in range(self.k):
            out[:, j] = np.bincount(row, weights=G[j], minlength=n_rows) * scale
        return out, sq
