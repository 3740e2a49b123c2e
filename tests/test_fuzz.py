"""Fuzzing (hypothesis): parsers and predict never raise anything but the library's documented errors."""

from __future__ import annotations

import codecs
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import customs_topics.readers.sources as sources_module
from customs_topics import Article, InputError, load_model, read_articles
from customs_topics.articles import iter_records

MODEL = load_model()  # once per module
FORMATS = ["digest", "jsonl", "text", "html"]
# Any code point, lone surrogates included.
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=300)
BOMS = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE])
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("fmt", FORMATS)
@fuzz
@given(data=st.binary(max_size=400), bom=BOMS)
def test_each_parser_on_arbitrary_bytes(fmt, data, bom):
    try:
        articles = read_articles(io.BytesIO(bom + data), format=fmt)
    except InputError as exc:
        assert exc.source == "<stream>" and str(exc).startswith("<stream>")
        return
    assert all(isinstance(a, Article) and isinstance(a.title, str) for a in articles)


@pytest.mark.parametrize("fmt", FORMATS)
@fuzz
@given(text=ANY_TEXT)
def test_each_parser_on_arbitrary_unicode(fmt, text):
    try:
        articles = read_articles(io.StringIO(text), format=fmt)
    except InputError:
        return
    assert all("\x00" not in a.title + a.body for a in articles)


@fuzz
@given(
    lines=st.lists(st.one_of(ANY_TEXT, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))), max_size=8),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    chunk=st.integers(1, 7),
)
def test_jsonl_stream_chunking_does_not_change_results(lines, newline, chunk):
    text = newline.join(lines)

    def describe(records):
        return [(r.line, r.field, r.reason) if isinstance(r, InputError) else r for r in records]

    whole = describe(iter_records(io.StringIO(text), format="jsonl"))
    saved = sources_module.HEAD_BYTES
    sources_module.HEAD_BYTES = chunk
    try:
        chunked = describe(iter_records(io.StringIO(text), format="jsonl"))
    finally:
        sources_module.HEAD_BYTES = saved
    assert chunked == whole


@fuzz
@given(docs=st.lists(st.one_of(ANY_TEXT, st.builds(Article.from_text, ANY_TEXT, ANY_TEXT)), max_size=5))
def test_predict_and_tag_on_arbitrary_text(docs):
    labels = MODEL.predict(docs)
    assert len(labels) == len(docs)
    assert all(set(row) <= set(MODEL.labels) for row in labels)
    P = MODEL.predict_proba(docs)
    assert P.shape == (len(docs), len(MODEL.labels)) and np.isfinite(P).all()
    tags = MODEL.tag(docs, explain=2)
    assert [t.labels for t in tags] == labels


@fuzz
@given(items=st.lists(st.one_of(st.none(), st.integers(), st.binary(max_size=5), st.floats(), ANY_TEXT), max_size=4))
def test_predict_on_mixed_items_only_raises_input_error(items):
    try:
        out = MODEL.predict(items)
    except InputError as exc:
        assert exc.field is not None and exc.field.startswith("X[")
        assert not isinstance(items[int(exc.field[2:-1])], str)
        return
    assert len(out) == len(items)
