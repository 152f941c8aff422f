"""The prepared corpus: documents plus the numeric features every later stage reads.

Everything per character or per shingle lives in flat numpy arrays (CSR layout), never in
Python objects per shingle, so a 90-million-character corpus fits in a few GB:

- ``cps``: canonical code points of all documents, concatenated;
- ``orig_start``/``orig_end``: for each canonical character, its span in its document text
  (``orig_end`` as :class:`Ends`: only where it is not ``orig_start + 1``);
- ``doc_offsets``: document d's canonical characters are ``cps[doc_offsets[d]:doc_offsets[d+1]]``;
- ``par_doc``, ``par_bounds``: each paragraph's document index and canonical [start, end);
- ``set_hashes``/``set_offsets``: each paragraph's shingle hashes, sorted and unique;
- ``signatures``: MinHash signatures (n_paragraphs, num_perm).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from chachong.config import AuditConfig
from chachong.model import Document
from chachong.runtime.arrays import range_indices, unique
from chachong.runtime.heap import trim_heap
from chachong.runtime.workdir import WorkDir
from chachong.text.normalize import canonicalize_array, codepoints
from chachong.text.shingle import segment_kgrams, word_shingles
from chachong.stages.sign import available_cores, signatures


_ENDS_PIECE = 1 << 20


def _end_exceptions(start: np.ndarray, end: np.ndarray, base: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The positions (plus ``base``) whose original end is not their start + 1, and those ends:
    what :class:`Ends` holds."""
    at = np.flatnonzero(end != start + 1)
    return at + base, end[at]


def _joined_exceptions(parts: list[tuple[np.ndarray, np.ndarray]], dtype) -> tuple[np.ndarray, np.ndarray]:
    """Pieces' :func:`_end_exceptions`, in order, joined."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, dtype)
    return (np.concatenate([p[0] for p in parts]).astype(np.int64, copy=False),
            np.concatenate([p[1] for p in parts]).astype(dtype, copy=False))


class Ends:
    """``orig_end`` held as the exceptions to ``orig_start + 1``: indexed like the array it stands for.

    Nearly every canonical character stands for one character of the text; only a masked run of
    digits or a placeholder stands for several (about 1 % of them). Holding those few saves an
    array as large as ``cps`` (335 MB at 90 million characters).

    >>> ends = Ends(np.array([0, 1, 5, 6], np.int32), np.array([1, 5, 6, 9], np.int32))
    >>> int(ends[1]), int(ends[-1]), ends[1:3].tolist(), ends[np.array([3, 0])].tolist(), len(ends)
    (5, 9, [5, 6], [9, 1], 4)
    """

    def __init__(self, start: np.ndarray, end: np.ndarray) -> None:
        # a piece at a time: whole-array temporaries (1.3 GB at 90 M characters, each page new to
        # the process) took 1.3 s; reused pieces take 0.07 s
        self._hold(start, *_joined_exceptions(
            [_end_exceptions(start[lo:lo + _ENDS_PIECE], end[lo:lo + _ENDS_PIECE], lo)
             for lo in range(0, start.size, _ENDS_PIECE)], end.dtype))

    @classmethod
    def of_exceptions(cls, start: np.ndarray, at: np.ndarray, end: np.ndarray) -> "Ends":
        """The ends whose exceptions are known already: positions ``at`` (ascending) end at ``end``
        (the others at their start + 1). :func:`prepare` finds them batch by batch, so the whole
        array of ends is never made (a first touch of 4 bytes per character, freed at once).

        >>> e = Ends.of_exceptions(np.array([0, 1, 5, 6], np.int32), np.array([1, 3]), np.array([5, 9], np.int32))
        >>> e[:].tolist() == Ends(np.array([0, 1, 5, 6], np.int32), np.array([1, 5, 6, 9], np.int32))[:].tolist()
        True
        """
        ends = cls.__new__(cls)
        ends._hold(start, at, end)
        return ends

    def _hold(self, start: np.ndarray, at: np.ndarray, end: np.ndarray) -> None:
        """Keep ``start`` and the exceptions: positions ``at`` end at ``end``."""
        self.start = start
        self._at = at.astype(np.int64, copy=False)
        self._end = end
        # which positions are exceptions: 1 bit each (little-endian within a byte, as np.packbits)
        self._bits = np.zeros((start.size + 7) // 8, dtype=np.uint8)
        if at.size:
            byte = self._at >> 3
            first = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
            self._bits[byte[first]] = np.bitwise_or.reduceat(np.left_shift(1, self._at & 7).astype(np.uint8), first)

    def __len__(self) -> int:
        return self.start.size

    def exceptions_of(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The exceptions among the positions of each range ``[lo[i], hi[i])``, concatenated in the ranges'
        order: the positions less their range's ``lo``, their ends, and how many each range holds
        (:meth:`of_exceptions` takes them back, e.g. documents sent to another Dask worker).

        >>> ends = Ends(np.array([0, 1, 5, 6], np.int32), np.array([1, 5, 6, 9], np.int32))
        >>> [x.tolist() for x in ends.exceptions_of(np.array([3, 1, 0]), np.array([4, 4, 1]))]
        [[0, 0, 2], [9, 5, 9], [1, 2, 0]]
        >>> [x.tolist() for x in ends.exceptions_of(np.array([2]), np.array([3]))]
        [[], [], [0]]
        """
        lo = np.asarray(lo, np.int64)
        hi = np.maximum(lo, np.asarray(hi, np.int64))
        j0, j1 = np.searchsorted(self._at, lo), np.searchsorted(self._at, hi)
        counts = j1 - j0
        at = range_indices(j0, counts)
        return self._at[at] - np.repeat(lo, counts), self._end[at], counts

    @property
    def size(self) -> int:
        return self.start.size

    @property
    def nbytes(self) -> int:
        return self._bits.nbytes + self._at.nbytes + self._end.nbytes

    @property
    def dtype(self) -> np.dtype:
        return self.start.dtype

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def __getitem__(self, i):
        n = self.start.size
        if not isinstance(i, (int, np.integer, slice)) and np.ndim(i) == 0:
            i = int(i)  # a 0-d array: one position too
        if isinstance(i, (int, np.integer)):  # the common case first: one position (describe, per edit)
            k = int(i)
            k += n if k < 0 else 0
            if not 0 <= k < n:
                raise IndexError(f"index {int(i)} is out of bounds for size {n}")
            if (int(self._bits[k >> 3]) >> (k & 7)) & 1:
                return self._end[int(np.searchsorted(self._at, k))]
            return self.start[k] + 1
        if isinstance(i, slice):
            lo, hi, step = i.indices(n)
            if step == 1:
                out = self.start[lo:hi] + 1
                j0, j1 = np.searchsorted(self._at, [lo, max(lo, hi)])
                out[self._at[j0:j1] - lo] = self._end[j0:j1]
                return out
            idx = np.arange(lo, hi, step, dtype=np.int64)
        else:
            idx = np.asarray(i, dtype=np.int64)
            idx = np.where(idx < 0, idx + n, idx)
        out = self.start[idx] + 1
        wide = np.flatnonzero((self._bits[idx >> 3] >> (idx & 7).astype(np.uint8)) & 1)
        if wide.size:
            out.ravel()[wide] = self._end[np.searchsorted(self._at, idx.ravel()[wide])]
        return out


