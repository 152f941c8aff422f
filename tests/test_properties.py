"""Property tests (issue 9): random Unicode through normalise, shingle, sign, align and the whole
audit never raises, every offset maps back inside the original text, every metric stays in [0, 1],
and the JSON report is valid and deterministic."""

from __future__ import annotations

import itertools
import json
import math
import unicodedata

import numpy as np
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from chachong.stages.align import align
from chachong.api import audit
from chachong.stages.load import documents_from_sources
from chachong.config import AuditConfig
from chachong.model import Source
from chachong.text.normalize import MASK, canonicalize
from chachong.text.shingle import segment_kgrams, shingle_hash, shingle_hashes
from chachong.stages.sign import signature_of, signatures

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------- strategies

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PIECES = st.one_of(
    st.text(CJK, min_size=1, max_size=30),
    st.text(st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E), min_size=1, max_size=5),  # full width
    st.from_regex(r"[0-9０-９一二三四五六七八九十〇百千万.%]{1,6}", fullmatch=True),  # figures
    st.sampled_from(["X", "XX", "x", "xx年", "某某", "某某某", "○○", "◯◯", "〇", "××", "XX区", "Xx"]),  # placeholders
    st.text("，。、；：？！“”‘’（）《》【】…—·,.;:!?()[]#%-/ \t\u3000", min_size=1, max_size=4),  # punctuation
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=3),  # controls, spaces
    # Traditional, variants, look-alikes (Cyrillic О, З, Lisu ꓸ, o/l between digits), invisible marks
    st.text("爲為裏裡臺灣後於著么綫衞ОоЗІТꓸǃloi1\u200b\ufe0f\u3164\u034f", min_size=1, max_size=4),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8),  # any code point but surrogates
)
TEXT = st.lists(PIECES, max_size=12).map("".join)
CJK_TEXT = st.text(CJK, min_size=0, max_size=60)


def _spans(matches) -> list[tuple[int, int, int, int]]:
    """(a_start, a_end, b_start, b_end) of align's results, whichever form they take."""
    return [tuple(int(v) for v in (m.span if hasattr(m, "span") else m)) for m in matches]


# -------------------------------------------------------------------------- normalise


@FAST
@given(text=TEXT, mask_digits=st.booleans(), mask_placeholders=st.booleans(), fold_variants=st.booleans())
def test_canonical_characters_map_back_inside_the_original(text, mask_digits, mask_placeholders, fold_variants):
    c = canonicalize(text, mask_digits=mask_digits, mask_placeholders=mask_placeholders, fold_variants=fold_variants)
    starts, ends = np.asarray(c.starts), np.asarray(c.ends)
    assert len(c.text) == starts.size == ends.size
    if not c.text:
        return
    assert 0 <= starts[0] and ends[-1] <= len(text)
    assert np.all(starts < ends)
    assert np.all(ends[:-1] <= starts[1:])  # in order, never overlapping
    for i, ch in enumerate(c.text):
        original = text[starts[i]:ends[i]]
        if ch == MASK:
            continue  # a run of digits or a placeholder
        assert ends[i] - starts[i] == 1
        if fold_variants:  # the character folded alone, or a look-alike between digits read as 0/1
            alone = canonicalize(original, mask_digits=False, mask_placeholders=False).text
            assert ch == alone or (ch in "01" and original.isalpha())
        else:
            assert ch in unicodedata.normalize("NFKC", original).casefold()
        assert unicodedata.category(ch)[0] in "LNM" or ch in "○◯"
    lo, hi = sorted((len(c.text) // 3, len(c.text) // 2 + 1))
    s, e = c.original_span(lo, min(hi, len(c.text)))
    assert 0 <= s <= e <= len(text)


# ---------------------------------------------------------------------------- shingle


@FAST
@given(text=TEXT, k=st.integers(1, 8))
def test_shingles_of_any_canonical_text(text, k):
    canon = canonicalize(text).text
    h = shingle_hashes(canon, k)
    assert h.dtype == np.uint32 and h.size == max(len(canon) - k + 1, 1)
    if len(canon) >= k:
        for i in {0, len(canon) - k, (len(canon) - k) // 2}:
            assert int(h[i]) == shingle_hash(canon[i:i + k])
    else:
        assert int(h[0]) == shingle_hash(canon)


@FAST
@given(text=CJK_TEXT, k=st.integers(1, 6), data=st.data())
def test_segment_kgrams_equal_shingles_of_each_segment(text, k, data):
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=8)))
    bounds = np.array(list(itertools.pairwise(cuts)), dtype=np.int64).reshape(-1, 2)
    hashes, offsets = segment_kgrams(cps, bounds, k)
    assert offsets[0] == 0 and offsets[-1] == hashes.size and np.all(np.diff(offsets) >= 1)
    for i, (s, e) in enumerate(bounds):
        assert np.array_equal(hashes[offsets[i]:offsets[i + 1]], shingle_hashes(text[s:e], k))


