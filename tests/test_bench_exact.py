"""The benchmark's exact all-pairs Jaccard join (benchmarks/exact_pairs.py) against brute force.

Recall and precision of chachong are measured against this join, so it must be exactly right:
every pair at or above the threshold, no other, with the exact Jaccard value.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from exact_pairs import ExactJoin, brute_force_pairs, exact_pairs, prefix_lengths


def _csr(sets: list[set[int]]) -> tuple[np.ndarray, np.ndarray]:
    # unsorted, as a caller might pass them: the join must not rely on sorted input
    vals = [np.array(sorted(s, reverse=True), dtype=np.uint32) for s in sets]
    offsets = np.concatenate(([0], np.cumsum([v.size for v in vals]))).astype(np.int64)
    return (np.concatenate(vals) if vals else np.zeros(0, np.uint32)), offsets


def _as_dict(a, b, j) -> dict[tuple[int, int], float]:
    return {(int(x), int(y)): float(z) for x, y, z in zip(a, b, j)}


def _families(rng: np.random.Generator, n_sets: int, universe: int) -> list[set[int]]:
    """Random sets, many of them edited copies of others, so every Jaccard range is populated."""
    sets: list[set[int]] = []
    for _ in range(n_sets):
        if sets and rng.random() < 0.6:
            base = list(sets[int(rng.integers(len(sets)))])
            drop = rng.random() * 0.6
            kept = {x for x in base if rng.random() >= drop}
            extra = set(rng.integers(0, universe, int(rng.integers(0, 1 + len(base) // 2))).tolist())
            sets.append(kept | extra)
        else:
            size = int(rng.integers(0, 60))
            sets.append(set(rng.integers(0, universe, size).tolist()))
    return sets


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_sets=st.integers(2, 300),
    universe=st.sampled_from([8, 50, 400, 1 << 32]),
    threshold=st.sampled_from([0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]) | st.floats(0.05, 1.0),
    with_groups=st.booleans(),
)
def test_exact_pairs_equal_brute_force(seed, n_sets, universe, threshold, with_groups):
    rng = np.random.default_rng(seed)
    sets = _families(rng, n_sets, min(universe, 1 << 32))
    groups = rng.integers(0, max(2, n_sets // 4), n_sets).tolist() if with_groups else None
    vals, offs = _csr(sets)
    got = _as_dict(*exact_pairs(vals, offs, threshold, groups=None if groups is None else np.array(groups)))
    want = brute_force_pairs(sets, threshold, groups)
    assert got.keys() == want.keys()
    for key, jac in want.items():
        assert got[key] == pytest.approx(jac, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), threshold=st.sampled_from([0.5, 0.8]))
def test_members_restrict_the_join(seed, threshold):
    rng = np.random.default_rng(seed)
    sets = _families(rng, 200, 300)
    members = np.flatnonzero(rng.random(len(sets)) < 0.5)
    vals, offs = _csr(sets)
    got = _as_dict(*exact_pairs(vals, offs, threshold, members=members))
    chosen = set(members.tolist())
    want = {k: v for k, v in brute_force_pairs(sets, threshold).items() if k[0] in chosen and k[1] in chosen}
    assert got.keys() == want.keys()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_join_answers_jaccard_of_any_member_pair(seed):
    rng = np.random.default_rng(seed)
    sets = [s or {0} for s in _families(rng, 120, 200)]
    vals, offs = _csr(sets)
    join = ExactJoin(vals, offs)
    a, b = rng.integers(0, len(sets), 300), rng.integers(0, len(sets), 300)
    want = [len(sets[x] & sets[y]) / len(sets[x] | sets[y]) for x, y in zip(a, b)]
    assert join.jaccard(a, b).tolist() == pytest.approx(want, abs=1e-12)
    # one ranking answers every threshold
    for t in (0.3, 0.8):
        assert _as_dict(*join.pairs(t)).keys() == brute_force_pairs(sets, t).keys()


def test_prefix_is_long_enough_at_float_boundaries():
    # 0.55 * 100 is 55.00000000000001 in binary floating point; a naive ceil would give 56 and a
    # prefix one token too short, losing pairs that share exactly 55 of 100 tokens
    assert prefix_lengths(np.array([100]), 0.55).tolist() == [46]
    x = set(range(100))
    y = set(range(45, 100))  # J = 55 / 100; tokens 0-44 are the rarest, so x's prefix must reach 45
    vals, offs = _csr([x, y])
    assert _as_dict(*exact_pairs(vals, offs, 0.55)) == {(0, 1): 0.55}


def test_identical_and_empty_sets():
    vals, offs = _csr([{1, 2, 3}, set(), {1, 2, 3}, {1, 2, 3}])
    assert _as_dict(*exact_pairs(vals, offs, 1.0)) == {(0, 2): 1.0, (0, 3): 1.0, (2, 3): 1.0}
    with pytest.raises(ValueError):
        exact_pairs(vals, offs, 0.0)