@dataclass
class Corpus:
    documents: list[Document]
    config: AuditConfig
    cps: np.ndarray
    orig_start: np.ndarray
    orig_end: "np.ndarray | Ends"
    doc_offsets: np.ndarray
    par_doc: np.ndarray
    par_bounds: np.ndarray
    set_hashes: np.ndarray
    set_offsets: np.ndarray
    signatures: np.ndarray
    # the work folder of an audit larger than memory (its big arrays are files there), or None
    work: WorkDir | None = None

    @property
    def n_paragraphs(self) -> int:
        return len(self.par_doc)

    def paragraph(self, i: int):
        d = self.documents[int(self.par_doc[i])]
        return d.paragraphs[i - self._par_first[int(self.par_doc[i])]]

    def paragraph_id(self, i: int) -> str:
        """Paragraph ``i``'s id, without making its record."""
        d = int(self.par_doc[i])
        return self.documents[d].paragraphs.id_at(i - int(self._par_first[d]))

    def __post_init__(self) -> None:
        counts = np.array([len(d.paragraphs) for d in self.documents], dtype=np.int64)
        self._par_first = np.concatenate(([0], np.cumsum(counts)))[:-1]

    @property
    def par_first(self) -> np.ndarray:
        """Global index of each document's first paragraph."""
        return self._par_first

    @property
    def paragraph_ids(self) -> Sequence[str]:
        """Each paragraph's id by its index in the corpus (made when read: the stages read a few)."""
        return _ParagraphIds(self)

    def release_signatures(self) -> None:
        """Free the paragraphs' MinHash signatures (300 MB at 600,000 paragraphs) once pairing
        has used them; the next use (a re-threshold below the first, an index) computes them
        again, the same, from the shingle sets."""
        self.__dict__.pop("signatures", None)

    def __getattr__(self, name: str):
        # only called for a missing attribute: released signatures are computed again
        if name == "signatures" and "set_hashes" in self.__dict__:
            sig = signatures(self.set_hashes, self.set_offsets, self.config.num_perm, self.config.seed,
                             out=_signature_array(self.n_paragraphs, self.config, self.__dict__.get("work")))
            self.signatures = sig
            return sig
        raise AttributeError(name)

    def with_config(self, config: AuditConfig) -> "Corpus":
        """The same prepared arrays under other pairing settings (signature settings must agree)."""
        if config.signature_key() != self.config.signature_key():
            raise ValueError("signature settings differ; prepare the corpus again")
        return dataclasses.replace(self, config=config)

    def canonical_text(self, i: int) -> str:
        s, e = self.par_bounds[i]
        return self.cps[s:e].astype("<u4").tobytes().decode("utf-32-le")

    def paragraph_set(self, i: int) -> np.ndarray:
        return self.set_hashes[self.set_offsets[i]:self.set_offsets[i + 1]]

    def canonical_length(self) -> np.ndarray:
        return (self.par_bounds[:, 1] - self.par_bounds[:, 0]).astype(np.int64)

    def to_original(self, lo: int, hi: int) -> tuple[int, int]:
        """Global canonical [lo, hi) -> original [start, end) in its document's text."""
        return int(self.orig_start[lo]), int(self.orig_end[hi - 1])