# ------------------------------------------------------------------------------ sign


@FAST
@given(sets=st.lists(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=40), min_size=1, max_size=6),
       num_perm=st.sampled_from([8, 16, 128]), seed=st.integers(0, 2**16))
def test_signatures_are_minima_over_each_segment(sets, num_perm, seed):
    hashes = np.array([h for s in sets for h in s], dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64)
    sig = signatures(hashes, offsets, num_perm, seed)
    assert sig.shape == (len(sets), num_perm) and sig.dtype == np.uint32
    for i, s in enumerate(sets):
        assert np.array_equal(sig[i], signature_of(np.array(s, dtype=np.uint32), num_perm, seed))
    # the signature of a union is the element-wise minimum of the signatures
    union = signature_of(hashes, num_perm, seed)
    assert np.array_equal(union, sig.min(axis=0))


# ----------------------------------------------------------------------------- align


@FAST
@given(a=TEXT, b=TEXT, shared=CJK_TEXT, min_span=st.integers(1, 20), data=st.data())
def test_aligned_passages_lie_inside_both_texts(a, b, shared, min_span, data):
    ca, cb = canonicalize(a).text, canonicalize(b).text
    # plant a shared stretch so that there is something to find
    i, j = data.draw(st.integers(0, len(ca))), data.draw(st.integers(0, len(cb)))
    ca, cb = ca[:i] + shared + ca[i:], cb[:j] + shared + cb[j:]
    matches = align(ca, cb, min_span)
    for a0, a1, b0, b1 in _spans(matches):
        assert 0 <= a0 < a1 <= len(ca) and 0 <= b0 < b1 <= len(cb)
    for m in matches:
        for x, y, n in getattr(m, "blocks", ()):  # exactly equal stretches
            assert ca[x:x + n] == cb[y:y + n] and n > 0
            assert m.a_start <= x and x + n <= m.a_end and m.b_start <= y and y + n <= m.b_end


@FAST
@given(chars=st.lists(CJK, min_size=13, max_size=80, unique=True), min_span=st.integers(1, 13))
def test_a_text_aligned_with_itself_is_one_passage(chars, min_span):
    text = "".join(chars)  # no repeated character, so no ambiguous seed
    assert _spans(align(text, text, min_span)) == [(0, len(text), 0, len(text))]


# ----------------------------------------------------------------- audit and report


@st.composite
def corpora(draw) -> list[Source]:
    """A few documents of random text, some sharing paragraphs (exactly or edited)."""
    pool = draw(st.lists(st.one_of(TEXT, st.text(CJK, min_size=15, max_size=60)), min_size=1, max_size=5))
    sources = []
    for i in range(draw(st.integers(1, 5))):
        paragraphs = []
        for _ in range(draw(st.integers(0, 5))):
            p = draw(st.one_of(st.sampled_from(pool), TEXT))
            if p and draw(st.booleans()):  # an edited copy
                at = draw(st.integers(0, len(p)))
                p = p[:at] + draw(PIECES) + p[at + draw(st.integers(0, 3)):]
            paragraphs.append(p)
        sep = draw(st.sampled_from(["\n", "\n\n", "\n \n"]))
        title = draw(st.one_of(st.none(), TEXT))
        kind = draw(st.sampled_from(["text", "pdf", "docx", "table"]))
        sources.append(Source(f"in/{i:02d}.txt", sep.join(paragraphs), "utf-8", kind, title))
    return sources


