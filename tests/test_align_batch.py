"""The fast alignment paths give what the plain ones give: exact blocks of many windows at once
(``blocks_many``), pure-Python position maps (``Match.a_at``/``b_at``), and ``find_passages``
batched across document pairs against window-by-window alignment, on corpora of copies with edits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chachong.stages.align as align_mod
from chachong.stages.align import Match, _interp, as_text, blocks, blocks_many
from chachong.api import audit
from chachong.config import AuditConfig
from chachong.stages.prepare import prepare
from chachong.model import Document, Paragraph
from chachong.stages.describe import describe
from chachong.stages.fingerprints import fingerprints
from chachong.stages.passages import find_passages, pieces
from chachong.stages.seeds import seed_hits

SMALL = st.text(alphabet="甲乙丙丁戊己#", max_size=80)


def _window_rows(n_a: int, n_b: int, data) -> list[list[int]]:
    rows = []
    for _ in range(data.draw(st.integers(1, 5))):
        x0, x1 = sorted(data.draw(st.lists(st.integers(0, n_a), min_size=2, max_size=2)))
        y0, y1 = sorted(data.draw(st.lists(st.integers(0, n_b), min_size=2, max_size=2)))
        rows.append([x0, x1, n_a + y0, n_a + y1, data.draw(st.integers(0, x0)), n_a + data.draw(st.integers(0, y0))])
    return rows


def _expected(cps: np.ndarray, row: list[int], k: int) -> list[list[int]]:
    x0, x1, y0, y1, oa, ob = row
    found = blocks(as_text(cps[x0:x1]), as_text(cps[y0:y1]), k)
    return sorted([p + x0 - oa, q + x0 - oa, r + y0 - ob, t + y0 - ob] for p, q, r, t in found)


@settings(max_examples=150, deadline=None)
@given(SMALL, SMALL, st.integers(1, 6), st.data())
def test_blocks_many_equals_blocks_window_by_window(a, b, k, data):
    # a small alphabet repeats k-grams often enough to exercise the MAX_SEED_PAIRS rule
    cps = np.array([ord(c) for c in a + b], dtype=np.uint32)
    rows = _window_rows(len(a), len(b), data)
    got = blocks_many(cps, np.array(rows), k)
    assert [sorted(g) for g in got] == [_expected(cps, r, k) for r in rows]


def test_blocks_many_falls_back_when_hashes_collide(monkeypatch):
    # a hash with two values makes almost every pair of k-grams collide: the exact comparison
    # must catch each collision and give the window to blocks()
    real = align_mod._grams

    def colliding(*args):
        wid, pos, exact, h = real(*args)
        return wid, pos, exact, (h & np.uint64(1)) << np.uint64(63)

    monkeypatch.setattr(align_mod, "_grams", colliding)
    rng = np.random.default_rng(3)
    for _ in range(50):
        text = "".join(rng.choice(list("甲乙丙丁戊己庚辛"), 120))
        cps = np.array([ord(c) for c in text + text[30:100] + text[:50]], dtype=np.uint32)
        rows = [[0, 120, 120, 190, 0, 120], [10, 90, 190, 240, 5, 190], [0, 0, 120, 240, 0, 120]]
        assert [sorted(g) for g in blocks_many(cps, np.array(rows), 5)] == [_expected(cps, r, 5) for r in rows]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), min_size=1, max_size=6), st.integers(-5, 80))
def test_position_map_of_one_point_is_numpys(parts, x):
    # knots like a passage's: blocks in order, abutting after an insertion on one side
    xp, fp, ax, bx = [], [], 0, 0
    for gap, n in parts:
        ax, bx = ax + gap % 3, bx + gap
        xp += [ax, ax + n]
        fp += [bx, bx + n]
        ax, bx = ax + n, bx + n
    assert _interp(x, xp, fp) == int(np.rint(np.interp(x, xp, fp)))
    assert _interp(x, fp, xp) == int(np.rint(np.interp(x, fp, xp)))


def test_match_maps_agree():
    m = Match(0, 30, 2, 35, 27, ((0, 2, 10), (10, 13, 5), (18, 21, 12)), ())
    for x in range(-2, 33):
        assert m.b_at(x) == int(m.to_b(x)) and m.a_at(x) == int(m.to_a(x))


# ---- find_passages: batched rounds against window by window, on planted copies with edits ----

WORDS = ["基层治理", "网格化管理", "专项整治", "安全生产", "隐患排查", "人居环境", "乡村振兴", "营商环境",
         "数字政府", "民生实事", "招商引资", "项目建设", "生态保护", "文明创建", "志愿服务", "应急管理",
         "医疗保障", "教育资源", "就业创业", "社会救助", "产业升级", "科技创新", "财政收入", "城市更新"]
EDITS = st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["sub", "ins", "del", "fig"])), max_size=12)


def _paragraphs_text(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = rng.choice(WORDS, int(rng.integers(4, 14)))
        out.append("，".join("".join(words[i:i + 2]) for i in range(0, len(words), 2)) + f"共{rng.integers(1, 99)}项。")
    return out


def _edit(text: str, edits: list[tuple[int, str]]) -> str:
    chars = list(text)
    for at, op in edits:
        if not chars:
            break
        i = at % len(chars)
        if op == "sub":
            chars[i] = "改"
        elif op == "ins":
            chars.insert(i, "新增内容")
        elif op == "del":
            del chars[i:i + 2]
        else:
            chars[i:i + 1] = list("12")
    return "".join(chars)


def _document(doc_id: str, paragraphs: list[str]) -> Document:
    text = "\n".join(paragraphs)
    paras, at = [], 0
    for i, p in enumerate(paragraphs):
        paras.append(Paragraph(f"{doc_id}:p{i + 1:03d}", doc_id, i, at, at + len(p), i + 2, p))
        at += len(p) + 1
    return Document(doc_id, doc_id, f"{doc_id}.txt", text, 2, tuple(paras))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**16), st.lists(EDITS, min_size=2, max_size=6))
def test_batched_find_passages_equals_window_by_window(seed, edits):
    rng = np.random.default_rng(seed)
    sources = [_paragraphs_text(rng, int(rng.integers(2, 8))) for _ in range(3)]
    docs = [_document(f"d{i + 1:02d}", ps) for i, ps in enumerate(sources)]
    for j, ed in enumerate(edits):
        src = sources[j % len(sources)]
        lo = int(rng.integers(0, len(src)))
        copied = [_edit(p, ed) for p in src[lo:lo + int(rng.integers(1, 4))]]
        own = _paragraphs_text(rng, 2)
        docs.append(_document(f"d{len(docs) + 1:02d}", own[:1] + copied + own[1:]))
    config = AuditConfig(stock_min_documents=50)
    corpus = prepare(docs, config)
    hits = seed_hits(corpus, fingerprints(corpus, np.arange(len(docs), dtype=np.int64), 50))
    regions = []
    for i, d in enumerate(docs):  # every paragraph against every paragraph of the earlier documents
        for j in range(i):
            for pa in range(len(docs[j].paragraphs)):
                for pb in range(len(d.paragraphs)):
                    ga, gb = int(corpus.par_first[j]) + pa, int(corpus.par_first[i]) + pb
                    (a0, a1), (b0, b1) = (corpus.par_bounds[ga] - corpus.doc_offsets[j],
                                          corpus.par_bounds[gb] - corpus.doc_offsets[i])
                    if corpus.canonical_text(ga)[:6] == corpus.canonical_text(gb)[:6]:
                        regions.append((j, i, int(a0), int(a1), int(b0), int(b1)))
    import chachong.stages.passages as passages_mod

    saved, passages_mod._BATCH_MIN = passages_mod._BATCH_MIN, 1  # every round vectorised, however few pairs
    try:
        fast = find_passages(corpus, hits, regions)
    finally:
        passages_mod._BATCH_MIN = saved
    slow = find_passages(corpus, hits, regions, batch=False)
    assert fast == slow
    assert [describe(corpus, dm) for dm in fast] == [describe(corpus, dm) for dm in slow]
    assert [pieces(corpus, dm) for dm in fast] == [pieces(corpus, dm) for dm in slow]


def test_batched_rounds_are_used_and_agree(monkeypatch):
    # enough document pairs that find_passages takes the vectorised route, counted
    import chachong.stages.passages as passages_mod

    calls = []
    real = passages_mod.blocks_many
    monkeypatch.setattr(passages_mod, "blocks_many", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(11)
    base = _paragraphs_text(rng, 6)
    docs = [_document("d01", base)] + [
        _document(f"d{i + 2:02d}", _paragraphs_text(rng, 1) + [_edit(p, [(int(rng.integers(0, 50)), "sub")])
                                                                for p in base[i % 3:i % 3 + 3]])
        for i in range(12)]
    r_fast = audit(docs, AuditConfig(stock_min_documents=50))
    assert calls
    monkeypatch.setattr(passages_mod, "_BATCH_MIN", 10**9)  # every round window by window
    r_slow = audit(docs, AuditConfig(stock_min_documents=50))
    assert r_fast.passage_records == r_slow.passage_records and r_fast.passage_records
    assert r_fast.paragraph_pair_records == r_slow.paragraph_pair_records


@pytest.mark.parametrize("k", [1, 5, 8])
def test_blocks_many_on_empty_and_long_k(k):
    cps = np.array([ord(c) for c in "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛"], dtype=np.uint32)
    rows = [[0, 0, 0, 0, 0, 0], [0, 10, 10, 18, 0, 10], [0, 3, 10, 12, 0, 10]]
    assert [sorted(g) for g in blocks_many(cps, np.array(rows), k)] == [_expected(cps, r, k) for r in rows]


# ---- the fingerprint index: the faster arithmetic gives the same numbers ----


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13])
def test_poly_equals_kgram_values(k):
    from chachong.stages.fingerprints import kgram_poly as _poly
    from chachong.text.shingle import kgram_values

    cps = np.random.default_rng(k).integers(0x4E00, 0x9FA5, 500).astype(np.uint32)
    assert np.array_equal(_poly(cps, k), kgram_values(cps, k))
    assert np.array_equal(_poly(cps[:k - 1], k), kgram_values(cps[:k - 1], k))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=300), st.integers(0, 63))
def test_hash_groups_is_a_stable_argsort(values, shift):
    from chachong.stages.fingerprints import hash_groups

    # values sharing their top bits (shifted small numbers) take the re-sorting path
    h = np.array([v >> shift for v in values] + [v >> 60 for v in values], dtype=np.uint64)
    order, starts, sizes = hash_groups(h)
    assert order.tolist() == np.argsort(h, kind="stable").tolist()
    hs = h[order]
    assert starts.tolist() == [i for i in range(h.size) if i == 0 or hs[i] != hs[i - 1]]
    assert sizes.sum() == h.size and all(len(set(hs[s:s + n].tolist())) == 1 for s, n in zip(starts, sizes))


def _stock_reference(fps, doc_group, stock_groups):
    """The stock rule as first written: distinct (hash, group) pairs by one lexsort of everything."""
    grp = doc_group[fps.doc]
    order = np.lexsort((grp, fps.hash))
    hs, gs = fps.hash[order], grp[order]
    first = np.ones(hs.size, dtype=bool)
    first[1:] = (hs[1:] != hs[:-1]) | (gs[1:] != gs[:-1])
    distinct = hs[first]
    starts = np.flatnonzero(np.concatenate(([True], distinct[1:] != distinct[:-1])))
    counts = np.diff(np.append(starts, distinct.size))
    return np.isin(fps.hash, distinct[starts[counts >= stock_groups]])


@pytest.mark.parametrize("stock_groups", [1, 2, 3, 50])
def test_fingerprints_and_seed_hits_match_the_reference(stock_groups):
    from dataclasses import replace

    from chachong.stages.fingerprints import winnow

    rng = np.random.default_rng(stock_groups)
    base = _paragraphs_text(rng, 8)
    docs = [_document(f"d{i + 1:02d}", [base[j] for j in rng.choice(8, 3, replace=False)] + _paragraphs_text(rng, 1))
            for i in range(10)] + [_document("d11", ["短"]), _document("d12", base[:1])]
    corpus = prepare(docs, AuditConfig())
    group = np.array([0, 0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9], dtype=np.int64)
    fps = fingerprints(corpus, group, stock_groups)
    # winnowing by brute force over the whole corpus (k-grams crossing a document end are invalid)
    k, w = fps.k, corpus.config.min_span - fps.k + 1
    from chachong.text.shingle import kgram_values
    from chachong.stages.fingerprints import MIX as _MIX, mix64 as _mix

    values = _mix(kgram_values(corpus.cps, k) * _MIX)
    at = np.arange(values.size)
    ends = corpus.doc_offsets[np.searchsorted(corpus.doc_offsets, at, side="right")]
    valid = at + k <= ends
    assert fps.pos.tolist() == winnow(values, valid, w).tolist()
    assert np.array_equal(fps.hash, values[fps.pos])
    assert np.array_equal(fps.stock, _stock_reference(fps, group, stock_groups))
    assert np.array_equal(seed_hits(corpus, fps), seed_hits(corpus, replace(fps, order=None)))


def test_fingerprints_and_seed_hits_do_not_depend_on_their_pieces(monkeypatch):
    """Winnowing in pieces, sorting by hash ranges and pairing in pieces of the hash order
    (tiny sizes here, so every boundary is crossed many times) give the same index and hits."""
    from chachong.stages import fingerprints as fingerprints_module
    from chachong.stages import seeds

    rng = np.random.default_rng(7)
    base = _paragraphs_text(rng, 6)
    docs = [_document(f"d{i + 1:02d}", [base[j] for j in rng.choice(6, 3, replace=False)] + _paragraphs_text(rng, 1))
            for i in range(12)]
    corpus = prepare(docs, AuditConfig())
    group = np.arange(12, dtype=np.int64) // 2
    whole = fingerprints(corpus, group, 3)
    hits = seed_hits(corpus, whole)
    assert len(hits) and whole.stock.any() and not whole.stock.all()
    assert whole.pos.dtype == np.int32 and whole.order.dtype == np.uint32
    assert np.array_equal(whole.order, np.argsort(whole.hash, kind="stable"))  # the hash order, stably
    for windows, part, piece in [(7, 5, 3), (64, 40, 17), (1000, 1, 1)]:
        monkeypatch.setattr(fingerprints_module, "_WINDOWS", windows)
        monkeypatch.setattr(fingerprints_module, "_PART", part)
        monkeypatch.setattr(seeds, "_PIECE", piece)
        fps = fingerprints(corpus, group, 3)
        for name in ("pos", "doc", "hash", "stock", "order"):
            assert np.array_equal(getattr(fps, name), getattr(whole, name)), name
        assert np.array_equal(seed_hits(corpus, fps), hits)


@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=300), st.integers(2, 40),
       st.sampled_from([0, 8, 16, 40]))
@settings(max_examples=200, deadline=None)
def test_hash_ranges_by_top_bits_equal_a_binary_search(values, parts, crowd):
    """The fingerprint index's hash ranges (fingerprints._hash_bounds) are cut at multiples of
    2**(64 - _TOP_BITS), so a table of the top bits (_range_of) gives every hash the range a binary
    search gives it, for hashes crowding the low end (window minima) and hashes on the bounds."""
    from chachong.stages import fingerprints as fingerprints_module

    h = np.array(values, dtype=np.uint64) >> np.uint64(crowd)
    bounds = fingerprints_module._hash_bounds(h, parts)
    step = np.uint64(1 << (64 - fingerprints_module._TOP_BITS))
    assert np.all(bounds % step == 0) and np.all(bounds > 0) and np.all(np.diff(bounds.astype(np.float64)) > 0)
    probe = np.concatenate([h, bounds, bounds - np.uint64(1)])
    for dtype in (np.uint8, np.int64):
        got = fingerprints_module._range_of(bounds, dtype)(probe)
        assert got.dtype == dtype
        assert got.tolist() == np.searchsorted(bounds, probe, side="right").tolist()


@given(st.lists(st.integers(0, 400), max_size=60, unique=True),
       st.lists(st.lists(st.tuples(st.integers(0, 150), st.integers(0, 150), st.integers(1, 40)), max_size=4),
                max_size=6), st.data())
@settings(max_examples=150, deadline=None)
def test_masked_positions_of_many_blocks_at_once(masks, passages, data):
    from bisect import bisect_left

    from chachong.stages.describe import _masked_in_blocks

    masks = sorted(masks)
    bases = [x for _ in passages for x in (data.draw(st.integers(0, 200)), data.draw(st.integers(0, 200)))]
    want, per = [], []
    for k, blocks in enumerate(passages):  # the per-position rule, written plainly
        ba, bb = bases[2 * k], bases[2 * k + 1]
        n = len(want)
        for a0, b0, size in blocks:
            for x in range(bisect_left(masks, ba + a0), bisect_left(masks, ba + a0 + size)):
                want += (masks[x], bb + b0 + masks[x] - ba - a0)
        per.append((len(want) - n) // 2)
    got, got_per = _masked_in_blocks(np.array(masks, dtype=np.int64), [b for bs in passages for b in bs], bases,
                                     [len(bs) for bs in passages])
    assert got.tolist() == want and got_per == per
