"""chachong.stages.docstats (paragraph pairs, copy ratios, in numpy) against the per-pair loops it
replaced, kept here as the reference: on real audits and on random inputs."""

from __future__ import annotations

import importlib
import sys
from bisect import bisect_left
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.stages import docstats
from chachong.config import AuditConfig
from chachong.stages.prepare import prepare
from chachong.model import DocumentPair, ParagraphPair, Source
from chachong.stages.candidates import CONTAINED, IDENTICAL, NEAR
from chachong.stages.passages import DocumentMatch, evidence, pieces
from chachong.model import DocumentStats
from chachong.stages.verify import similarity

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not; for references
from references import covered_reference

A = importlib.import_module("chachong.engine.local")
docpairs_load = importlib.import_module("chachong.stages.load")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


# ---- the reference: the loops of audit.py before docstats (one call per pair and per document)


from chachong.stages import docpairs  # noqa: E402
from chachong.stages.phrases import merge as ref_merge  # noqa: E402  (the old loops' own helper)


def ref_length(intervals):
    return sum(e - s for s, e in ref_merge(intervals))


ref_covered = covered_reference


def ref_in_paragraph(corpus, p, lo, hi):
    start, end = corpus.to_original(lo, hi)
    return start, min(end, corpus.paragraph(p).end)


def ref_paragraph_pairs(corpus, rows, matches, passages, stock_members, cuts):
    config = corpus.config
    pids = corpus.paragraph_ids
    lengths = corpus.canonical_length()
    known = {(int(a), int(b)): (float(j), float(c), str(k)) for a, b, j, c, k in rows}
    spans = defaultdict(list)
    copied = defaultdict(list)
    for dm, p, cut in zip(matches, passages, cuts):
        copied[(dm.a, dm.b)].append((p.a_start, p.a_end))
        copied[(dm.b, dm.a)].append((p.b_start, p.b_end))
        for pa, pb, a0, a1, b0, b1, matched in cut:
            if pa in stock_members or pb in stock_members:
                continue
            share = matched / max(min(lengths[pa], lengths[pb]), 1)
            if (pa, pb) in known or (min(lengths[pa], lengths[pb]) >= config.min_paragraph_chars
                                     and share >= config.containment):
                oa, ob = int(corpus.doc_offsets[dm.a]), int(corpus.doc_offsets[dm.b])
                spans[(pa, pb)].append((*ref_in_paragraph(corpus, pa, oa + a0, oa + a1),
                                        *ref_in_paragraph(corpus, pb, ob + b0, ob + b1)))
    for (a, b), (_, _, kind) in known.items():
        if kind == IDENTICAL and not spans.get((a, b)):
            da, db = int(corpus.par_doc[a]), int(corpus.par_doc[b])
            (sa, ea), (sb, eb) = (int(x) for x in corpus.par_bounds[a]), (int(x) for x in corpus.par_bounds[b])
            span_a, span_b = ref_in_paragraph(corpus, a, sa, ea), ref_in_paragraph(corpus, b, sb, eb)
            spans[(a, b)].append((*span_a, *span_b))
            copied[(da, db)].append(span_a)
            copied[(db, da)].append(span_b)
    new = np.array(sorted(k for k in spans if k not in known), dtype=np.int64).reshape(-1, 2)
    if len(new):
        jac, cont = similarity(corpus.set_hashes, corpus.set_offsets, new)
        for (a, b), j, c in zip(new.tolist(), jac.tolist(), cont.tolist()):
            known[(a, b)] = (j, c, "partial")
    par_pairs = []
    pair_count = defaultdict(int)
    for (a, b) in sorted(known):
        j, c, kind = known[(a, b)]
        pair_count[(int(corpus.par_doc[a]), int(corpus.par_doc[b]))] += 1
        par_pairs.append(ParagraphPair(pids[a], pids[b], round(j, 4), round(c, 4), kind,
                                       tuple(sorted(set(spans.get((a, b), []))))))
    return par_pairs, pair_count, copied