CONFIGS = st.builds(
    AuditConfig,
    k=st.integers(1, 6),
    num_perm=st.sampled_from([16, 32, 128]),
    threshold=st.sampled_from([0.3, 0.5, 0.9]),
    min_paragraph_chars=st.integers(0, 20),
    min_span=st.integers(1, 15),
    mask_digits=st.booleans(),
    mask_placeholders=st.booleans(),
    fold_variants=st.booleans(),
    split=st.sampled_from(["auto", "none"]),
)

_METRICS = {"ratio", "jaccard", "containment", "a_in_b", "b_in_a", "copied_share"}


def _is_metric(key: str) -> bool:
    return key in _METRICS or key.endswith("_ratio")


def _metrics(node, path: str = ""):
    """Every number in the report under a key naming a ratio, similarity or share."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if isinstance(value, (int, float)) and not isinstance(value, bool) and _is_metric(key):
                yield where, value
            else:
                yield from _metrics(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _metrics(value, f"{path}[{i}]")


def _no_constants(name: str):
    raise AssertionError(f"{name} in report.json")


@SLOW
@given(sources=corpora(), config=CONFIGS)
def test_audit_of_random_documents(sources, config):
    documents, skipped, _warnings = documents_from_sources(sources, config)
    assert skipped == []
    result = audit(documents, config)
    text = result.to_json()
    report = json.loads(text, parse_constant=_no_constants)  # valid JSON, no NaN or Infinity
    assert audit(documents_from_sources(sources, config)[0], config).to_json() == text  # deterministic

    event(f"paragraph pairs: {bool(report['paragraph_pairs'])}, passages: {bool(report.get('passages'))}")
    docs = {d.id: d for d in result.document_records}
    assert [d["id"] for d in report["documents"]] == list(docs)
    for d in result.document_records:
        assert d.text.strip()
        for p in d.paragraphs:
            assert 0 <= p.start < p.end <= len(d.text) and p.text == d.text[p.start:p.end]
    bounds = {p["id"]: (p["start"], p["end"]) for p in report["paragraphs"]}
    for p in report["paragraphs"]:
        assert 0 <= p["start"] < p["end"] <= len(docs[p["id"].split(":")[0]].text)
    for pair in report["paragraph_pairs"]:
        (a_lo, a_hi), (b_lo, b_hi) = bounds[pair["a"]], bounds[pair["b"]]
        for a0, a1, b0, b1 in pair["spans"]:
            assert a_lo <= a0 <= a1 <= a_hi and b_lo <= b0 <= b1 <= b_hi, pair
    for passage in report.get("passages", []):
        la, lb = len(docs[passage["a"]].text), len(docs[passage["b"]].text)
        assert 0 <= passage["a_start"] < passage["a_end"] <= la and 0 <= passage["b_start"] < passage["b_end"] <= lb
        for a0, a1, b0, b1, *_op in passage["edits"]:
            assert passage["a_start"] <= a0 <= a1 <= passage["a_end"]
            assert passage["b_start"] <= b0 <= b1 <= passage["b_end"]
    for d in report["documents"]:
        assert 0 <= d["copied_chars"] <= d["chars"]
    for where, value in _metrics({k: v for k, v in report.items() if k not in ("settings", "formulas")}):
        assert math.isfinite(value) and 0.0 <= value <= 1.0, (where, value)
    for stats in result.stats.values():
        for value in (stats.copy_ratio, stats.copy_ratio_excluding_stock, stats.stock_ratio):
            assert 0.0 <= value <= 1.0
    for pair in result.document_pair_records:
        assert 0.0 <= min(pair.jaccard, pair.a_in_b, pair.b_in_a) <= max(pair.jaccard, pair.a_in_b, pair.b_in_a) <= 1.0


@SLOW
@given(sources=corpora())
def test_a_document_and_its_exact_copy_are_found(sources):
    sources = [s for s in sources if len(canonicalize(s.text).text) >= 40]
    assume(sources)
    original = sources[0]
    copy = Source("in/copy.txt", original.text, "utf-8", original.kind, original.title)
    config = AuditConfig(split="none")
    documents, _, _ = documents_from_sources([original, copy], config)
    assume(len(documents) == 2)
    result = audit(documents, config)
    [pair] = result.document_pair_records
    assert (pair.a, pair.b, pair.kind) == (documents[0].id, documents[1].id, "identical")
    assert pair.a_in_b == pair.b_in_a == 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=40))
def test_pairs_across_owners_is_the_filtered_all_pairs(rows):
    """lsh.pairs_across equals every pair with an equal key and different owners, made directly."""
    import numpy as np

    from chachong.stages.lsh import pairs_across

    items = np.arange(len(rows), dtype=np.int64) * 3 + 5
    keys = np.array([k for k, _ in rows], dtype=np.int64)
    owners = np.array([o for _, o in rows], dtype=np.int64)
    got = sorted(map(tuple, pairs_across(items, keys, owners).tolist()))
    want = sorted((int(items[i]), int(items[j])) for i in range(len(rows)) for j in range(i + 1, len(rows))
                  if rows[i][0] == rows[j][0] and rows[i][1] != rows[j][1])
    assert got == want


# keys sharing their top bits but not equal (the bit table's false hits), small ones, the extremes
_KEYS = [0, 1, 2, 7, 2**63, 2**63 + 1, 2**64 - 1, 0xABCD << 48, (0xABCD << 48) + 5, (0xABCD << 48) + (1 << 10)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_KEYS), max_size=50), st.booleans())
def test_repeated_and_band_pairs_equal_brute_force(keys, signed):
    """lsh.repeated (argsort) and band_pairs (sort, top-bit table, search) against pairs made directly."""
    import numpy as np

    from chachong.stages.lsh import band_pairs, repeated

    x = np.array(keys, dtype=np.uint64)
    if signed:
        x = x.view(np.int64)  # the same bits, negative where the top one is set
    n = len(keys)
    want_rows = [i for i in range(n) if keys.count(keys[i]) > 1]
    assert np.flatnonzero(repeated(x)).tolist() == want_rows
    if not signed:
        want = [i * n + j for i in range(n) for j in range(i + 1, n) if keys[i] == keys[j]]
        assert band_pairs(x).tolist() == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 40), max_size=60), st.lists(st.integers(-5, 40), max_size=30))
def test_sorting_set_operations_equal_numpys(a, b):
    """chachong.runtime.arrays.unique/setdiff (sorting, for numpy 2.3+'s slow hash path) equal np.unique/np.setdiff1d."""
    import numpy as np

    from chachong.runtime.arrays import setdiff, unique

    x, y = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    assert unique(x).tolist() == np.unique(x).tolist()
    assert setdiff(x, y).tolist() == np.setdiff1d(x, y).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-5, 60), max_size=80), st.lists(st.integers(-3, 60), min_size=1, max_size=20))
