"""LSH banding over MinHash signatures, in bulk with numpy.

LSH only proposes candidates; every reported pair is verified exactly afterwards, so the
banding is tuned for recall: :func:`choose_bands` picks the most selective (bands, rows)
whose probability of proposing a pair at the threshold Jaccard is at least 0.995.

>>> choose_bands(0.8, 128)
(21, 6)
>>> choose_bands(0.5, 128)
(42, 3)
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from chachong.runtime.arrays import unique
from chachong.runtime.threads import in_order
from chachong.runtime.workdir import WorkDir

_TARGET_RECALL = 0.995
_SPILL_PARTS = 8  # partitions of spilled band pairs (ranges of their first row)


def candidate_probability(j: float, bands: int, rows: int) -> float:
    """Probability that a pair with Jaccard ``j`` shares at least one band."""
    return 1.0 - (1.0 - j**rows) ** bands


def choose_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm, the largest ``rows`` reaching the target recall."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= _TARGET_RECALL:
            return bands, rows
    return num_perm, 1


def band_key(sig: np.ndarray, band: int, rows: int, subset: np.ndarray | None = None) -> np.ndarray:
    cols = sig[:, band * rows:(band + 1) * rows]
    cols = (cols if subset is None else cols[subset]).astype(np.uint64)
    rng = np.random.RandomState(1000 + band)
    mult = rng.randint(1, 1 << 62, size=rows, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        key = np.zeros(cols.shape[0], dtype=np.uint64)
        for j in range(rows):
            key = (key ^ (cols[:, j] * mult[j])) * np.uint64(0x9E3779B97F4A7C15)
    return key


def pairs_in_groups(order: np.ndarray, group_starts: np.ndarray, group_sizes: np.ndarray) -> np.ndarray:
    """All (i, j) pairs (i < j by value) within groups of ``order``; returns (n, 2) int64."""
    keep = group_sizes >= 2
    gs, sz = group_starts[keep], group_sizes[keep]
    if not gs.size:
        return np.zeros((0, 2), dtype=np.int64)
    npairs = sz * (sz - 1) // 2
    total = int(npairs.sum())
    g = np.repeat(np.arange(gs.size), npairs)
    # rank of each pair within its group -> (x, y) with 0 <= x < y < size
    rank = np.arange(total) - np.repeat(np.cumsum(npairs) - npairs, npairs)
    m = sz[g]
    # invert rank = x*(2m-x-1)/2 + (y-x-1)
    x = np.floor(((2 * m - 1) - np.sqrt((2 * m - 1) ** 2 - 8 * rank)) / 2).astype(np.int64)
    # correct floating error
    base = x * (2 * m - x - 1) // 2
    over = base > rank
    x[over] -= 1
    base = x * (2 * m - x - 1) // 2
    under = rank - base >= (m - x - 1)
    x[under] += 1
    base = x * (2 * m - x - 1) // 2
    y = rank - base + x + 1
    a = order[gs[g] + x]
    b = order[gs[g] + y]
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


def pairs_across(items: np.ndarray, keys: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """All pairs of ``items`` with equal ``keys`` and different ``owners``: (n, 2), smaller item first.

    Unlike :func:`pairs_in_groups` followed by a filter, the pairs of one owner with itself
    are never made: a paragraph repeated 4,000 times in one document costs nothing, where all
    its pairs would be 8 million rows.

    >>> pairs_across(np.array([10, 11, 12, 13]), np.array([7, 7, 7, 8]), np.array([0, 0, 1, 1])).tolist()
    [[10, 12], [11, 12]]
    """
    if items.size < 2:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((owners, keys))
    k, o, it = keys[order], owners[order], items[order]
    n = k.size
    new_key = np.ones(n, dtype=bool)
    new_key[1:] = k[1:] != k[:-1]
    new_owner = new_key.copy()
    new_owner[1:] |= o[1:] != o[:-1]
    key_start = np.flatnonzero(new_key)
    key_end = np.append(key_start[1:], n)[np.cumsum(new_key) - 1]  # end of each row's key run
    owner_start = np.flatnonzero(new_owner)
    owner_end = np.append(owner_start[1:], n)[np.cumsum(new_owner) - 1]  # end of each row's owner block
    # each row pairs with every row after its owner block, up to the end of its key run
    counts = key_end - owner_end
    total = int(counts.sum())
    if total == 0:
        return np.zeros((0, 2), dtype=np.int64)
    first = np.repeat(np.arange(n), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    second = np.repeat(owner_end, counts) + offset
    a, b = it[first], it[second]
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1).astype(np.int64)


def repeated(keys: np.ndarray) -> np.ndarray:
    """Which rows hold a key that another row holds too (one sort: most keys are unique and pair nothing).

    64-bit keys are sorted as values, not through an ``argsort`` (numpy sorts values 5-6 times faster
    than it sorts indices): each key's low bits are replaced by its row number, so the sorted values
    say which row each came from, and rows next to each other with the same high bits hold the same
    key unless two keys differ in their low bits only (rare for hashes: about n²/2**(65 - bits) pairs,
    0.03 at a million rows), checked on the full keys; such runs are decided by :func:`_repeated_argsort`
    of their rows alone.
    Other keys take that one. (:func:`band_pairs`' sort and top-bit table, which looks up only the rows
    that may hold a repeated key, costs twice as much in the Dask engine's buckets, where a third to a
    half of the rows repeat.)

    >>> repeated(np.array([4, 9, 4, 1])).tolist()
    [True, False, True, False]
    >>> repeated(np.array([4, 9, 4, 1], np.uint64)).tolist()
    [True, False, True, False]
    """
    n = keys.size
    bits = max(1, (n - 1).bit_length())
    if n < 2 or keys.dtype.itemsize != 8 or keys.dtype.kind not in "iu" or bits > 32:
        return _repeated_argsort(keys)
    full = np.ascontiguousarray(keys).view(np.uint64)
    low = np.uint64((1 << bits) - 1)
    packed = full & ~low
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    row = (packed & low).astype(np.intp)
    packed >>= np.uint64(bits)
    same = packed[1:] == packed[:-1]  # the same high bits: the same key, or one differing in its low bits
    del packed
    key = full[row]
    equal = key[1:] == key[:-1]
    m = np.zeros(n, dtype=bool)
    m[1:] |= equal
    m[:-1] |= equal
    mixed = same & ~equal
    if mixed.any():
        # a run of equal high bits with different keys (A, B, A in row order): decided on its full keys
        run = np.concatenate(([0], np.cumsum(~same)))
        bad = np.zeros(int(run[-1]) + 1, dtype=bool)
        bad[run[1:][mixed]] = True
        sel = bad[run]
        m[sel] = _repeated_argsort(key[sel])
    out = np.empty(n, dtype=bool)
    out[row] = m
    return out


def _repeated_argsort(keys: np.ndarray) -> np.ndarray:
    """:func:`repeated` of any keys, through an ``argsort`` (any order of equal keys gives the same
    answer: numpy's default argsort is 10-15 % faster than a stable one)."""
    order = np.argsort(keys)
    k = keys[order]
    same = k[1:] == k[:-1]
    m = np.zeros(k.size, dtype=bool)
    m[1:] |= same
    m[:-1] |= same
    out = np.empty(k.size, dtype=bool)
    out[order] = m
    return out


def groups_of(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort ``keys``; return (order, group starts, group sizes) of equal-key runs."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    if not k.size:
        return order, np.zeros(0, np.int64), np.zeros(0, np.int64)
    brk = np.flatnonzero(k[1:] != k[:-1]) + 1
    starts = np.concatenate(([0], brk))
    sizes = np.diff(np.concatenate((starts, [k.size])))
    return order, starts, sizes


def band_pairs(keys: np.ndarray) -> np.ndarray:
    """Pair codes ``i * n + j`` (i < j) of the rows with equal ``keys``, sorted and unique.

    Nearly every band key is in one row only: one plain sort finds the repeated values, a
    bit table on their top bits picks the few rows that may hold one, and only those rows
    are looked up exactly and ordered (an argsort, or a search of every row, of all rows
    cost more than the sort). The rule of one LSH bucket: :func:`candidates` runs it on each
    band of a corpus, the Dask engine on each band's rows of a bucket of its shuffle.

    >>> band_pairs(np.array([7, 3, 7, 7, 5], np.uint64)).tolist()  # rows 0, 2, 3: codes i * 5 + j
    [2, 3, 13]
    """
    n = keys.size
    s = np.sort(keys)
    rep = s[1:][s[1:] == s[:-1]]
    if not rep.size:
        return np.zeros(0, dtype=np.int64)
    rep = unique(rep)
    shift = np.uint64(64 - max(16, min(26, (8 * rep.size).bit_length())))
    table = np.zeros(1 << (64 - int(shift)), dtype=bool)
    table[rep >> shift] = True
    rows = np.flatnonzero(table[keys >> shift])
    at = np.minimum(np.searchsorted(rep, keys[rows]), rep.size - 1)
    rows = rows[rep[at] == keys[rows]]
    order, starts, sizes = groups_of(keys[rows])
    p = pairs_in_groups(rows[order], starts, sizes)
    return unique(p[:, 0] * n + p[:, 1])


def code_bounds(n: int, parts: int) -> np.ndarray:
    """Bounds splitting pair codes ``a * n + b`` (a < b < n) into ``parts`` ranges of ``a``: the
    partitions of spilled pair rows, in ascending order of code.

    >>> code_bounds(10, 4).tolist()
    [30, 60, 90]
    """
    return (np.arange(1, parts, dtype=np.int64) * -(-n // parts)) * n


def candidates(sig: np.ndarray, bands: int, rows: int, rows_of: np.ndarray | None = None,
               threads: int = 1, subset: np.ndarray | None = None,
               spill: WorkDir | None = None) -> np.ndarray:
    """Candidate pairs (n, 2) of row indices of ``sig`` sharing at least one band; unique, sorted.

    ``rows_of`` maps the rows of ``sig`` to the ids to emit (default: identity). The bands
    are independent and their numpy sorts release the GIL: ``threads`` of them run at once.
    ``subset`` (row numbers) bands only those rows of ``sig``, numbered by their place in
    ``subset``, without a copy of their signatures. With ``spill`` (a work folder) each band's
    pairs go to Parquet partitions by their first row and each partition is de-duplicated in
    turn, instead of all bands' pairs at once: the same result.

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 6, 7, 8]], dtype=np.uint32)
    >>> candidates(sig, 2, 2).tolist()
    [[0, 1], [0, 2]]
    """
    n = sig.shape[0] if subset is None else subset.size

    def band_codes(band: int) -> np.ndarray:
        return band_pairs(band_key(sig, band, rows, subset))

    parts = None if spill is None or not spill.usable else spill.partitions(_SPILL_PARTS, {"code": np.int64})
    bounds = code_bounds(n, _SPILL_PARTS)

    def gather(found: Iterator[np.ndarray]) -> list[np.ndarray]:
        if parts is None:
            return [c for c in found if c.size]
        for c in found:
            parts.split(c, bounds, code=c)
        parts.close()
        # the partitions are ranges of codes: their distinct codes in turn are all, in order
        return list(in_order(lambda p: unique(parts.take(p)["code"]), range(parts.count), threads))

    if threads > 1 and bands > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(threads, bands)) as pool:
            found = gather(pool.map(band_codes, range(bands)))
    else:
        found = gather(map(band_codes, range(bands)))
    found = [c for c in found if c.size]
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    # each band's codes are already distinct: the concatenation is at most bands x the result
    codes = unique(np.concatenate(found)) if parts is None else np.concatenate(found)
    out = np.stack([codes // n, codes % n], axis=1)
    if rows_of is not None:
        out = rows_of[out]
        out = np.sort(out, axis=1)
    return out


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The LSH keys of the first ``bands`` bands of ``rows`` values of every signature row: (n, bands)
    uint64, column ``b`` being :func:`band_key` of band ``b`` (the keys the reference index stores).

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    >>> keys = band_keys(sig, 2, 2)
    >>> keys.shape, bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 1] == keys[1, 1])
    ((2, 2), True, False)
    """
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for b in range(bands):
        out[:, b] = band_key(sig, b, rows)
    return out
