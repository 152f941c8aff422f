"""The prepared corpus: batched, threaded preparation equals the plain definition, text by text."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chachong.stages.prepare as corpus_module
import chachong.stages.sign as signature_module
from chachong.config import AuditConfig
from chachong.stages.prepare import unique_sets, prepare
from chachong.text.normalize import canonicalize, canonicalize_array, codepoints
from chachong.text.shingle import segment_kgrams, shingle_hashes
from chachong.stages.sign import signature_of, signatures
from chachong.stages.segment import Piece, build_documents

# digits, placeholders (x, X, 某, ○) next to Latin letters or not, punctuation, line breaks
_PIECES = st.sampled_from(["12", "3", "x", "X", "xx", "ab", "某", "某某", "○", "○○", "◯", "，", "。", "\n", " ",
                           "工作", "总结", "开展", "一", "Ｘ", "１５", "②", "o", "l", "О", "爲", "\ufe0f"])
_TEXT = st.lists(_PIECES, max_size=30).map("".join)


@given(st.lists(_TEXT, min_size=1, max_size=6), st.booleans(), st.booleans(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_canonicalize_with_breaks_equals_each_text_alone(texts, mask_digits, mask_placeholders, fold_variants):
    lengths = [len(t) for t in texts]
    breaks = np.cumsum(lengths)[:-1]
    out, starts, ends = canonicalize_array(codepoints("".join(texts)), mask_digits=mask_digits,
                                           mask_placeholders=mask_placeholders, fold_variants=fold_variants,
                                           breaks=breaks)
    want_out, want_starts, want_ends, base = [], [], [], 0
    for t in texts:
        o, s, e = canonicalize_array(codepoints(t), mask_digits=mask_digits, mask_placeholders=mask_placeholders,
                                     fold_variants=fold_variants)
        want_out.append(o)
        want_starts.append(s + base)
        want_ends.append(e + base)
        base += len(t)
    assert out.tolist() == np.concatenate(want_out).tolist()
    assert starts.tolist() == np.concatenate(want_starts).tolist()
    assert ends.tolist() == np.concatenate(want_ends).tolist()


def test_no_mask_run_crosses_a_break():
    # "12" ending one text and "34" starting the next stay two masks; "x" after "ab" of another
    # text is a placeholder
    out, starts, ends = canonicalize_array(codepoints("甲12" + "34乙" + "ab" + "x丙"), breaks=np.array([3, 6, 8]))
    assert out.astype("<u4").tobytes().decode("utf-32-le") == "甲##乙ab#丙"
    assert (starts.tolist(), ends.tolist()) == ([0, 1, 3, 5, 6, 7, 8, 9], [1, 3, 5, 6, 7, 8, 9, 10])


@given(st.lists(st.lists(st.sampled_from([0, 1, 7, 2**31, 2**32 - 1, 2**32 - 2, 12345]) | st.integers(0, 2**32 - 1),
                         min_size=1, max_size=70), min_size=1, max_size=12))
@settings(max_examples=300, deadline=None)
def test_unique_sets_are_sorted_unique_segments(segments):
    hashes = np.array([h for s in segments for h in s], dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in segments]))).astype(np.int64)
    got, got_off = unique_sets(hashes, offsets)
    assert got.dtype == np.uint32
    for i, s in enumerate(segments):
        assert got[got_off[i]:got_off[i + 1]].tolist() == sorted(set(s))


def test_unique_sets_of_long_and_short_segments():
    rng = np.random.default_rng(3)
    segments = [rng.integers(0, 50, size, dtype=np.uint32) for size in (1, 5000, 3, 9, 300, 1, 70000)]
    hashes = np.concatenate(segments)
    offsets = np.concatenate(([0], np.cumsum([s.size for s in segments])))
    got, got_off = unique_sets(hashes, offsets)
    for i, s in enumerate(segments):
        assert np.array_equal(got[got_off[i]:got_off[i + 1]], np.unique(s))


def test_segment_kgrams_of_overlapping_and_unordered_segments():
    text = "根据上级文件要求我局高度重视认真组织开展了相关工作"
    bounds = np.array([[5, 20], [0, 9], [3, 4], [8, 8], [10, 25]])
    hashes, offsets = segment_kgrams(codepoints(text), bounds, 5)
    for i, (s, e) in enumerate(bounds):
        assert np.array_equal(hashes[offsets[i]:offsets[i + 1]], shingle_hashes(text[s:e], 5))


@pytest.mark.parametrize("threads", [2, 3, None])
def test_signatures_do_not_depend_on_threads(threads, monkeypatch):
    monkeypatch.setattr(signature_module, "_CHUNK", 64)  # many blocks for the threads to share
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 90, 400)
    hashes = rng.integers(0, 2**32, int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    one = signatures(hashes, offsets, 32, 9, threads=1)
    assert np.array_equal(signatures(hashes, offsets, 32, 9, threads=threads), one)
    for i in (0, 17, 399):
        assert np.array_equal(one[i], signature_of(hashes[offsets[i]:offsets[i + 1]], 32, 9))


def _documents(texts: list[str]):
    return build_documents([(Piece(f"t{i}", t, 1, "c.txt"), "text") for i, t in enumerate(texts)])


_DOC = st.lists(st.lists(_PIECES, max_size=25).map("".join), min_size=1, max_size=5).map("\n".join)


@given(st.lists(_DOC, min_size=1, max_size=6), st.integers(1, 60), st.sampled_from([1, 2]))
@settings(max_examples=60, deadline=None)
def test_prepare_equals_the_definition_document_by_document(texts, batch_chars, threads):
    docs = [d for d in _documents(texts)]
    config = AuditConfig(k=3, num_perm=16)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(corpus_module, "_BATCH_CHARS", batch_chars)  # documents fall into several batches
        c = prepare(docs, config, threads=threads)
    par = 0
    for d_i, doc in enumerate(docs):
        canon = canonicalize(doc.text)
        lo, hi = int(c.doc_offsets[d_i]), int(c.doc_offsets[d_i + 1])
        assert c.cps[lo:hi].astype("<u4").tobytes().decode("utf-32-le") == canon.text
        assert c.orig_start[lo:hi].tolist() == canon.starts.tolist()
        assert c.orig_end[lo:hi].tolist() == canon.ends.tolist()
        for p in doc.paragraphs:
            a = int(np.searchsorted(canon.starts, p.start))
            b = int(np.searchsorted(canon.starts, p.end))
            assert c.par_bounds[par].tolist() == [lo + a, lo + b] and c.par_doc[par] == d_i
            want = np.unique(shingle_hashes(canon.text[a:b], config.k))
            assert np.array_equal(c.paragraph_set(par), want)
            assert np.array_equal(c.signatures[par], signature_of(want, config.num_perm, config.seed))
            par += 1
    assert par == c.n_paragraphs
    assert c.orig_start.dtype == c.orig_end.dtype == np.int32


def test_prepare_of_the_example_does_not_depend_on_batches_or_threads(monkeypatch):
    from pathlib import Path

    from chachong.stages.load import load_documents

    docs, _, _ = load_documents([Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"],
                                AuditConfig())
    one = prepare(docs, AuditConfig(), threads=1)
    monkeypatch.setattr(corpus_module, "_BATCH_CHARS", 500)
    many = prepare(docs, AuditConfig(), threads=2)
    for name in ("cps", "orig_start", "orig_end", "doc_offsets", "par_doc", "par_bounds", "set_hashes",
                 "set_offsets", "signatures"):
        assert np.array_equal(getattr(one, name), getattr(many, name)), name


def test_word_shingles_prepared_per_paragraph():
    docs = _documents(["坚持把学习贯彻党的二十大精神作为首要政治任务。\n持续深化理论武装", "推动各项工作落地见效"])
    config = AuditConfig(shingle="word", k=2, num_perm=16)
    c = prepare(docs, config, threads=2)
    from chachong.text.shingle import word_shingles

    for i in range(c.n_paragraphs):
        assert np.array_equal(c.paragraph_set(i), np.unique(word_shingles(c.canonical_text(i), 2)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=60), st.data())
def test_ends_index_like_the_array_they_stand_for(widths, data):
    """corpus.Ends (orig_end kept as its exceptions to orig_start + 1) answers every index as the array would."""
    from chachong.stages.prepare import Ends

    start = np.cumsum([0] + widths[:-1]).astype(np.int32)
    end = (start + np.array(widths)).astype(np.int32)
    # built a piece at a time: pieces of 7 here, so that most lists span several
    with patch("chachong.stages.prepare._ENDS_PIECE", 7):
        whole, n = Ends(start, end), len(widths)
    # as prepare makes them: from the exceptions its batches found
    at = np.flatnonzero(end != start + 1)
    i = data.draw(st.integers(-n, n - 1))
    lo, hi = data.draw(st.integers(-n - 2, n + 2)), data.draw(st.integers(-n - 2, n + 2))
    step = data.draw(st.sampled_from([None, 1, 2, 3, -1]))
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=20)), dtype=np.int64)
    for ends in (whole, Ends.of_exceptions(start, at, end[at])):
        assert ends[i] == end[i]
        assert ends[lo:hi:step].tolist() == end[lo:hi:step].tolist()
        assert ends[idx].tolist() == end[idx].tolist()
        assert np.asarray(ends).tolist() == end.tolist() and len(ends) == n and ends.dtype == end.dtype