_BATCH_CHARS = 1 << 20  # characters per batch of documents prepared together (~50 MB of temporaries)


_LONG_SEGMENT = 256  # shingles above which a segment is sorted on its own


def unique_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort and de-duplicate each CSR segment.

    Short segments (paragraphs) of about the same size are sorted as the rows of one 2-D
    array, padded to a power of two with the largest value: numpy sorts many short rows with
    sorting networks, 20 times faster per hash than one sort of (segment << 32 | hash) keys.
    The first ``size`` values of a sorted padded row are the sorted segment, whatever its
    values. Segments longer than ``_LONG_SEGMENT`` (documents) are sorted one at a time:
    numpy's vectorised 1-D sort beats the padded rows there by 2-3 times, and needs no
    temporaries of the batch's size.
    """
    n = len(offsets) - 1
    sizes = np.diff(offsets)
    width = np.left_shift(1, np.ceil(np.log2(np.maximum(sizes, 8))).astype(np.int64))
    counts = np.zeros(n, dtype=np.int64)
    rows_of, sorted_of = [], []
    long_rows: list[int] = []
    long_sorted: list[np.ndarray] = []
    for w in np.unique(width).tolist():
        rows = np.flatnonzero(width == w)
        size = sizes[rows]
        if w > _LONG_SEGMENT:
            for r in rows.tolist():
                # runtime.arrays.unique (a sort and its neighbours), not np.unique: numpy 2.3+
                # de-duplicates uint32 with a hash table there, 20x slower on millions of values
                seg = unique(hashes[offsets[r]:offsets[r + 1]])
                long_rows.append(r)
                long_sorted.append(seg)
                counts[r] = seg.size
            continue
        block = np.full((rows.size, w), 0xFFFFFFFF, dtype=np.uint32)
        first = np.zeros(rows.size, dtype=np.int64)  # each segment's first place in the rows' hashes
        np.cumsum(size[:-1], out=first[1:])
        place = np.arange(int(size.sum()))
        block.ravel()[place + np.repeat(np.arange(0, rows.size * w, w) - first, size)] = \
            hashes[place + np.repeat(offsets[rows] - first, size)]
        del place
        block.sort(axis=1)
        keep = np.empty(block.shape, dtype=bool)
        keep[:, 0] = True
        np.not_equal(block[:, 1:], block[:, :-1], out=keep[:, 1:])
        keep &= np.arange(w) < size[:, None]
        counts[rows] = keep.sum(axis=1)
        rows_of.append(rows)
        sorted_of.append(block[keep])
    out_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=out_off[1:])
    out = np.empty(int(out_off[-1]), dtype=np.uint32)
    for rows, values in zip(rows_of, sorted_of):
        c = counts[rows]
        first = np.zeros(rows.size, dtype=np.int64)
        np.cumsum(c[:-1], out=first[1:])
        out[np.repeat(out_off[rows] - first, c) + np.arange(values.size)] = values
    starts = out_off[long_rows].tolist()
    for r0, seg in zip(starts, long_sorted):
        out[r0:r0 + seg.size] = seg
    return out, out_off


@dataclass
class _Batch:
    """Prepared arrays of documents [d0, d1): offsets local to the batch or to each document."""

    cps: np.ndarray  # canonical code points
    starts: np.ndarray  # original start of each canonical character, in its document's text
    end_at: np.ndarray  # the characters whose original end is not their start + 1 (Ends), and those ends
    end_val: np.ndarray
    doc_sizes: np.ndarray  # canonical characters per document
    bounds: np.ndarray  # (paragraphs, 2) canonical [start, end), batch-local
    set_hashes: np.ndarray  # sorted unique shingle hashes per paragraph
    set_counts: np.ndarray


def _prepare_batch(docs: list[Document], config: AuditConfig, off_t: type) -> _Batch:
    """Normalise and shingle a batch of documents with one pass of each numpy step.

    The documents' texts are canonicalised as one array with a break at each document
    start, which gives the same result as one document at a time (see
    :func:`chachong.text.normalize.canonicalize_array`). Paragraphs are whole lines, so each one's
    canonical bounds are found by searching its original offsets among the canonical
    characters' original starts.
    """
    lengths = np.fromiter((len(d.text) for d in docs), dtype=np.int64, count=len(docs))
    doc_start = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_start[1:])
    cps, st, en = canonicalize_array(
        codepoints("".join(d.text for d in docs)), mask_digits=config.mask_digits,
        mask_placeholders=config.mask_placeholders, fold_variants=config.fold_variants, breaks=doc_start[1:-1],
    )
    doc_canon = np.searchsorted(st, doc_start)  # each document's first canonical character
    doc_sizes = np.diff(doc_canon)
    n_par = np.fromiter((len(d.paragraphs) for d in docs), dtype=np.int64, count=len(docs))
    orig = np.concatenate([d.paragraphs.spans()[:, :2] for d in docs] or [np.zeros((0, 2), np.int64)])
    orig += np.repeat(doc_start[:-1], n_par)[:, None]
    bounds = np.searchsorted(st, orig, side="left")
    # original offsets in each document's own text
    shift = np.repeat(doc_start[:-1], doc_sizes)
    starts = (st - shift).astype(off_t)
    ends = (en - shift).astype(off_t)
    del st, en, shift
    end_at, end_val = _end_exceptions(starts, ends)
    del ends
    if config.shingle == "char":
        h, off = segment_kgrams(cps, bounds, config.k)
    else:
        sets = [word_shingles(cps[a:b].astype("<u4").tobytes().decode("utf-32-le"), config.k) for a, b in bounds]
        h = np.concatenate(sets) if sets else np.zeros(0, np.uint32)
        off = np.concatenate(([0], np.cumsum([s.size for s in sets]))).astype(np.int64)
    set_h, set_off = unique_sets(h, off)
    return _Batch(cps, starts, end_at, end_val, doc_sizes, bounds, set_h, np.diff(set_off))


def document_batches(docs: Sequence[Document], chars: int = _BATCH_CHARS) -> list[tuple[int, int]]:
    """Consecutive ranges ``[first, last)`` of ``docs`` of about ``chars`` characters each."""
    out, first, size = [], 0, 0
    for i, d in enumerate(docs):
        size += len(d.text)
        if size >= chars:
            out.append((first, i + 1))
            first, size = i + 1, 0
    if first < len(docs):
        out.append((first, len(docs)))
    return out


class _ParagraphIds(Sequence[str]):
    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus

    def __len__(self) -> int:
        return self._corpus.n_paragraphs

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        k = int(i)
        return self._corpus.paragraph_id(k + len(self) if k < 0 else k)


def _signature_array(n: int, config: AuditConfig, work: WorkDir | None) -> np.ndarray | None:
    return None if work is None else work.empty((n, config.num_perm), np.uint32)


def prepare(documents: Sequence[Document], config: AuditConfig, threads: int | None = None,
            work: WorkDir | None = None) -> Corpus:
    """Normalise, shingle and sign every paragraph of ``documents``.

    Documents are prepared in batches of about a million characters, by as many threads as
    ``config.workers`` says (0: one per core; ``threads`` overrides it): numpy releases the GIL
    in each step, and a batch's temporaries stay small. Results depend on neither.
    Held per canonical character: code point (4 bytes) and original start (4 bytes, 8 when a
    document passes 2**31 characters; the original ends are :class:`Ends`, the exceptions each
    batch finds, never a whole array); per shingle 4 bytes; per paragraph
    ``4 * num_perm`` bytes of signature plus 28 bytes of offsets. With a ``work`` folder those
    arrays are files there (:meth:`chachong.runtime.workdir.WorkDir.empty`), the same values.
    """
    docs = list(documents)
    if threads is None:
        threads = config.workers or available_cores()
    total = sum(len(d.text) for d in docs)
    n_par = sum(len(d.paragraphs) for d in docs)
    # filled in place: canonical text is never longer than the original, and a paragraph
    # has at most one shingle more than characters. np.empty leaves untouched pages
    # unallocated, and building from parts would hold every array twice at the end
    alloc = np.empty if work is None else work.empty
    cps_all = alloc(total, dtype=np.uint32)
    # offsets into one document's text: 32 bits unless a document passes 2**31 characters
    # (saves 0.75 GB at 90 M characters)
    off_t = np.int32 if max((len(d.text) for d in docs), default=0) < 2**31 - 1 else np.int64
    st_all = alloc(total, dtype=off_t)
    # the original ends are held as their exceptions (Ends), gathered batch by batch
    end_parts: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    set_all = alloc(total + n_par, dtype=np.uint32)
    set_counts = np.empty(n_par, dtype=np.int64)
    par_bounds = np.empty((n_par, 2), dtype=np.int64)
    par_doc = np.repeat(np.arange(len(docs), dtype=np.int32),
                        np.fromiter((len(d.paragraphs) for d in docs), dtype=np.int64, count=len(docs)))
    doc_offsets = np.zeros(len(docs) + 1, dtype=np.int64)

    def put(d0: int, batch: _Batch, at: tuple[int, int, int]) -> None:
        """Copy a batch's arrays to their places (disjoint for every batch: threads may put at once)."""
        base, h_pos, p_pos = at
        n, m, k = batch.cps.size, len(batch.bounds), batch.set_hashes.size
        cps_all[base:base + n] = batch.cps
        st_all[base:base + n] = batch.starts
        end_parts[base] = (batch.end_at + base, batch.end_val)
        ends = doc_offsets[d0 + 1:d0 + 1 + batch.doc_sizes.size]
        np.cumsum(batch.doc_sizes, out=ends)
        ends += base
        par_bounds[p_pos:p_pos + m] = batch.bounds + base
        set_counts[p_pos:p_pos + m] = batch.set_counts
        set_all[h_pos:h_pos + k] = batch.set_hashes

    def after(batch: _Batch, at: tuple[int, int, int]) -> tuple[int, int, int]:
        return at[0] + batch.cps.size, at[1] + batch.set_hashes.size, at[2] + len(batch.bounds)

    spans = document_batches(docs)
    end = (0, 0, 0)
    if threads <= 1 or len(spans) <= 1:
        for d0, d1 in spans:
            batch = _prepare_batch(docs[d0:d1], config, off_t)
            put(d0, batch, end)
            end = after(batch, end)
    else:
        from concurrent.futures import Future, ThreadPoolExecutor  # not on `chachong check`'s path

        def run(d0: int, d1: int, at: Future, nxt: Future) -> None:
            # each batch learns where it goes from the batch before it, tells the next one,
            # then copies itself there: the first touch of the big arrays' pages (a third of
            # preparing at 90 M characters) is shared by the threads
            try:
                batch = _prepare_batch(docs[d0:d1], config, off_t)
                place = at.result()
            except BaseException as exc:
                nxt.set_exception(exc)
                raise
            nxt.set_result(after(batch, place))
            put(d0, batch, place)

        with ThreadPoolExecutor(threads) as pool:
            # a bounded window of batches in flight, so only a few batches' arrays are held
            pending: deque = deque()
            at: Future = Future()
            at.set_result(end)
            for d0, d1 in spans:
                nxt: Future = Future()
                pending.append(pool.submit(run, d0, d1, at, nxt))
                at = nxt
                if len(pending) > threads:
                    pending.popleft().result()
            while pending:
                pending.popleft().result()
            end = at.result()
    base, h_pos, _ = end
    set_h = set_all[:h_pos]
    set_off = np.zeros(n_par + 1, dtype=np.int64)
    np.cumsum(set_counts, out=set_off[1:])
    del set_counts
    sigs = signatures(set_h, set_off, config.num_perm, config.seed, threads=threads,
                      out=_signature_array(n_par, config, work))
    trim_heap()
    return Corpus(
        documents=docs,
        config=config,
        cps=cps_all[:base],
        orig_start=st_all[:base],
        orig_end=Ends.of_exceptions(st_all[:base], *_joined_exceptions([end_parts[k] for k in sorted(end_parts)],
                                                                          off_t)),
        doc_offsets=doc_offsets,
        par_doc=par_doc,
        par_bounds=par_bounds,
        set_hashes=set_h,
        set_offsets=set_off,
        signatures=sigs,
        work=work,
    )
