"""The pairing stage's candidate sources against brute-force references on small corpora."""

from __future__ import annotations

import itertools

import numpy as np
from unittest.mock import patch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chachong.stages import lsh

from chachong.stages import candidates as pairs
from chachong.stages.load import documents_from_sources
from chachong.config import AuditConfig
from chachong.stages.prepare import prepare
from chachong.model import Source

_POOL = [
    "各地区各部门认真贯彻落实党中央决策部署，经济社会发展取得新成效。",
    "各地区各部门认真贯彻落实党中央决策部署，经济社会发展取得明显成效。",
    "全年完成地区生产总值增长百分之六，居民收入稳步增加，就业形势总体稳定。",
    "全年完成地区生产总值增长百分之六，居民收入稳步增加。",
    "持续推进生态文明建设，空气质量优良天数比例提高到百分之八十五。",
    "深化重点领域改革，营商环境进一步优化，市场主体活力明显增强。",
    "加快建设现代化产业体系，推动制造业高端化智能化绿色化发展。",
    "短句。",
]

_docs = st.lists(st.lists(st.sampled_from(range(len(_POOL))), min_size=1, max_size=6), min_size=2, max_size=6)


def _corpus(doc_paras: list[list[int]]):
    config = AuditConfig(min_paragraph_chars=4)
    sources = [Source(f"d{i}.txt", "\n\n".join(_POOL[j] for j in paras) + "\n", "utf-8", "text")
               for i, paras in enumerate(doc_paras)]
    docs, _, _ = documents_from_sources(sources, config)
    return prepare(docs, config, threads=1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_docs)
def test_canonical_keys_group_equal_texts_by_first_occurrence(doc_paras):
    corpus = _corpus(doc_paras)
    idx = np.arange(corpus.n_paragraphs)
    first: dict[str, int] = {}
    expected = [first.setdefault(corpus.canonical_text(int(i)), pos) for pos, i in enumerate(idx)]
    assert pairs._canonical_keys(corpus, idx).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**31))
def test_lsh_candidates_are_the_pairs_sharing_a_band(n, bands, rows, seed):
    rng = np.random.default_rng(seed)
    # few distinct values: many rows share bands
    sig = rng.integers(0, 3, size=(n, bands * rows)).astype(np.uint32)
    keys = [lsh.band_key(sig, b, rows) for b in range(bands)]
    expected = [[i, j] for i, j in itertools.combinations(range(n), 2) if any(k[i] == k[j] for k in keys)]
    for threads in (1, 2):
        assert lsh.candidates(sig, bands, rows, threads=threads).tolist() == expected
    rows_of = np.arange(n)[::-1] * 3
    got = lsh.candidates(sig, bands, rows, rows_of=rows_of, threads=2)
    assert sorted(map(tuple, got.tolist())) == sorted((min(rows_of[i], rows_of[j]), max(rows_of[i], rows_of[j]))
                                                      for i, j in expected)


def _fingerprint_reference(corpus, eligible, min_share):
    sets = {int(p): {int(x) for x in corpus.paragraph_set(int(p)) if x & 3 == 0} for p in eligible}
    df: dict[int, int] = {}
    for s in sets.values():
        for x in s:
            df[x] = df.get(x, 0) + 1
    out = []
    for a, b in itertools.combinations(sorted(sets), 2):
        if corpus.par_doc[a] == corpus.par_doc[b]:
            continue
        shared = sum(1 for x in sets[a] & sets[b] if 2 <= df[x] <= pairs.FP_MAX_DF)
        if shared >= 2 and shared / max(min(len(sets[a]), len(sets[b])), 1) >= min_share:
            out.append([a, b])
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_docs, st.sampled_from([0.3, 0.5, 0.9]))
def test_fingerprint_candidates_match_brute_force(doc_paras, min_share):
    corpus = _corpus(doc_paras)
    eligible = np.flatnonzero(corpus.canonical_length() >= 4)
    expected = _fingerprint_reference(corpus, eligible, min_share)
    for threads in (1, 2):
        assert pairs.fingerprint_candidates(corpus, eligible, min_share=min_share, threads=threads).tolist() == expected
    # the pair codes counted a few (whole runs) at a time: one run a piece, or runs cut anywhere
    for piece in (1, 3):
        with patch.object(pairs, "_COUNT_PIECE", piece):
            assert pairs.fingerprint_candidates(corpus, eligible, min_share=min_share).tolist() == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_docs, st.sampled_from([0.1, 0.3, 0.5, 0.9]), st.integers(2, 4))
