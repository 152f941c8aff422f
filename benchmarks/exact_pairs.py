"""Exact all-pairs Jaccard similarity join, the ground truth the benchmark's recall is measured on.

Computed independently of chachong's LSH, fingerprints and verification: a prefix-filtering
similarity join (Chaudhuri et al. 2006; Bayardo et al. 2007) written with numpy.

- Tokens are ordered by global frequency over the sets taking part, rare first (ties by value).
- If J(x, y) >= t then |x ∩ y| >= ceil(t * |x|), so the first ``|x| - ceil(t|x|) + 1`` tokens of x in
  that order (its prefix) must meet y's prefix. Candidates are the pairs sharing a prefix token; as
  prefixes hold the rarest tokens, few pairs share one.
- Length filter: J(x, y) >= t needs min(|x|, |y|) >= t * max(|x|, |y|).
- Every candidate is verified by counting its exact intersection.

Sets are given in CSR layout (``values[offsets[i]:offsets[i + 1]]`` is set i), like
``chachong.stages.prepare.Corpus.set_hashes``/``set_offsets``. Duplicate values inside a set are ignored.

>>> vals = np.array([1, 2, 3, 4,  1, 2, 3, 5,  7, 8], dtype=np.uint32)
>>> offs = np.array([0, 4, 8, 10])
>>> a, b, j = exact_pairs(vals, offs, 0.5)
>>> [(int(x), int(y), float(z)) for x, y, z in zip(a, b, j)]
[(0, 1, 0.6)]
>>> len(exact_pairs(vals, offs, 0.5, groups=np.array([0, 0, 1]))[0])  # same group: not a pair
0
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-9  # t * |x| computed in floating point may land a hair above an integer; never shorten a prefix
_PAIR_BATCH = 1 << 23  # candidate pairs materialised at once (a few hundred MB at most)
_VERIFY_BATCH = 1 << 23  # tokens gathered per verification batch


def prefix_lengths(sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Prefix length ``|x| - ceil(t|x|) + 1`` of each set size, at least 1 and at most ``|x|``.

    >>> prefix_lengths(np.array([1, 4, 10, 150]), 0.8).tolist()
    [1, 1, 3, 31]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    need = np.ceil(threshold * sizes - _EPS).astype(np.int64)
    return np.clip(sizes - need + 1, 1, np.maximum(sizes, 1))


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    x = np.sort(x)
    if x.size < 2:
        return x
    keep = np.ones(x.size, dtype=bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def _ranked_sets(values: np.ndarray, offsets: np.ndarray, members: np.ndarray):
    """The chosen sets re-encoded as global frequency ranks, each sorted ascending (rarest first).

    Returns (ranks, set index local to ``members``, CSR offsets, sizes).
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    lens = offsets[members + 1] - offsets[members]
    total = int(lens.sum())
    seg = np.repeat(np.arange(members.size, dtype=np.int64), lens)
    first = np.concatenate(([0], np.cumsum(lens)[:-1]))
    src = np.arange(total, dtype=np.int64) - np.repeat(first - offsets[members], lens)
    vals = np.asarray(values)[src].astype(np.uint64)
    if vals.size and int(vals.max()) >= 1 << 32:
        raise ValueError("set values must fit in 32 bits")
    # (set, value) packed in one uint64: a plain sort is far faster than lexsort or np.unique
    key = _sorted_unique((seg.astype(np.uint64) << np.uint64(32)) | vals)  # drops repeats within a set
    seg = (key >> np.uint64(32)).astype(np.int64)
    vals = key & np.uint64(0xFFFFFFFF)
    del key
    by_value = np.argsort(vals, kind="stable")
    v = vals[by_value]
    starts = np.concatenate(([0], np.flatnonzero(v[1:] != v[:-1]) + 1))
    counts = np.diff(np.append(starts, v.size))
    value_id = np.empty(vals.size, dtype=np.int64)
    value_id[by_value] = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
    del by_value, v
    # distinct values are already in value order, so a stable sort by count breaks ties by value
    rank_of = np.empty(starts.size, dtype=np.int64)
    rank_of[np.argsort(counts, kind="stable")] = np.arange(starts.size)
    ranks = rank_of[value_id]
    key = np.sort((seg.astype(np.uint64) << np.uint64(32)) | ranks.astype(np.uint64))
    seg = (key >> np.uint64(32)).astype(np.int64)
    ranks = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
    del key
    sizes = np.bincount(seg, minlength=members.size).astype(np.int64)
    offs = np.zeros(members.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offs[1:])
    return ranks, seg, offs, sizes


def _candidate_codes(ranks, seg, offs, sizes, threshold, groups):
    """Unique codes ``a * n + b`` (a < b, local indices) of pairs sharing a prefix token."""
    n = sizes.size
    pos = np.arange(ranks.size, dtype=np.int64) - offs[seg]
    in_prefix = pos < prefix_lengths(sizes, threshold)[seg]
    tok, who = ranks[in_prefix], seg[in_prefix]
    order = np.lexsort((who, tok))
    tok, who = tok[order], who[order]
    # entry e pairs with the later entries of its token's run: run_end[e] - e - 1 of them
    brk = np.flatnonzero(tok[1:] != tok[:-1]) + 1
    run_end = np.repeat(np.append(brk, tok.size), np.diff(np.concatenate(([0], brk, [tok.size]))))
    count = run_end - np.arange(tok.size) - 1
    cum = np.cumsum(count)
    found = []
    lo = 0
    while lo < tok.size:
        base = int(cum[lo - 1]) if lo else 0
        hi = int(np.searchsorted(cum, base + _PAIR_BATCH, side="right"))
        hi = max(hi, lo + 1)
        cnt = count[lo:hi]
        total = int(cnt.sum())
        if total:
            left = np.repeat(np.arange(lo, hi, dtype=np.int64), cnt)
            step = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            right = left + 1 + step
            a, b = who[left], who[right]
            ok = a != b
            if groups is not None:
                ok &= groups[a] != groups[b]
            sa, sb = sizes[a], sizes[b]
            ok &= np.minimum(sa, sb) >= threshold * np.maximum(sa, sb) - _EPS
            a, b = a[ok], b[ok]
            found.append(_sorted_unique(np.minimum(a, b) * n + np.maximum(a, b)))
        lo = hi
    if not found:
        return np.zeros(0, dtype=np.int64)
    return _sorted_unique(np.concatenate(found))


