"""The values an index stores (chachong.index/1) stay bit for bit what they were.

The index's fingerprints and LSH band keys are computed by the stages that own those rules
(:func:`chachong.stages.fingerprints.winnowed_hashes`, :func:`chachong.stages.lsh.band_keys`).
An index built by an older chachong must keep working, so the formulas the index first used
are frozen here as the reference, with a few of their values written out, and the stage calls
are compared with them on random inputs.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.config import AuditConfig
from chachong.index.index import band_keys, layout
from chachong.stages.fingerprints import winnowed_hashes
from chachong.stages.lsh import band_keys as stage_band_keys
from chachong.text.normalize import codepoints

# --------------------------------------------------------------------------- the frozen reference

_K = 8
_BASE = np.uint64(0x100000001B3)


def _reference_winnowed(cps: np.ndarray, min_span: int) -> np.ndarray:
    """The index's winnowing as first written: k-gram polynomial, splitmix64 finaliser, argmin per window."""
    k = max(1, min(_K, min_span))
    w = max(1, min_span - k + 1)
    if cps.size < min_span:
        return np.zeros(0, np.int64)
    n = cps.size - k + 1
    c = cps.astype(np.uint64)
    v = c[:n].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):
            v *= _BASE
            v += c[j:j + n]
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        v = v ^ (v >> np.uint64(31))
    idx = np.argmin(np.lib.stride_tricks.sliding_window_view(v, w), axis=1)
    return np.unique(v[idx + np.arange(idx.size)]).view(np.int64)


def _reference_band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The index's band keys as first written (int64 view of the uint64 keys)."""
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for b in range(bands):
        cols = sig[:, b * rows:(b + 1) * rows].astype(np.uint64)
        rng = np.random.RandomState(1000 + b)
        mult = rng.randint(1, 1 << 62, size=rows, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
        with np.errstate(over="ignore"):
            key = np.zeros(cols.shape[0], dtype=np.uint64)
            for j in range(rows):
                key = (key ^ (cols[:, j] * mult[j])) * np.uint64(0x9E3779B97F4A7C15)
        out[:, b] = key
    return out.view(np.int64)


_TEXT = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇宙洪荒"
# written out from chachong.index/1 as released (index.winnowed and index.band_keys)
_FINGERPRINTS_13 = [1181434727700165649, 1194942106714772023, 2571813971848020962, 3250421051482031994,
                    3310434579426910297, 4129809111964925008, 4180806139862655906]
_BAND_KEYS = [[8921441548145180005, 698051061330957286, 3120245046637006927, -7927828077185666586],
              [-7392546723826183451, 6994040477500081766, -5488666767636845105, 7730260914223822694]]


def _sig() -> np.ndarray:
    return np.arange(2 * 128, dtype=np.uint32).reshape(2, 128) * np.uint32(2654435761)


# --------------------------------------------------------------------------- the checks


def test_reference_values_are_the_released_ones():
    assert _reference_winnowed(codepoints(_TEXT), 13).tolist() == _FINGERPRINTS_13
    assert _reference_band_keys(_sig(), 4, 3).tolist() == _BAND_KEYS


def test_stage_calls_give_the_released_values():
    assert winnowed_hashes(codepoints(_TEXT), 13).tolist() == _FINGERPRINTS_13
    assert band_keys(_sig(), 4, 3).tolist() == _BAND_KEYS
    assert stage_band_keys(_sig(), 4, 3).dtype == np.uint64


_cps = st.lists(st.one_of(st.integers(0x4E00, 0x4E00 + 40), st.integers(0, 0x10FFFF)), max_size=400)


@settings(max_examples=300, deadline=None)
@given(_cps, st.integers(1, 40), st.booleans())
def test_winnowed_hashes_equal_the_reference(cps, min_span, repeat):
    # few distinct code points (and a repeated half) make equal window minima, where ties decide
    a = np.array(cps + cps[: len(cps) // 2] if repeat else cps, dtype=np.uint32)
    got = winnowed_hashes(a, min_span)
    want = _reference_winnowed(a, min_span)
    assert got.dtype == want.dtype == np.int64
    assert got.tobytes() == want.tobytes()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.sampled_from([(42, 3), (32, 4), (21, 6), (128, 1), (1, 128), (5, 7)]),
       st.integers(0, 2**32 - 1))
def test_band_keys_equal_the_reference(n, layout_, seed):
    bands, rows = layout_
    sig = np.random.default_rng(seed).integers(0, 2**32, size=(n, 128), dtype=np.uint32)
    got = band_keys(sig, bands, rows)
    assert got.dtype == np.int64
    assert got.tobytes() == _reference_band_keys(sig, bands, rows).tobytes()


def test_default_layout_band_keys_equal_the_reference():
    lay = layout(AuditConfig())
    sig = np.random.default_rng(1).integers(0, 2**32, size=(500, 128), dtype=np.uint32)
    assert band_keys(sig, lay["bands"], lay["rows"]).tobytes() == \
        _reference_band_keys(sig, lay["bands"], lay["rows"]).tobytes()