def ref_document_stats(corpus, pair_count, copied, doc_jac, cache=None):
    config = corpus.config
    docs = corpus.documents
    doc_canon = [corpus.cps[corpus.doc_offsets[d]:corpus.doc_offsets[d + 1]] for d in range(len(docs))]
    stats = {d.id: DocumentStats() for d in docs}
    coverage = {}
    doc_pairs = []
    linked = set(pair_count) | {(a, b) for a, b in copied if a < b}
    fingerprint = [tuple(r) if r.any() else None for r in docpairs.document_digests(corpus, cache)]
    same = defaultdict(list)
    for d, key in enumerate(fingerprint):
        if key is not None:
            same[key].append(d)
    linked |= {(x, y) for group in same.values() for i, x in enumerate(group) for y in group[i + 1:]}
    missing = sorted(p for p in linked if p not in doc_jac)
    doc_jac.update(docpairs.estimated_jaccard(corpus, [p for p in missing if not pair_count.get(p)], cache))
    for da, db in (p for p in missing if pair_count.get(p)):
        doc_jac[(da, db)] = docpairs.document_jaccard(corpus, da, db, cache)
    identical_pairs = {(da, db) for da, db in linked
                       if fingerprint[da] is not None and fingerprint[da] == fingerprint[db]
                       and np.array_equal(doc_canon[da], doc_canon[db])}
    wanted = defaultdict(dict)
    for da, db in linked:
        if (da, db) not in identical_pairs:
            wanted[da][db] = copied.get((da, db), [])
            wanted[db][da] = copied.get((db, da), [])
    for x in sorted(wanted):
        for e, ivs in wanted[x].items():
            coverage[(x, e)] = ref_covered(corpus, x, ivs)
    for da, db in sorted(linked):
        identical = (da, db) in identical_pairs
        if identical:
            coverage[(da, db)] = [(0, len(docs[da].text))]
            coverage[(db, da)] = [(0, len(docs[db].text))]
        jac = 1.0 if identical else doc_jac[(da, db)]
        a_cov, b_cov = ref_length(coverage[(da, db)]), ref_length(coverage[(db, da)])
        kind = "identical" if identical else ("near-duplicate" if jac >= config.document_threshold else "partial")
        doc_pairs.append(DocumentPair(docs[da].id, docs[db].id, round(jac, 4),
                                      round(a_cov / max(len(docs[da].text), 1), 4),
                                      round(b_cov / max(len(docs[db].text), 1), 4),
                                      pair_count.get((da, db), 0), a_cov, kind))
    by_doc = defaultdict(list)
    for (x, e), ivs in coverage.items():
        if ivs:
            by_doc[x].append((docs[e].id, ivs))
    for d, doc in enumerate(docs):
        st_ = stats[doc.id]
        per_source = sorted(by_doc.get(d, ()))
        st_.copied_chars = ref_length([iv for _, ivs in per_source for iv in ivs])
        st_.copy_ratio = round(st_.copied_chars / max(len(doc.text), 1), 4)
        st_.copy_ratio_excluding_stock = st_.copy_ratio
        srcs = sorted(((round(ref_length(ivs) / max(len(doc.text), 1), 4), sid) for sid, ivs in per_source),
                      key=lambda t: (-t[0], t[1]))
        st_.sources = [{"document": sid, "ratio": r} for r, sid in srcs]
        st_.top_source = st_.sources[0] if st_.sources else None
        st_.copied = {sid: list(ivs) for sid, ivs in per_source}
    return stats, doc_pairs


# ---- fixtures


P1 = "为深入推进基层治理现代化，本街道建立了网格化管理机制，将辖区划分为四十个网格，每个网格配备专职网格员。"
P2 = "在安全生产方面，开展了为期三个月的专项整治行动，检查企业一百二十家，发现并整改隐患三百余处。"
P3 = "下一步，我们将继续完善工作机制，强化督促检查，确保各项任务落到实处，为高质量发展提供保障。"
Q1 = "本局围绕优化营商环境目标，推行一窗受理和集成服务改革，企业开办时间压缩至一个工作日以内。"
# texts that begin and end with punctuation (a copy reaching the first or last canonical
# character reaches the text's edge) and figures across a paragraph break (one masked figure
# reaching into the next paragraph: a span stops at its paragraph's end)
CRAFTED = [("甲街道工作总结", ["——" + P1, P2 + "共计2023", "2024年" + P3 + "”"]),
           ("乙局工作总结", ["“" + Q1, P2 + "12", "34" + P1[:30] + "。”"]),
           ("丙单位工作总结", ["（一）" + P1 + "（完）", P3 + "——", Q1]),
           ("甲街道工作总结", ["——" + P1, P2 + "共计2023", "2024年" + P3 + "”"])]


def crafted_documents():
    sources = [Source(f"{i:02d}.txt", title + "\n" + "\n".join(paras) + "\n", "utf-8", "text")
               for i, (title, paras) in enumerate(CRAFTED)]
    return docpairs_load.documents_from_sources(sources, AuditConfig())[0]