def _intersections(ranks, offs, sizes, a, b):
    """|x ∩ y| of each pair by sorting the pair-tagged tokens of both sets together."""
    out = np.zeros(a.size, dtype=np.int64)
    width = int(ranks.max()) + 1 if ranks.size else 1  # tag * width + rank is unique per (pair, token)
    cost = np.cumsum(sizes[a] + sizes[b])
    lo = 0
    while lo < a.size:
        base = int(cost[lo - 1]) if lo else 0
        hi = max(int(np.searchsorted(cost, base + _VERIFY_BATCH, side="right")), lo + 1)
        tag = np.arange(hi - lo, dtype=np.int64)
        keys = []
        for side in (a[lo:hi], b[lo:hi]):
            lens = sizes[side]
            idx = np.repeat(offs[side] - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
            idx += np.arange(int(lens.sum()), dtype=np.int64)
            keys.append(np.repeat(tag, lens) * width + ranks[idx])
        k = np.sort(np.concatenate(keys))
        same = k[1:] == k[:-1]
        out[lo:hi] = np.bincount(k[1:][same] // width, minlength=hi - lo)
        lo = hi
    return out


class ExactJoin:
    """The sets ranked once; exact pairs at any threshold, and exact Jaccard of any member pair.

    ``members`` restricts the join to these set indices (default: every non-empty set);
    ``groups`` (one label per set, indexed like the sets) drops pairs whose two sets share a label,
    e.g. two paragraphs of one document.
    """

    def __init__(self, values: np.ndarray, offsets: np.ndarray, *, members: np.ndarray | None = None,
                 groups: np.ndarray | None = None) -> None:
        offsets = np.asarray(offsets, dtype=np.int64)
        all_sizes = np.diff(offsets)
        members = np.flatnonzero(all_sizes > 0) if members is None else np.asarray(members, dtype=np.int64)
        self.members = members[all_sizes[members] > 0]
        self.groups = None if groups is None else np.asarray(groups)[self.members]
        self.local = np.full(all_sizes.size, -1, dtype=np.int64)
        self.local[self.members] = np.arange(self.members.size)
        if self.members.size:
            self.ranks, self.seg, self.offs, self.sizes = _ranked_sets(values, offsets, self.members)
        else:
            self.ranks = self.seg = self.sizes = np.zeros(0, np.int64)
            self.offs = np.zeros(1, np.int64)

    def _candidates(self, threshold: float) -> np.ndarray:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        if self.members.size < 2:
            return np.zeros(0, dtype=np.int64)
        return _candidate_codes(self.ranks, self.seg, self.offs, self.sizes, threshold, self.groups)

    def candidate_count(self, threshold: float) -> int:
        """How many candidate pairs the prefix and length filters leave to verify."""
        return int(self._candidates(threshold).size)

    def pairs(self, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair (a < b) of members with exact Jaccard >= ``threshold``: (a, b, jaccard), sorted."""
        codes = self._candidates(threshold)
        n = self.members.size
        a, b = codes // max(n, 1), codes % max(n, 1)
        inter = _intersections(self.ranks, self.offs, self.sizes, a, b)
        jac = inter / (self.sizes[a] + self.sizes[b] - inter) if a.size else np.zeros(0)
        keep = jac >= threshold - _EPS
        a, b, jac = self.members[a[keep]], self.members[b[keep]], jac[keep]
        order = np.lexsort((b, a))
        return a[order], b[order], jac[order]

    def jaccard(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Exact Jaccard of member pairs given by set index (any group, any similarity)."""
        la, lb = self.local[np.asarray(a, np.int64)], self.local[np.asarray(b, np.int64)]
        if np.any(la < 0) or np.any(lb < 0):
            raise ValueError("jaccard() takes members of the join only")
        inter = _intersections(self.ranks, self.offs, self.sizes, la, lb)
        return inter / (self.sizes[la] + self.sizes[lb] - inter)


def exact_pairs(
    values: np.ndarray,
    offsets: np.ndarray,
    threshold: float,
    *,
    members: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (a < b) of sets with exact Jaccard >= ``threshold``; returns (a, b, jaccard).

    ``members`` and ``groups`` as for :class:`ExactJoin`. Indices returned are set indices, sorted.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    return ExactJoin(values, offsets, members=members, groups=groups).pairs(threshold)


def brute_force_pairs(sets: list[set], threshold: float, groups: list | None = None) -> dict[tuple[int, int], float]:
    """Reference by definition (quadratic; for tests): {(a, b): jaccard} for every qualifying pair."""
    out = {}
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            if not sets[i] or not sets[j] or (groups is not None and groups[i] == groups[j]):
                continue
            jac = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            if jac >= threshold - _EPS:
                out[(i, j)] = jac
    return out

