"""Inverted lists packed into hash buckets: how the SQLite index stores band keys and fingerprints.

An inverted table of one row per (key, document) costs about 20 bytes a row in SQLite's B-tree
(92 MB of band keys and 76 MB of fingerprints at 100,000 paragraphs); packed, a posting costs
about 3 bytes. Each 64-bit key (an LSH band key, a winnowed fingerprint) is cut into a bucket
number, its top ``bits`` bits, and a residual, the ``residual`` bits below them
(:data:`RESIDUAL_BITS`); the rest of the key is dropped. A bucket is one row: its postings
(residual, document id) sorted and unique, stored as the residuals' differences and the
document ids, each array split into byte planes (all first bytes, then all second bytes, ...)
of which only those its largest value needs are kept, deflated (:func:`encode`, :func:`decode`).

``bits`` is chosen when an index is built so that a bucket holds about ``TARGET`` postings
(:func:`bucket_bits`): a lookup then inflates 4 KB per key whatever the size of the index.
A key meets a posting of another key with the same ``bits + residual`` bits about once in
``2 ** residual / TARGET`` lookups: once in 8 for a band key (the 3-bit sketches then drop the
other paragraph, :mod:`chachong.index.lookup`), once in 500 for a fingerprint (whose document is
then read). Such a chance hit costs a little work and never a wrong answer: the index verifies
every candidate against the document's own text. An index grown by ``add`` keeps the buckets of
its build; rebuilding it sizes them again.

>>> bucket, residual = split(np.array([7, 7, 1 << 42, -5], dtype=np.int64), 8, 14)
>>> bucket.tolist(), residual.tolist()
([0, 0, 0, 255], [0, 0, 1, 16383])
>>> data, n = encode(residual[:3], np.array([2, 1, 1]))
>>> [x.tolist() for x in decode(data, n, "x")]
[[0, 0, 1], [1, 2, 1]]
"""

from __future__ import annotations

import zlib

import numpy as np

from chachong.index.layout import IndexStoreError
from chachong.runtime.arrays import unique

RESIDUAL_BITS = {"bands": 12, "fingerprints": 18}  # key bits kept below the bucket bits
TARGET = 512  # postings per bucket at a build: 4 KB to inflate per lookup, rows over a 1 KB page
_MIN_BITS, _MAX_BITS = 6, 30


def bucket_bits(postings: int) -> int:
    """Bucket bits for an index of ``postings``: about :data:`TARGET` postings per bucket.

    >>> bucket_bits(0), bucket_bits(4_200_000), bucket_bits(42_000_000)
    (6, 13, 16)
    """
    need = max(postings, 1) / TARGET
    return int(min(_MAX_BITS, max(_MIN_BITS, round(float(np.log2(need))) if need > 1 else 0)))


