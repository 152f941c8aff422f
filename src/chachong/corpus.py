"""The prepared corpus: documents plus the numeric features every later stage reads.

Everything per character or per shingle lives in flat numpy arrays (CSR layout), never in
Python objects per shingle, so a 90-million-character corpus fits in a few GB:

- ``cps``: canonical code points of all documents, concatenated;
- ``orig_start``/``orig_end``: for each canonical character, its span in its document text;
- ``doc_offsets``: document d's canonical characters are ``cps[doc_offsets[d]:doc_offsets[d+1]]``;
- ``par_doc``, ``par_bounds``: each paragraph's document index and canonical [start, end);
- ``set_hashes``/``set_offsets``: each paragraph's shingle hashes, sorted and unique;
- ``signatures``: MinHash signatures (n_paragraphs, num_perm).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from chachong.config import AuditConfig
from chachong.model import Document
from chachong.normalize import canonicalize_array, codepoints
from chachong.shingle import segment_kgrams, word_shingles
from chachong.signature import signatures


@dataclass
class Corpus:
    documents: list[Document]
    config: AuditConfig
    cps: np.ndarray
    orig_start: np.ndarray
    orig_end: np.ndarray
    doc_offsets: np.ndarray
    par_doc: np.ndarray
    par_bounds: np.ndarray
    set_hashes: np.ndarray
    set_offsets: np.ndarray
    signatures: np.ndarray

    @property
    def n_paragraphs(self) -> int:
        return len(self.par_doc)

    def paragraph(self, i: int):
        d = self.documents[int(self.par_doc[i])]
        return d.paragraphs[i - self._par_first[int(self.par_doc[i])]]

    def __post_init__(self) -> None:
        counts = np.array([len(d.paragraphs) for d in self.documents], dtype=np.int64)
        self._par_first = np.concatenate(([0], np.cumsum(counts)))[:-1]
        self._par_ids = [p.id for d in self.documents for p in d.paragraphs]

    @property
    def par_first(self) -> np.ndarray:
        """Global index of each document's first paragraph."""
        return self._par_first

    @property
    def paragraph_ids(self) -> list[str]:
        return self._par_ids

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


_DEDUPE_CHUNK = 1 << 20  # hashes per de-duplication sort: ~8 MB of keys, fast to sort


def _unique_sets(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort and de-duplicate each CSR segment (one sort of (segment << 32 | hash) keys)."""
    n = len(offsets) - 1
    seg = np.repeat(np.arange(n, dtype=np.uint64), np.diff(offsets))
    keys = (seg << np.uint64(32)) | hashes.astype(np.uint64)
    del seg
    keys.sort()
    keep = np.ones(keys.size, dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    keys = keys[keep]
    out_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=n), out=out_off[1:])
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), out_off


def prepare(documents: Sequence[Document], config: AuditConfig) -> Corpus:
    """Normalise, shingle and sign every paragraph of ``documents``."""
    docs = list(documents)
    # filled in place: canonical text is never longer than the original, and a paragraph
    # has at most one shingle more than characters. np.empty leaves untouched pages
    # unallocated, and building from parts would hold every array twice at the end
    total = sum(len(d.text) for d in docs)
    cps_all = np.empty(total, dtype=np.uint32)
    # offsets into one document's text: 32 bits unless a document passes 2**31 characters
    # (saves 0.75 GB at 90 M characters)
    off_t = np.int32 if max((len(d.text) for d in docs), default=0) < 2**31 - 1 else np.int64
    st_all = np.empty(total, dtype=off_t)
    en_all = np.empty(total, dtype=off_t)
    set_all = np.empty(total + sum(len(d.paragraphs) for d in docs), dtype=np.uint32)
    h_pos = 0
    doc_offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    par_doc_parts, bounds_parts = [], []
    # shingle sets are de-duplicated in pieces of about _DEDUPE_CHUNK hashes as documents
    # come: one global sort of (paragraph, hash) keys took 5 GB and 20 s at 90 M characters
    count_parts = []
    pending_h: list[np.ndarray] = []
    pending_off: list[np.ndarray] = []
    pending_n = 0

    def flush() -> None:
        nonlocal pending_n, h_pos
        if not pending_h:
            return
        counts = np.concatenate([np.diff(o) for o in pending_off])
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        h, off = _unique_sets(np.concatenate(pending_h), offsets)
        set_all[h_pos:h_pos + h.size] = h
        h_pos += h.size
        count_parts.append(np.diff(off))
        pending_h.clear()
        pending_off.clear()
        pending_n = 0

    base = 0
    for d_i, doc in enumerate(docs):
        cps, st, en = canonicalize_array(
            codepoints(doc.text), mask_digits=config.mask_digits, mask_placeholders=config.mask_placeholders
        )
        cps_all[base:base + cps.size] = cps
        st_all[base:base + cps.size] = st
        en_all[base:base + cps.size] = en
        doc_offsets[d_i + 1] = base + cps.size
        if doc.paragraphs:
            ps = np.array([(p.start, p.end) for p in doc.paragraphs], dtype=np.int64)
            lo = np.searchsorted(st, ps[:, 0], side="left")
            hi = np.searchsorted(st, ps[:, 1], side="left")
            local = np.stack([lo, hi], axis=1)
            if config.shingle == "char":
                h, off = segment_kgrams(cps, local, config.k)
            else:
                sets = [word_shingles(cps[a:b].astype("<u4").tobytes().decode("utf-32-le"), config.k)
                        for a, b in local]
                h = np.concatenate(sets) if sets else np.zeros(0, np.uint32)
                off = np.concatenate(([0], np.cumsum([s.size for s in sets])))
            par_doc_parts.append(np.full(len(ps), d_i, dtype=np.int32))
            bounds_parts.append(local + base)
            pending_h.append(h)
            pending_off.append(off)
            pending_n += h.size
            if pending_n >= _DEDUPE_CHUNK:
                flush()
        base += cps.size
    flush()
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt, copy=False) if parts else np.zeros(0, dt))
    set_h = set_all[:h_pos]
    set_off = np.zeros(sum(c.size for c in count_parts) + 1, dtype=np.int64)
    if count_parts:
        np.cumsum(np.concatenate(count_parts), out=set_off[1:])
    sigs = signatures(set_h, set_off, config.num_perm, config.seed)
    return Corpus(
        documents=docs,
        config=config,
        cps=cps_all[:base],
        orig_start=st_all[:base],
        orig_end=en_all[:base],
        doc_offsets=doc_offsets,
        par_doc=cat(par_doc_parts, np.int32),
        par_bounds=cat(bounds_parts, np.int64).reshape(-1, 2),
        set_hashes=set_h,
        set_offsets=set_off,
        signatures=sigs,
    )