def test_fingerprint_candidates_leave_out_common_fingerprints_like_brute_force(monkeypatch, doc_paras, min_share,
                                                                              max_df):
    # a low FP_MAX_DF: fingerprints of many paragraphs neither propose nor count, as in a large corpus
    monkeypatch.setattr(pairs, "FP_MAX_DF", max_df)
    corpus = _corpus(doc_paras)
    eligible = np.flatnonzero(corpus.canonical_length() >= 4)
    expected = _fingerprint_reference(corpus, eligible, min_share)
    assert pairs.fingerprint_candidates(corpus, eligible, min_share=min_share).tolist() == expected


def _fingerprint_runs_reference(corpus, eligible, min_share):
    """The candidates by the per-bucket rule (the Dask engine's): every pair of every fingerprint run,
    one row per shared fingerprint, counted and filtered by ``shares_enough``."""
    in_scope = np.zeros(corpus.n_paragraphs, bool)
    in_scope[eligible] = True
    fh, par = pairs.sampled(corpus, in_scope=in_scope)
    o = np.lexsort((par, fh))
    rows = pairs.fingerprint_pairs(par[o], *pairs.fingerprint_runs(fh[o]), corpus.par_doc)
    found, count = np.unique(rows, axis=0, return_counts=True)
    per = np.bincount(par, minlength=corpus.n_paragraphs)
    return found[pairs.shares_enough(count, per[found[:, 0]], per[found[:, 1]], min_share)].tolist()


def test_fingerprint_candidates_are_those_of_every_run_on_the_city_reports(gwr_path):
    from chachong.engine.local import load_documents

    config = AuditConfig()
    documents, _, _ = load_documents([gwr_path], config)
    corpus = prepare(documents, config)
    eligible = pairs.eligible(corpus)
    for min_share in (pairs.min_fingerprint_share(config), 0.3, 0.9):
        expected = _fingerprint_runs_reference(corpus, eligible, min_share)
        assert len(expected) > 200
        assert pairs.fingerprint_candidates(corpus, eligible, min_share=min_share).tolist() == expected


def test_fingerprint_candidates_scan_slices_change_nothing(monkeypatch):
    corpus = _corpus([[0, 2, 4, 5], [1, 3, 4, 6], [0, 2, 5, 6], [1, 1, 3, 4]])
    eligible = np.flatnonzero(corpus.canonical_length() >= 4)
    whole = pairs.fingerprint_candidates(corpus, eligible, min_share=0.3)
    assert len(whole)
    monkeypatch.setattr(pairs, "_SCAN", 7)  # many slices, paragraphs cut across them
    assert pairs.fingerprint_candidates(corpus, eligible, min_share=0.3).tolist() == whole.tolist()


def test_lsh_candidates_of_a_subset_are_those_of_its_rows():
    rng = np.random.default_rng(5)
    sig = rng.integers(0, 2, size=(40, 6)).astype(np.uint32)
    subset = np.array([3, 7, 8, 20, 21, 33, 39])
    got = lsh.candidates(sig, 3, 2, rows_of=subset, subset=subset)
    assert len(got)
    assert got.tolist() == lsh.candidates(sig[subset], 3, 2, rows_of=subset).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=12),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 80)), max_size=60),
       st.sampled_from([np.uint64, np.int64, np.uint32]))
def test_repeated_marks_exactly_the_keys_held_twice(bases, picks, dtype):
    """lsh.repeated sorts 64-bit keys as values with their row in the low bits: rows whose keys differ
    only there share a run of high bits (A, B, A in row order) and are still told apart; any other
    key type takes the argsort. Keys are a few bases plus small offsets, so such runs are common."""
    if not bases:
        bases = [0]
    keys = np.array([(bases[b % len(bases)] + off) % 2**64 for b, off in picks], dtype=np.uint64)
    keys = keys.view(np.int64) if dtype is np.int64 else keys.astype(dtype)
    counts: dict = {}
    for k in keys.tolist():
        counts[k] = counts.get(k, 0) + 1
    assert lsh.repeated(keys).tolist() == [counts[k] > 1 for k in keys.tolist()]
