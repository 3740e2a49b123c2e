"""The batch scorer: features -> scores for whole batches, without building feature rows.

:class:`Scorer` computes exactly what :meth:`Featurizer.transform` /
:meth:`Featurizer.transform_units` followed by ``rows @ W`` give (the
definition is in :mod:`customs_topics.features`; the tests check they agree
to 1e-10), for article rows and unit (sentence) rows at once, in vectorised
numpy passes. It is what ``TopicClassifier.predict`` uses, through
:func:`combined_scores`, which blends each article's score with its pooled
sentence scores.

Example:
    >>> from customs_topics.features import Featurizer
    >>> import numpy as np
    >>> f = Featurizer(min_df=1).fit([("Fake vaccines", "Customs seized fake vaccines.")])
    >>> scorer = f.scorer(np.ones((f.n_features, 1)))
    >>> article_scores = scorer.score([("", "fake vaccines seized")])[0]
    >>> article_scores.shape
    (1, 1)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np

from .features import _BODY, _BYTE_WORDS, _DOC, _UNIT, Doc, Featurizer, _clean, _mark_units, tokenize

#: Distinct unknown words a scorer remembers (with their affix rows) across batches.
UNKNOWN_CACHE = 200_000


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


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


#: How a theme's sentence scores are pooled into one per article (``sentence_pool``).
POOLS = ("max", "softmax")


def combined_scores(
    scorer: Scorer, intercept: np.ndarray, sentence_weight: float, docs: Sequence[Doc], pool: str = "max"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Article scores blended with pooled sentence scores; ``-inf`` for articles with no known term.

    ``pool="max"`` takes the best sentence's score; ``"softmax"`` takes
    ``log(mean(exp(u)))`` over the article's sentences with a known term,
    which is near the best score when one sentence stands out but, unlike the
    maximum, does not grow with the number of sentences.

    Returns ``(scores (n, L), unit_scores (n_units, L), unit_owner)``.
    """
    doc, unit, owner, doc_empty, unit_empty = scorer.score(docs)
    S = doc + intercept
    U = unit + intercept
    U[unit_empty] = -np.inf
    if sentence_weight and len(docs):
        # Every article has at least two units (title, body), contiguous and in article order;
        # an article with any known term has a unit with one, so ``best`` is finite for it.
        new = np.empty(owner.size, dtype=bool)
        new[0] = True
        np.not_equal(owner[1:], owner[:-1], out=new[1:])
        starts = new.nonzero()[0]
        best = np.maximum.reduceat(U, starts, axis=0)
        if pool == "softmax":
            known = ~unit_empty
            top = np.where(np.isfinite(best), best, 0.0)
            with np.errstate(invalid="ignore"):
                E = np.exp(U - top[owner])  # exp(-inf) = 0 for units with no known term
            total = np.add.reduceat(E, starts, axis=0)
            count = np.add.reduceat(known.astype(np.float64), starts)
            with np.errstate(divide="ignore"):
                best = top + np.log(total / np.maximum(count, 1.0)[:, None])
        S = (1 - sentence_weight) * S + sentence_weight * best
    S[doc_empty] = -np.inf
    return S, U, owner


def _chunk_scores(
    scorer: Scorer, intercept: np.ndarray, sentence_weight: float, docs: Sequence[Doc], pool: str = "max"
) -> np.ndarray:
    """Scores of any number of articles, ``CHUNK`` at a time (bounded memory)."""
    parts = [
        combined_scores(scorer, intercept, sentence_weight, docs[i : i + CHUNK], pool)[0]
        for i in range(0, len(docs), CHUNK)
    ]
    if len(parts) == 1:
        return parts[0]
    return np.vstack(parts) if parts else np.zeros((0, len(intercept)))


#: Articles scored per vectorised pass (bounds memory; larger batches are split).
CHUNK = 2000
