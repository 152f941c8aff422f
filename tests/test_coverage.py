"""Copied intervals merged per document and partner (docstats.merge_copied) against a plain reference."""

import importlib
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

import pytest
from hypothesis import given, settings, strategies as st

from chachong.config import AuditConfig
from chachong.stages.prepare import prepare
from chachong.stages.docstats import merge_copied, union_length

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not; for references
from references import covered_reference as reference

A = importlib.import_module("chachong.engine.local")
docpairs_load = importlib.import_module("chachong.stages.load")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def corpus():
    docs, _, _ = docpairs_load.load_documents([EXAMPLE], AuditConfig())
    return prepare(docs, AuditConfig())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_covered_by_matches_the_reference(corpus, data):
    d = data.draw(st.integers(0, len(corpus.documents) - 1))
    n = len(corpus.documents[d].text)
    interval = st.integers(0, n - 1).flatmap(lambda s: st.tuples(st.just(s), st.integers(s + 1, min(n, s + 80))))
    partners = data.draw(st.dictionaries(st.integers(0, len(corpus.documents) - 1),
                                         st.lists(interval, max_size=8), max_size=4))
    rows = np.array([(d, e, s, t) for e, ivs in partners.items() for s, t in ivs], dtype=np.int64).reshape(-1, 4)
    _, partner, start, end = merge_copied(corpus, *rows.T)
    got = defaultdict(list)
    for e, s, t in zip(partner.tolist(), start.tolist(), end.tolist()):
        got[e].append((s, t))
    lengths = union_length(partner, start, end)
    assert set(got) == {e for e, ivs in partners.items() if ivs}
    for e, ivs in partners.items():
        assert got.get(e, []) == reference(corpus, d, ivs)
        assert lengths.get(e, 0) == sum(t - s for s, t in got.get(e, []))