@pytest.fixture(scope="module", params=["example", "crafted"])
def corpus(request):
    docs = docpairs_load.load_documents([EXAMPLE], AuditConfig())[0] if request.param == "example" else crafted_documents()
    return prepare(docs, AuditConfig())


def test_the_crafted_corpus_has_its_edges():
    c = prepare(crafted_documents(), AuditConfig())
    offs = c.doc_offsets
    first = [int(c.orig_start[offs[d]]) for d in range(len(c.documents))]
    last = [int(c.orig_end[offs[d + 1] - 1]) for d in range(len(c.documents))]
    assert all(f > 0 for f in first) and all(e < len(d.text) for e, d in zip(last, c.documents))
    # a canonical character (a masked figure) ends past its paragraph's end
    ends = np.asarray(c.orig_end[c.par_bounds[:, 1] - 1])
    assert any(e > p.end for e, p in zip(ends.tolist(), (p for d in c.documents for p in d.paragraphs)))


def captured(monkeypatch, paths):
    """The arguments audit passes to the two stages, from a real audit of ``paths``."""
    got = {}
    for name in ("paragraph_pairs", "document_stats"):
        real = getattr(A, name)

        def grab(*args, _name=name, _real=real):
            got[_name] = (args[0], list(args[1:]))
            if _name == "document_stats":  # it fills doc_jac in: keep what it was given
                got[_name][1][2] = dict(args[3])
            return _real(*args)

        monkeypatch.setattr(A, name, grab)
    A.audit(paths)
    monkeypatch.undo()
    return got


def check_audit_inputs(got):
    corpus, args = got["paragraph_pairs"]
    rows, matches, passages, stock, cuts = (args + [None])[:5]
    if cuts is None:
        cuts = [[(*c, evidence(corpus, dm, c[2], c[3])) for c in pieces(corpus, dm)] for dm in matches]
    want = ref_paragraph_pairs(corpus, rows, matches, passages, stock, cuts)
    have = docstats.paragraph_pairs(corpus, rows, matches, passages, stock, cuts)
    assert have[0] == want[0]
    assert dict(have[1]) == dict(want[1])
    assert dict(have[2]) == dict(want[2])
    corpus, (pair_count, copied, doc_jac, *_) = got["document_stats"]
    assert docstats.document_stats(corpus, pair_count, copied, dict(doc_jac)) == \
        ref_document_stats(corpus, pair_count, copied, dict(doc_jac))


# ---- golden: the real inputs of an audit


def test_the_example_audit_gives_what_the_loops_gave(monkeypatch):
    got = captured(monkeypatch, [EXAMPLE])
    _, args = got["document_stats"]
    assert len(args[0]) >= 3 and len(args[1]) >= 6  # paragraph pairs per document pair, copied intervals
    check_audit_inputs(got)


def test_the_crafted_audit_gives_what_the_loops_gave(monkeypatch):
    check_audit_inputs(captured(monkeypatch, crafted_documents()))


def test_the_seed_audit_gives_what_the_loops_gave(monkeypatch, seed_path):
    # identical documents (d12, d13), copies across paragraph breaks, adverts, placeholders
    check_audit_inputs(captured(monkeypatch, [seed_path]))


def test_exact_jaccards_are_cached_alike(monkeypatch):
    from chachong.runtime.stagecache import StageCache

    got = captured(monkeypatch, [EXAMPLE])
    corpus, (pair_count, copied, _, _) = got["document_stats"]
    runs = []
    for fn in (docstats.document_stats, ref_document_stats):
        cache, doc_jac = StageCache(), {}
        runs.append((fn(corpus, pair_count, copied, doc_jac, cache), doc_jac, cache.doc_jaccard))
    assert runs[0] == runs[1]
    assert set(pair_count) <= set(runs[0][2])  # every pair with paragraph pairs: exact, cached


def test_a_small_example():
    docs, _, _ = docpairs_load.load_documents([EXAMPLE], AuditConfig())
    corpus = prepare(docs, AuditConfig())
    a, b = 0, 1
    la, lb = len(docs[a].text), len(docs[b].text)
    copied = {(a, b): [(0, 10), (10, 12)], (b, a): [(5, 9)]}
    stats, pairs = docstats.document_stats(corpus, {}, copied, {(a, b): 0.25})
    first = stats[docs[a].id]
    assert first.copied_chars == 12 and first.copied == {docs[b].id: [(0, 12)]}
    assert first.sources == [{"document": docs[b].id, "ratio": round(12 / la, 4)}]
    assert stats[docs[b].id].copied == {docs[a].id: [(5, 9)]}
    # identical documents are linked whether or not anything else links them: d06 and d07
    twins = [i for i, d in enumerate(docs) if d.id in ("d06", "d07")]
    assert docs[twins[0]].text == docs[twins[1]].text
    n = len(docs[twins[0]].text)
    assert pairs == [DocumentPair(docs[a].id, docs[b].id, 0.25, round(12 / la, 4), round(4 / lb, 4), 0, 12, "partial"),
                     DocumentPair("d06", "d07", 1.0, 1.0, 1.0, 0, n, "identical")]
    assert stats["d06"].copied == {"d07": [(0, n)]} and stats["d06"].copy_ratio == 1.0
    assert stats[docs[2].id] == DocumentStats()


