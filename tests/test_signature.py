import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.stages.lsh import candidate_probability, candidates, choose_bands
from chachong.text.normalize import canonicalize, codepoints
from chachong.text.shingle import segment_kgrams, shingle_hash, shingle_hashes, shingle_strings
from chachong.stages.sign import signatures
from chachong.stages.verify import similarity

TEXTS = [
    "根据上级文件要求，我局高度重视，认真组织开展了相关工作，现将有关情况总结如下。",
    "一、工作开展情况",
    "短",
    "坚持把学习贯彻党的二十大精神作为首要政治任务，持续深化理论武装，推动各项工作落地见效。" * 3,
]


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7)])
def test_bulk_signatures_bit_identical_to_datasketch(num_perm, seed):
    canon = [canonicalize(t).text for t in TEXTS]
    joined = "".join(canon)
    bounds, pos = [], 0
    for c in canon:
        bounds.append((pos, pos + len(c)))
        pos += len(c)
    h, off = segment_kgrams(codepoints(joined), np.array(bounds), 5)
    sig = signatures(h, off, num_perm, seed)
    for i, c in enumerate(canon):
        m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash)
        m.update_batch(shingle_strings(c, 5))
        assert m.hashvalues.dtype == sig.dtype
        assert np.array_equal(m.hashvalues, sig[i])


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E60), min_size=1, max_size=60))
def test_shingle_hashes_match_string_hash(text):
    hs = shingle_hashes(text, 5)
    assert [int(x) for x in hs] == [shingle_hash(s) for s in shingle_strings(text, 5)]


def test_short_text_gets_one_shingle():
    assert shingle_hashes("短句", 5).size == 1
    assert shingle_hashes("", 5).size == 1


def test_choose_bands_reaches_target_recall():
    for t in (0.5, 0.7, 0.8, 0.9):
        b, r = choose_bands(t, 128)
        assert b * r <= 128
        assert candidate_probability(t, b, r) >= 0.995


def test_lsh_finds_similar_and_exact_verification():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**32, 200, dtype=np.uint64).astype(np.uint32)
    near = base.copy()
    near[:10] = rng.integers(0, 2**32, 10, dtype=np.uint64).astype(np.uint32)  # J = 190/210
    other = rng.integers(0, 2**32, 200, dtype=np.uint64).astype(np.uint32)
    sets = [np.unique(x) for x in (base, near, other)]
    h = np.concatenate(sets)
    off = np.concatenate(([0], np.cumsum([s.size for s in sets])))
    sig = signatures(h, off)
    cand = candidates(sig, *choose_bands(0.8, 128))
    assert [0, 1] in cand.tolist()
    assert [0, 2] not in cand.tolist()
    jac, cont = similarity(h, off, np.array([[0, 1], [0, 2]]))
    assert jac[0] == pytest.approx(190 / 210)
    assert jac[1] == 0.0


@pytest.mark.parametrize("threads", [1, 2])
def test_huge_segments_among_short_ones_sign_like_one_at_a_time(threads, monkeypatch):
    # a segment longer than a block (a whole document on one line) is signed a few permutations
    # per call, so the temporary stays one block's size; the signatures are the definition's
    import chachong.stages.sign as signature_module

    from chachong.stages.sign import fmix32, permutations

    monkeypatch.setattr(signature_module, "_CHUNK", 1 << 10)
    rng = np.random.default_rng(5)
    sizes = [5, 30_000, 3, 9_000, 7, 1, 2_000]
    hashes = rng.integers(0, 2**32, sum(sizes), dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    got = signatures(hashes, offsets, 96, 3, threads=threads)
    # the definition (datasketch's affine32 scheme, checked against datasketch above), segment by segment
    a, b = (x.astype(np.uint64)[:, None] for x in permutations(96, 3))
    for i in range(len(sizes)):
        x = fmix32(hashes[offsets[i]:offsets[i + 1]]).astype(np.uint64)
        assert np.array_equal(got[i], ((a * x + b) & 0xFFFFFFFF).min(axis=1).astype(np.uint32))