def split(keys: np.ndarray, bits: int, residual: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ``int64``, residual ``uint32``) of 64-bit ``keys`` (any 8-byte integer dtype)."""
    k = np.ascontiguousarray(keys).view(np.uint64)
    bucket = (k >> np.uint64(64 - bits)).astype(np.int64)
    return bucket, ((k << np.uint64(bits)) >> np.uint64(64 - residual)).astype(np.uint32)


def _planes(a: np.ndarray, width: int) -> bytes:
    """The low ``width`` bytes of ``uint32`` values, plane by plane (all first bytes, then all second...)."""
    return np.ascontiguousarray(a.astype("<u4").view(np.uint8).reshape(-1, 4).T[:width]).tobytes()


def _unplane(raw: bytes, n: int, width: int) -> np.ndarray:
    planes = np.frombuffer(raw, np.uint8).reshape(width, n).astype(np.uint32)
    return (planes << (8 * np.arange(width, dtype=np.uint32))[:, None]).sum(axis=0, dtype=np.uint32)


def _width(v: np.ndarray) -> int:
    return max(1, (int(v.max()).bit_length() + 7) // 8) if v.size else 1


def merge(residual: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Postings sorted by (residual, document) and unique."""
    both = unique((residual.astype(np.uint64) << np.uint64(32)) | docs.astype(np.uint64))
    return (both >> np.uint64(32)).astype(np.uint32), (both & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def encode(residual: np.ndarray, docs: np.ndarray) -> tuple[bytes, int]:
    """One bucket's postings as stored (sorted and made unique first) and their number: the byte
    widths of the differences and of the ids (1-4 each), then the planes they need, deflated."""
    if docs.size and int(docs.max()) >= 1 << 32:
        raise IndexStoreError("more than 4,294,967,295 documents: the index cannot number them")
    r, d = merge(residual, docs)
    delta = np.diff(r, prepend=np.uint32(0))
    rw, dw = _width(delta), _width(d)
    return bytes((rw, dw)) + zlib.compress(_planes(delta, rw) + _planes(d, dw), 6), int(d.size)


def _inflate(data: bytes, n: int, where: str) -> tuple[bytes, int, int]:
    """The planes a bucket of ``n`` postings holds and their widths; inflates no more than they take."""
    rw, dw = (data[0], data[1]) if len(data) >= 2 else (0, 0)
    want = n * (rw + dw)
    try:
        if not (1 <= rw <= 4 and 1 <= dw <= 4):
            raise ValueError
        z = zlib.decompressobj()
        raw = z.decompress(data[2:], want)
        ok = len(raw) == want and z.eof and not z.unconsumed_tail
    except (zlib.error, ValueError):
        ok = False
    if not ok:
        raise IndexStoreError(f"{where}: damaged posting list; rebuild the index (chachong index build)")
    return raw, rw, dw


def decode(data: bytes, n: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` postings of a bucket: residuals (``uint32``, ascending) and document ids (``int64``).

    Inflates at most the ``8 n`` bytes the bucket can hold: a damaged or forged row raises
    :class:`IndexStoreError` instead of filling memory.
    """
    raw, rw, dw = _inflate(data, n, where)
    residual = np.cumsum(_unplane(raw[:rw * n], n, rw), dtype=np.uint32)
    return residual, _unplane(raw[rw * n:], n, dw).astype(np.int64)


def find(rows: list[tuple[int, int, bytes]], query: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (index into ``query``, document) for every posting of the buckets ``rows`` (``(bucket, n,
    data)``, in ascending bucket order) whose key ``bucket << 32 | residual`` equals a ``query`` key.

    One pass of numpy over all the buckets (a check reads about 1,600), not a dozen small calls
    each; the document ids are gathered only where a key matched.
    """
    if not rows or not query.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    parts = [_inflate(data, n, where) for _b, n, data in rows]
    buf = np.frombuffer(b"".join(p[0] for p in parts), np.uint8)
    n = np.array([r[1] for r in rows], dtype=np.int64)
    rw = np.repeat(np.array([p[1] for p in parts], dtype=np.int64), n)
    dw = np.repeat(np.array([p[2] for p in parts], dtype=np.int64), n)
    size = np.array([len(p[0]) for p in parts], dtype=np.int64)
    first = np.cumsum(n) - n  # index of each bucket's first posting
    at = np.repeat(np.cumsum(size) - size, n) + (np.arange(int(n.sum())) - np.repeat(first, n))
    step = np.repeat(n, n)
    last = max(buf.size - 1, 0)

    def plane_values(base: np.ndarray, rows_at: np.ndarray, width: np.ndarray) -> np.ndarray:
        out = buf[base].astype(np.uint64)
        for k in range(1, 4):
            here = width > k
            if here.any():
                byte = buf[np.minimum(base + k * rows_at, last)].astype(np.uint64) * here
                out |= byte << np.uint64(8 * k)
        return out

    sums = np.cumsum(plane_values(at, step, rw))  # residuals: each bucket's differences summed from its start
    residual = sums - np.repeat(np.concatenate(([0], sums[first[1:] - 1])).astype(np.uint64), n)
    keys = (np.repeat(np.array([r[0] for r in rows], dtype=np.uint64), n) << np.uint64(32)) | residual
    lo = np.searchsorted(keys, query, side="left")
    hi = np.searchsorted(keys, query, side="right")
    count = hi - lo
    rep = np.repeat(np.arange(query.size), count)
    pos = np.repeat(lo, count) + (np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count))
    return rep, plane_values(at[pos] + rw[pos] * step[pos], step[pos], dw[pos]).astype(np.int64)


__all__ = ["RESIDUAL_BITS", "TARGET", "bucket_bits", "decode", "encode", "find", "merge", "split"]