def test_segments_of_equals_searchsorted(pos, offsets):
    """chachong.runtime.arrays.segments_of (repeat over the segments spanned) equals numpy's
    searchsorted(offsets, pos, side="right") - 1 for ascending positions, inside, before and after
    the segments and with empty ones (repeated offsets)."""
    import numpy as np

    from chachong.runtime.arrays import segments_of

    p, o = np.sort(np.array(pos, dtype=np.int64)), np.sort(np.array(offsets, dtype=np.int64))
    assert segments_of(p, o).tolist() == (np.searchsorted(o, p, side="right") - 1).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 5), st.integers(0, 5)), max_size=60),
       st.tuples(*[st.sampled_from([0, 4, 14, 29, 34]) for _ in range(4)]))
def test_seed_rows_come_in_lexicographic_order(rows, shifts):
    """seeds.seed_rows sorts its rows as np.lexsort does, whatever the columns' widths: packed in one
    64-bit key (narrow), two (each under 31 bits) or by lexsort itself (wider); equal rows kept."""
    import numpy as np

    from chachong.stages.seeds import seed_rows

    cols = [np.array([r[i] for r in rows], dtype=np.int64) << shifts[i] for i in range(4)]
    want = np.stack(cols, axis=1)[np.lexsort(cols[::-1])] if rows else np.zeros((0, 4), np.int64)
    got = seed_rows([c.copy() for c in cols] + [np.ones(len(rows), bool), cols[2].copy()])
    assert got.tolist() == want.tolist()
