"""Copied intervals merged per document and partner (audit._covered_by) against a plain reference."""

import importlib
from bisect import bisect_left
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from chachong.config import AuditConfig
from chachong.corpus import prepare

A = importlib.import_module("chachong.audit")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def corpus():
    docs, _, _ = A.load_documents([EXAMPLE], AuditConfig())
    return prepare(docs, AuditConfig())


def reference(corpus, d, intervals):
    """The rule spelled out: intervals merge when they overlap or only non-canonical text
    (punctuation, white space) lies between them; a run reaching the first or last canonical
    character reaches the text's edge."""
    base, end = int(corpus.doc_offsets[d]), int(corpus.doc_offsets[d + 1])
    starts = corpus.orig_start[base:end].tolist()
    out = []
    for s, e in sorted(intervals):
        if out and (s <= out[-1][1] or bisect_left(starts, s) == bisect_left(starts, out[-1][1])):
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    if out and starts:
        if out[0][0] <= starts[0]:
            out[0][0] = 0
        if out[-1][1] >= int(corpus.orig_end[end - 1]):
            out[-1][1] = len(corpus.documents[d].text)
    return [(s, e) for s, e in out]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_covered_by_matches_the_reference(corpus, data):
    d = data.draw(st.integers(0, len(corpus.documents) - 1))
    n = len(corpus.documents[d].text)
    interval = st.integers(0, n - 1).flatmap(lambda s: st.tuples(st.just(s), st.integers(s + 1, min(n, s + 80))))
    partners = data.draw(st.dictionaries(st.integers(0, len(corpus.documents) - 1),
                                         st.lists(interval, max_size=8), max_size=4))
    lengths = {}
    got = A._covered_by(corpus, d, partners, lengths)
    assert set(got) == set(partners)
    for e, ivs in partners.items():
        assert got[e] == reference(corpus, d, ivs)
        assert lengths[(d, e)] == sum(t - s for s, t in got[e])
