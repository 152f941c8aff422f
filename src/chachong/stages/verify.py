"""Exact verification of candidate pairs on shingle sets (CSR, sorted and unique).

Intersections are counted for many pairs at once: the two sets of each pair are tagged
with the pair's number, sorted together, and equal neighbours counted.
"""

from __future__ import annotations

import numpy as np

_BATCH = 1 << 22  # elements per batch, bounds the temporary memory


def intersections(set_hashes: np.ndarray, set_offsets: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """|A ∩ B| for each pair (a, b) of set indices."""
    out = np.zeros(len(pairs), dtype=np.int64)
    if not len(pairs):
        return out
    sizes = np.diff(set_offsets)
    cost = sizes[pairs[:, 0]] + sizes[pairs[:, 1]]
    bounds = np.searchsorted(np.cumsum(cost), np.arange(_BATCH, int(cost.sum()) + _BATCH, _BATCH))
    lo = 0
    for hi in np.unique(np.append(bounds + 1, len(pairs))):
        hi = int(min(hi, len(pairs)))
        if hi <= lo:
            continue
        out[lo:hi] = _batch(set_hashes, set_offsets, sizes, pairs[lo:hi])
        lo = hi
    return out


def _gather(set_hashes, set_offsets, sizes, idx):
    lens = sizes[idx]
    total = int(lens.sum())
    starts = np.repeat(set_offsets[idx] - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    return set_hashes[np.arange(total) + starts], lens


def _batch(set_hashes, set_offsets, sizes, pairs):
    ha, la = _gather(set_hashes, set_offsets, sizes, pairs[:, 0])
    hb, lb = _gather(set_hashes, set_offsets, sizes, pairs[:, 1])
    pid = np.arange(len(pairs), dtype=np.uint64)
    keys = np.concatenate((
        (np.repeat(pid, la) << np.uint64(32)) | ha.astype(np.uint64),
        (np.repeat(pid, lb) << np.uint64(32)) | hb.astype(np.uint64),
    ))
    keys.sort()
    dup = keys[1:] == keys[:-1]
    return np.bincount((keys[1:][dup] >> np.uint64(32)).astype(np.int64), minlength=len(pairs))


def similarity(set_hashes: np.ndarray, set_offsets: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact Jaccard and containment (|A∩B| / min(|A|,|B|)) of each pair."""
    inter = intersections(set_hashes, set_offsets, pairs)
    sizes = np.diff(set_offsets)
    sa, sb = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    union = sa + sb - inter
    jac = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    cont = np.where(np.minimum(sa, sb) > 0, inter / np.maximum(np.minimum(sa, sb), 1), 1.0)
    return jac, cont


def estimated_jaccard(sig: np.ndarray, pairs: np.ndarray, batch: int = 200_000) -> np.ndarray:
    """MinHash estimate of Jaccard for each pair of signature rows."""
    out = np.empty(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), batch):
        p = pairs[lo:lo + batch]
        out[lo:lo + batch] = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
    return out