# ---- properties on random inputs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(-5, 60), max_size=12), min_size=1, max_size=6).flatmap(
    lambda segs: st.tuples(st.just(segs), st.lists(st.tuples(st.integers(0, len(segs) - 1), st.integers(-10, 70)),
                                                   max_size=20))))
def test_segment_searchsorted_is_searchsorted_per_segment(case):
    segs, queries = case
    segs = [sorted(s) for s in segs]
    values = np.array([v for s in segs for v in s], dtype=np.int64)
    offs = np.concatenate(([0], np.cumsum([len(s) for s in segs]))).astype(np.int64)
    k = np.array([q for q, _ in queries], dtype=np.int64)
    x = np.array([v for _, v in queries], dtype=np.int64)
    got = docstats.segment_searchsorted(values, offs[k], offs[k + 1], x) - offs[k] if len(k) else []
    assert list(got) == [bisect_left(segs[q], v) for q, v in queries]


intervals = st.lists(st.integers(0, 300).flatmap(lambda s: st.tuples(st.just(s), st.integers(s, s + 60))),
                     max_size=10)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(0, 5), intervals, max_size=6))
def test_union_length_is_the_merged_length(per_doc):
    rows = [(d, s, e) for d, ivs in per_doc.items() for s, e in ivs]
    got = docstats.union_length(*np.array(rows, dtype=np.int64).reshape(-1, 3).T)
    assert got == {d: ref_length(ivs) for d, ivs in per_doc.items() if ivs}


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_merge_copied_is_the_merge_per_document_and_partner(corpus, data):
    n_docs = len(corpus.documents)
    wanted = {}
    for x in data.draw(st.lists(st.integers(0, n_docs - 1), min_size=1, max_size=4, unique=True)):
        n = len(corpus.documents[x].text)
        iv = (st.integers(0, 3) | st.integers(0, n - 1)).flatmap(
            lambda s, n=n: st.tuples(st.just(s), st.just(n) | st.integers(s + 1, min(n, s + 80))))
        for e, ivs in data.draw(st.dictionaries(st.integers(0, n_docs - 1), st.lists(iv, max_size=8),
                                                max_size=4)).items():
            wanted[(x, e)] = ivs
    rows = [(x, e, s, t) for (x, e), ivs in wanted.items() for s, t in ivs]
    d, p, s, t = docstats.merge_copied(corpus, *np.array(rows, dtype=np.int64).reshape(-1, 4).T)
    got = defaultdict(list)
    for x, e, a, b in zip(d.tolist(), p.tolist(), s.tolist(), t.tolist()):
        got[(x, e)].append((a, b))
    assert dict(got) == {k: ref_covered(corpus, k[0], ivs) for k, ivs in wanted.items() if ivs}


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_document_stats_on_random_copies(corpus, data):
    n_docs = len(corpus.documents)
    pair = st.tuples(st.integers(0, n_docs - 1), st.integers(0, n_docs - 1)).map(lambda p: (min(p), max(p)))
    pairs = data.draw(st.lists(pair, min_size=1, max_size=8, unique=True))
    copied = {}
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            n = len(corpus.documents[x].text)
            iv = (st.integers(0, 3) | st.integers(0, n - 1)).flatmap(
                lambda s, n=n: st.tuples(st.just(s), st.just(n) | st.integers(s, min(n, s + 120))))
            ivs = data.draw(st.lists(iv, max_size=5))
            if ivs:
                copied[(x, y)] = ivs
    pair_count = {p: data.draw(st.integers(1, 3)) for p in pairs if data.draw(st.booleans())}
    doc_jac = {p: data.draw(st.floats(0, 1)) for p in pairs if data.draw(st.booleans())}
    want = ref_document_stats(corpus, pair_count, copied, dict(doc_jac))
    assert docstats.document_stats(corpus, pair_count, copied, dict(doc_jac)) == want


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_paragraph_pairs_on_random_pieces(corpus, data):
    pd = corpus.par_doc
    bounds, offs = corpus.par_bounds, corpus.doc_offsets
    n_par = corpus.n_paragraphs
    par = st.integers(0, n_par - 1)
    rows = sorted({(a, b) for a, b in data.draw(st.lists(st.tuples(par, par), max_size=10)) if a < b})
    kinds = st.sampled_from([IDENTICAL, NEAR, CONTAINED])
    rows = [(np.int64(a), np.int64(b), np.float64(data.draw(st.floats(0, 1))),
             np.float64(data.draw(st.floats(0, 1))), data.draw(kinds)) for a, b in rows]
    matches, passages, cuts = [], [], []
    for _ in range(data.draw(st.integers(0, 6))):
        pa, pb = sorted(data.draw(st.lists(par, min_size=2, max_size=2)))
        da, db = int(pd[pa]), int(pd[pb])
        cut = []
        for x, y in data.draw(st.lists(st.tuples(st.just(pa) | par, st.just(pb) | par), min_size=1, max_size=3)):
            x, y = (x, y) if pd[x] == da and pd[y] == db else (pa, pb)
            (s0, e0), (s1, e1) = bounds[x] - offs[da], bounds[y] - offs[db]
            a0 = data.draw(st.just(int(s0)) | st.integers(int(s0), int(e0)))
            a1 = data.draw(st.just(int(e0)) | st.integers(a0, int(e0)))
            b0 = data.draw(st.just(int(s1)) | st.integers(int(s1), int(e1)))
            b1 = data.draw(st.just(int(e1)) | st.integers(b0, int(e1)))
            cut.append((x, y, a0, a1, b0, b1, data.draw(st.integers(0, max(a1 - a0, 0)))))
        ta, tb = len(corpus.documents[da].text), len(corpus.documents[db].text)
        s = data.draw(st.integers(0, ta)), data.draw(st.integers(0, tb))
        matches.append(DocumentMatch(da, db, None))
        passages.append(SimpleNamespace(a_start=s[0], a_end=data.draw(st.integers(s[0], ta)),
                                        b_start=s[1], b_end=data.draw(st.integers(s[1], tb))))
        cuts.append(cut)
    used = sorted({x for cut in cuts for c in cut for x in c[:2]})
    stock = set(data.draw(st.lists(st.sampled_from(used), max_size=3))) if used else set()
    config = AuditConfig(containment=data.draw(st.sampled_from([0.3, 0.6, 0.9])))
    c = corpus.with_config(config)
    want = ref_paragraph_pairs(c, rows, matches, passages, stock, cuts)
    have = docstats.paragraph_pairs(c, rows, matches, passages, stock, cuts)
    assert have[0] == want[0]
    assert dict(have[1]) == dict(want[1])
    assert dict(have[2]) == dict(want[2])


_SHINGLE = st.one_of(st.integers(0, 2**32 - 1),  # values sharing their top bits test the prefilter table
                     st.builds(lambda top, low: (top << 14) | low, st.integers(0, 3), st.integers(0, 3)))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.lists(_SHINGLE, max_size=10), max_size=4), min_size=2, max_size=7), st.data())
def test_document_jaccards_are_the_jaccards_of_the_documents_sets(docs, data):
    from chachong.runtime.stagecache import StageCache

    sets = [[sorted(set(p)) for p in doc] for doc in docs]  # each paragraph's set: sorted, unique
    flat = [p for doc in sets for p in doc]
    corpus = SimpleNamespace(
        documents=[SimpleNamespace(paragraphs=doc) for doc in sets],
        par_first=np.cumsum([0] + [len(doc) for doc in sets])[:-1],
        set_hashes=np.array([h for p in flat for h in p], dtype=np.uint32),
        set_offsets=np.cumsum([0] + [len(p) for p in flat]))
    doc = st.integers(0, len(docs) - 1)
    pairs = data.draw(st.lists(st.tuples(doc, doc).filter(lambda p: p[0] < p[1]), max_size=12, unique=True))
    cache = StageCache()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(docpairs, "_SETS_KEPT", data.draw(st.integers(1, 4)))  # documents' sets dropped and sorted again
        docpairs.document_jaccards(corpus, pairs, cache)
    for da, db in pairs:
        x, y = ({h for p in docs[d] for h in p} for d in (da, db))
        assert cache.doc_jaccard[(da, db)] == (len(x & y) / len(x | y) if x | y else 0.0)
    assert list(cache.doc_jaccard) == pairs
