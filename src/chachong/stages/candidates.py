"""Near-duplicate paragraph pairs: candidates from three sources, all verified exactly.

1. Identical canonical texts are grouped directly (no hashing needed to find them).
2. LSH banding over MinHash signatures proposes pairs of similar paragraphs
   (one representative per group of identical texts).
3. Sampled shingle fingerprints (the hashes with their two low bits zero, a content-defined
   25 % sample) propose pairs where one paragraph is contained in a longer one, which
   Jaccard-oriented LSH misses. Fingerprints that occur in very many paragraphs (stock
   phrases) are ignored for candidate generation.

Only paragraphs with at least ``min_paragraph_chars`` canonical characters take part, and
pairs within one document are not reported (a document repeating itself is not copying).

One implementation for every executor. :func:`pair_candidates` runs the stage on a whole corpus
(the local engine, ``check``); a partitioned executor (the Dask engine) calls its parts on one
batch each and merges: :func:`eligible`, :func:`text_digests` (a key for identical texts that
needs no other partition) and :func:`sampled` per partition; :func:`text_groups`,
``lsh.band_pairs``, :func:`fingerprint_runs` and :func:`fingerprint_pairs` per bucket of rows
sharing a key; :func:`passes_estimate` and :func:`shares_enough` per candidate pair;
:func:`expand` and :func:`unverified` on all the candidates; :func:`kinds_of` (after
``verify.similarity`` and :func:`classify`) per verified batch; :func:`pair_table` on all of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from chachong.runtime.arrays import equal_runs, range_indices, segments_of, setdiff, unique
from chachong.runtime.background import cores
from chachong.runtime.threads import in_order
from chachong.runtime.workdir import Partitions
from chachong.stages.prepare import Corpus
from chachong.stages.lsh import (candidates, choose_bands, code_bounds, groups_of, pairs_across,
                                 pairs_in_groups)
from chachong.text.normalize import flag_runs
from chachong.text.shingle import shingle_hashes
from chachong.stages.verify import estimated_jaccard, similarity

IDENTICAL, NEAR, CONTAINED = "identical", "near-duplicate", "contained"
KINDS = (IDENTICAL, NEAR, CONTAINED)  # a kind's code (its index) where pairs are tables of numbers
ESTIMATE_SLACK = 0.15  # verify every LSH candidate whose estimate is within this of the threshold
FP_MAX_DF = 64
_PAIR_CHUNK = 1 << 17  # fingerprint pairs generated at a time (pairs_in_groups takes ~70 bytes a pair: 9 MB)
_SCAN = 1 << 21  # shingle hashes scanned at a time for fingerprints
CONTAINED_SIZE_RATIO = 1.25  # a fingerprint in more paragraphs than this is stock phrasing, not evidence of copying


@dataclass
class PairTable:
    """Verified paragraph pairs as parallel arrays (global paragraph indices, a < b)."""

    a: np.ndarray
    b: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray
    kind: np.ndarray  # object array of kind strings

    def __len__(self) -> int:
        return len(self.a)


def lsh_bands(cfg) -> tuple[int, int]:
    """(bands, rows) of the LSH banding for ``cfg``: as set, or :func:`chachong.stages.lsh.choose_bands`."""
    return (cfg.bands, cfg.rows) if cfg.bands else choose_bands(cfg.threshold, cfg.num_perm)


def eligible(corpus: Corpus) -> np.ndarray:
    """Paragraphs that take part in pairing: ``min_paragraph_chars`` canonical characters (and one)."""
    return np.flatnonzero(corpus.canonical_length() >= max(corpus.config.min_paragraph_chars, 1))


def text_digests(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """128-bit digest (blake2b) of each canonical text ``cps[starts[i]:ends[i]]`` as two uint64 columns;
    zeros for an empty one. Equal digests stand for equal texts.

    The key of identical texts that needs nothing but the text: a partition's paragraphs
    (the Dask engine) and whole documents (:func:`chachong.stages.docpairs.document_digests`).
    On a whole corpus :func:`_canonical_keys` groups paragraphs by their bytes instead (faster).
    """
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    out = np.zeros((len(starts), 2), np.uint64)
    take = np.flatnonzero(ends > starts)
    if not take.size:
        return out
    # the texts' bytes as slices of one memoryview, the digests appended to one buffer: a numpy
    # slice and a row assignment per text took a third of the time (42 against 27 ms per 20,000 texts)
    cps = np.ascontiguousarray(cps)
    view, w, blake = memoryview(cps).cast("B"), cps.itemsize, hashlib.blake2b
    got = bytearray()
    for s, e in zip((starts[take] * w).tolist(), (ends[take] * w).tolist()):
        got += blake(view[s:e], digest_size=16).digest()
    out[take] = np.frombuffer(got, dtype="<u8").reshape(-1, 2)
    return out


@dataclass
class TextGroups:
    """Paragraphs of one batch grouped by canonical text (:func:`text_groups`)."""

    ident: np.ndarray  # (n, 2) identical paragraphs of different documents, sorted
    reps: np.ndarray  # the first paragraph of each distinct text, the texts in the order of their keys
    rep_of: np.ndarray  # for each paragraph of a text held more than once: its text's first paragraph
    member: np.ndarray  # ... and the paragraph itself (ascending within a text)


def text_groups(items: np.ndarray, text: np.ndarray, docs: np.ndarray) -> TextGroups:
    """Identical texts among paragraphs ``items`` (ascending) of documents ``docs``; ``text``: equal
    values iff equal canonical texts (:func:`_canonical_keys` on a corpus, dense ids of
    :func:`text_digests` in a bucket).

    Every pair of one text across documents is an identical pair; the first paragraph of a
    text represents it in LSH, whose pairs :func:`expand` turns into pairs of the members.

    >>> g = text_groups(np.array([3, 5, 8, 9]), np.array([0, 1, 0, 0]), np.array([0, 0, 1, 1]))
    >>> g.ident.tolist(), g.reps.tolist(), g.rep_of.tolist(), g.member.tolist()
    ([[3, 8], [3, 9]], [3, 5], [3, 3, 3], [3, 8, 9])
    """
    order, starts, sizes = groups_of(text)
    ident = pairs_across(items, text, docs)
    ident = ident[np.lexsort((ident[:, 1], ident[:, 0]))]
    big = sizes > 1
    reps = items[order[starts]]
    return TextGroups(ident, reps, np.repeat(reps[big], sizes[big]),
                      items[order[range_indices(starts[big], sizes[big])]])


def expand(rep_pairs: np.ndarray, rep_of: np.ndarray, member: np.ndarray) -> np.ndarray:
    """LSH pairs of representatives -> the pairs of the members of their texts (:class:`TextGroups`'
    ``rep_of``/``member``), each row sorted; pairs of two texts held once each are left out (they
    are the representatives' pair), and a pair may come twice.
    """
    if not len(rep_pairs) or not rep_of.size:
        return np.zeros((0, 2), np.int64)
    o = np.lexsort((member, rep_of))
    rep_of, member = rep_of[o], member[o]
    starts, sizes = equal_runs(rep_of)
    members = {int(rep_of[s]): member[s:s + z] for s, z in zip(starts.tolist(), sizes.tolist())}
    out = []
    for a, b in rep_pairs.tolist():
        ma, mb = members.get(a), members.get(b)
        if ma is None and mb is None:
            continue
        ma = np.array([a]) if ma is None else ma
        mb = np.array([b]) if mb is None else mb
        grid = np.stack(np.meshgrid(ma, mb, indexing="ij"), axis=-1).reshape(-1, 2)
        out.append(np.sort(grid, axis=1))
    return np.concatenate(out).astype(np.int64) if out else np.zeros((0, 2), np.int64)


def passes_estimate(est: np.ndarray, threshold: float) -> np.ndarray:
    """Which LSH pairs (MinHash estimate ``est``) are verified: within ``ESTIMATE_SLACK`` of ``threshold``."""
    return est >= threshold - ESTIMATE_SLACK


def unverified(cands: list[np.ndarray], ident: np.ndarray, par_doc: np.ndarray, n: int) -> np.ndarray:
    """The candidates to verify: the pairs of ``cands`` of different documents that are not identical
    pairs (``ident``, known already), distinct and sorted; ``n`` > every paragraph index."""
    cand = np.concatenate([p for p in cands if len(p)] or [np.zeros((0, 2), np.int64)])
    cand = cand[par_doc[cand[:, 0]] != par_doc[cand[:, 1]]]
    codes = setdiff(cand[:, 0] * n + cand[:, 1], ident[:, 0] * n + ident[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _canonical_keys(corpus: Corpus, idx: np.ndarray) -> np.ndarray:
    """Group id per paragraph in ``idx``: equal ids iff equal canonical text.

    The id is the position in ``idx`` of the group's first paragraph, so sorting by id
    orders the groups by first occurrence.
    """
    bounds = corpus.par_bounds[idx]
    # equal texts have equal lengths and equal MinHash signatures: only paragraphs sharing a
    # hash of both with another one can be equal, and only those are compared (nearly all
    # paragraphs are unique, and a bytes object per paragraph cost seconds at 600k)
    sig = corpus.signatures[:, :4][idx]
    with np.errstate(over="ignore"):
        key = (bounds[:, 1] - bounds[:, 0]).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for j in range(min(4, sig.shape[1])):
            key = (key ^ sig[:, j].astype(np.uint64)) * np.uint64(0xBF58476D1CE4E5B9)
    del sig
    srt = np.sort(key)
    rep = srt[1:][srt[1:] == srt[:-1]]
    out = np.arange(idx.size, dtype=np.int64)
    if not rep.size:
        return out
    rep = unique(rep)
    at = np.minimum(np.searchsorted(rep, key), rep.size - 1)
    maybe = np.flatnonzero(rep[at] == key)  # ascending: the first seen of a text is its first
    # the code point bytes, not decoded strings: equal bytes iff equal text, and no decoding
    cps = corpus.cps
    ids: dict[bytes, int] = {}
    for pos, (s, e) in zip(maybe.tolist(), bounds[maybe].tolist()):
        out[pos] = ids.setdefault(cps[s:e].tobytes(), pos)
    return out


def sampled(corpus: Corpus, p0: int = 0, p1: int | None = None,
            in_scope: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The sampled fingerprints of paragraphs ``[p0, p1)`` (those ``in_scope`` when given): their
    shingle hashes with the two low bits zero (a content-defined 25 % sample), and their paragraphs.
    """
    off = corpus.set_offsets
    p1 = corpus.n_paragraphs if p1 is None else p1
    hh = corpus.set_hashes[off[p0]:off[p1]]
    pos = np.flatnonzero((hh & np.uint32(3)) == 0)
    par = segments_of(pos, off[p0:p1 + 1] - off[p0]) + p0
    if in_scope is not None:
        m = in_scope[par]
        pos, par = pos[m], par[m]
    return hh[pos], par


def fingerprint_runs(fh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of the runs of equal sampled fingerprints (``fh`` sorted) that propose pairs:
    in 2 to ``FP_MAX_DF`` paragraphs (one in very many paragraphs is a stock phrase)."""
    starts, sizes = equal_runs(fh)
    ok = (sizes >= 2) & (sizes <= FP_MAX_DF)
    return starts[ok], sizes[ok]


def fingerprint_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                      doc_of: np.ndarray) -> np.ndarray:
    """The pairs of paragraphs of different documents (``doc_of[member]``) within runs of ``members``
    sharing a sampled fingerprint (:func:`fingerprint_runs`): one row per fingerprint they share."""
    pairs = pairs_in_groups(members, starts, sizes)
    return pairs[doc_of[pairs[:, 0]] != doc_of[pairs[:, 1]]]


MIN_SHARED = 2  # sampled fingerprints a pair proposed by fingerprints alone shares at least


def may_share_enough(count: np.ndarray, min_shared: int = MIN_SHARED) -> np.ndarray:
    """The part of :func:`shares_enough` that ``count`` alone decides: a pair failing it fails
    whatever the paragraphs' sample counts (an executor that meets a pair's rows before its
    second paragraph drops it there)."""
    return count >= min_shared


def shares_enough(count: np.ndarray, per_a: np.ndarray, per_b: np.ndarray, min_share: float,
                  min_shared: int = MIN_SHARED) -> np.ndarray:
    """Which fingerprint pairs are candidates: ``count`` shared sampled fingerprints, at least
    ``min_shared`` and ``min_share`` of the smaller paragraph's (``per_a``/``per_b`` each has), an
    estimate of its containment in the other."""
    smaller = np.maximum(np.minimum(per_a, per_b), 1)
    return may_share_enough(count, min_shared) & (count / smaller >= min_share)


def _fingerprint_keys(corpus: Corpus, in_scope: np.ndarray,
                      spill: Partitions | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """(fingerprint << 32 | paragraph) keys of the paragraphs in scope, split by the hash's top bit
    (or, with ``spill``, by its top bits into the spill's partitions, written to its files).

    Built a slice of paragraphs at a time: whole-corpus positions and paragraph numbers
    (int64 per fingerprint) took about 1 GB at 600k paragraphs. A fingerprint's rows all
    fall in one part, so the parts are sorted and grouped independently.
    """
    n = corpus.n_paragraphs
    h, off = corpus.set_hashes, corpus.set_offsets
    per_par = np.zeros(n, dtype=np.int64)
    cuts = np.searchsorted(off, np.arange(0, int(off[-1]), _SCAN), side="right") - 1
    pb = unique(np.clip(np.concatenate(([0], cuts, [n])), 0, n))
    # both halves in one buffer sized for every hash, the lower half filled from the front and
    # the upper from the back: its untouched middle takes no memory, and no chunk list is
    # concatenated (the freed chunks stayed in the heap, doubling the peak)
    buf = np.empty(h.size if spill is None else 0, dtype=np.uint64)
    lo, hi = 0, buf.size
    top = np.uint64(1 << 63)
    bounds = None if spill is None else _top_bounds(spill.count)
    for p0, p1 in zip(pb[:-1].tolist(), pb[1:].tolist()):
        fh, par = sampled(corpus, p0, p1, in_scope)
        # the slice's own paragraphs only (a count over all n per slice grew with n squared)
        per_par[p0:p1] += np.bincount(par - p0, minlength=p1 - p0)
        keys = (fh.astype(np.uint64) << np.uint64(32)) | par.astype(np.uint64)
        if spill is not None:
            spill.split(keys, bounds, key=keys)
            continue
        up = keys >= top
        k = keys[~up]
        buf[lo:lo + k.size] = k
        lo += k.size
        k = keys[up]
        buf[hi - k.size:hi] = k
        hi -= k.size
    halves = [buf[:lo], buf[hi:]]
    return halves, per_par


def _top_bounds(parts: int) -> np.ndarray:
    """Bounds splitting uint64 values into ``parts`` (a power of two) ranges of their top bits."""
    bits = max(parts.bit_length() - 1, 0)
    return (np.arange(1, parts, dtype=np.uint64) << np.uint64(64 - bits)) if bits else np.zeros(0, np.uint64)


def _shared_fingerprint_codes(keys: np.ndarray, n: int, par_doc: np.ndarray) -> np.ndarray:
    """Pair codes ``a * n + b`` of paragraphs of different documents sharing a fingerprint, one per
    fingerprint they share, from sorted (fingerprint << 32 | paragraph) ``keys`` of whole runs."""
    if not keys.size:
        return np.zeros(0, np.int64)
    # most fingerprints are in one paragraph only: keep the rows of repeated ones first,
    # so that group bounds and members are made for a small share of the keys
    fh = keys >> np.uint64(32)
    same = fh[1:] == fh[:-1]
    del fh
    multi = np.zeros(keys.size, dtype=bool)
    multi[1:] = same
    multi[:-1] |= same
    del same
    keys = keys[multi]
    del multi
    starts, gsizes = fingerprint_runs(keys >> np.uint64(32))
    members = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
    del keys
    # pairs in pieces of groups: the temporaries of one pass over all pairs took GBs at 90M chars
    npairs = gsizes * (gsizes - 1) // 2
    cum = np.cumsum(npairs)
    cuts = np.searchsorted(cum, np.arange(_PAIR_CHUNK, int(cum[-1]) if cum.size else 0, _PAIR_CHUNK),
                           side="left")
    bounds = unique(np.concatenate(([0], cuts, [starts.size])))
    # each pair once per shared fingerprint, into one buffer: one sort counts them all
    # (a unique per piece and a merge of the pieces held three copies)
    out = np.empty(int(cum[-1]) if cum.size else 0, dtype=np.int64)
    at = 0
    for g0, g1 in zip(bounds[:-1], bounds[1:]):
        pairs = fingerprint_pairs(members, starts[g0:g1], gsizes[g0:g1], par_doc)
        out[at:at + len(pairs)] = pairs[:, 0] * n + pairs[:, 1]
        at += len(pairs)
    return out[:at]  # a view: the caller joins the halves (a copy here was a second one), or writes them out


def _counted_pairs(codes: np.ndarray, n: int, per_par: np.ndarray, min_share: float,
                   min_shared: int) -> np.ndarray:
    """The candidate pairs (n, 2), ascending, among pair ``codes`` (one per shared fingerprint; all the
    codes of a pair present): those sharing enough fingerprints (:func:`shares_enough`)."""
    if not codes.size:
        return np.zeros((0, 2), dtype=np.int64)
    codes.sort()
    out = []
    # counted a piece of whole runs at a time: the runs' starts and sizes of all the codes were three
    # arrays of their size (95 MB each at 1.2M paragraphs), each one memory new to the process
    s = 0
    while s < codes.size:
        e = codes.size if s + _COUNT_PIECE >= codes.size else \
            int(np.searchsorted(codes, codes[s + _COUNT_PIECE - 1], side="right"))
        piece = codes[s:e]
        s = e
        first, counts = equal_runs(piece)
        # most pairs share one fingerprint by chance (97 % at 600k paragraphs): dropped before their
        # paragraphs and sample counts are looked up
        maybe = may_share_enough(counts, min_shared)
        piece, counts = piece[first[maybe]], counts[maybe]
        a, b = piece // n, piece % n
        # fingerprints per paragraph (a 25 % sample of its shingles): the shared share of the
        # smaller paragraph's sample estimates containment
        keep = shares_enough(counts, per_par[a], per_par[b], min_share, min_shared)
        out.append(np.stack([a[keep], b[keep]], axis=1))
    return np.concatenate(out)


_COUNT_PIECE = 1 << 20  # sorted pair codes counted at a time (cut at the end of a run)


# rows of a spilled partition (fingerprint keys or pair codes): 32 MB a column of int64, and its sort
_SPILL_ROWS = 1 << 22


def _parts(rows: int) -> int:
    """Partitions (a power of two, at least 2) of about ``_SPILL_ROWS`` rows for ``rows`` rows."""
    return max(2, 1 << max(0, -(-rows // _SPILL_ROWS) - 1).bit_length())


def fingerprint_candidates(
    corpus: Corpus, eligible: np.ndarray, min_shared: int = MIN_SHARED, min_share: float = 0.5, threads: int = 1
) -> np.ndarray:
    """Pairs of eligible paragraphs sharing sampled fingerprints; (n, 2) global indices.

    ``threads`` > 1 sorts the two halves of the fingerprint keys at once. With a work folder
    (``corpus.work``) the keys are spilled to Parquet partitions by fingerprint, the pair rows of
    each partition to partitions by pair, and each is counted in turn: the same pairs.
    """
    n = corpus.n_paragraphs
    in_scope = np.zeros(n, dtype=bool)
    in_scope[eligible] = True
    if corpus.work is not None and corpus.work.usable:
        return _spilled_fingerprint_candidates(corpus, in_scope, min_shared, min_share, threads)
    halves, per_par = _fingerprint_keys(corpus, in_scope)
    # one sort of (fingerprint, paragraph) keys instead of an argsort: same grouping, paragraphs
    # ascending within a fingerprint, at a fraction of the memory
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(np.ndarray.sort, halves))
    else:
        for keys in halves:
            keys.sort()
    codes_parts = []
    while halves:
        codes_parts.append(_shared_fingerprint_codes(halves.pop(0), n, corpus.par_doc))
    codes = np.concatenate(codes_parts) if codes_parts else np.zeros(0, dtype=np.int64)
    del codes_parts
    return _counted_pairs(codes, n, per_par, min_share, min_shared)


def _spilled_fingerprint_candidates(corpus: Corpus, in_scope: np.ndarray, min_shared: int,
                                    min_share: float, threads: int = 1) -> np.ndarray:
    """:func:`fingerprint_candidates` a partition at a time, through ``corpus.work``; ``threads``
    partitions are read, sorted and counted at once (results taken in partition order)."""
    n = corpus.n_paragraphs
    work = corpus.work
    keys = work.partitions(_parts(corpus.set_hashes.size // 4), {"key": np.uint64})
    _, per_par = _fingerprint_keys(corpus, in_scope, keys)
    keys.close()

    def shared(p: int) -> np.ndarray:
        found = keys.take(p)["key"]
        found.sort()
        return _shared_fingerprint_codes(found, n, corpus.par_doc)

    codes = None
    for found in in_order(shared, range(keys.count), threads):
        if codes is None:
            codes = work.partitions(_parts(found.size * keys.count), {"code": np.int64})
            bounds = code_bounds(n, codes.count)
        codes.split(found, bounds, code=found)
        del found
    if codes is None:
        return np.zeros((0, 2), dtype=np.int64)
    codes.close()
    out = list(in_order(lambda p: _counted_pairs(codes.take(p)["code"], n, per_par, min_share, min_shared),
                        range(codes.count), threads))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


def run_coverage(corpus: Corpus, a: int, b: int) -> float:
    """Share of the smaller paragraph's characters inside runs of its k-grams found in the other.

    A run must span at least ``min_span`` characters to count.
    """
    cfg = corpus.config
    lengths = corpus.canonical_length()
    small, large = (a, b) if lengths[a] <= lengths[b] else (b, a)
    s0, s1 = corpus.par_bounds[small]
    n = int(s1 - s0)
    if n == 0:
        return 0.0
    seq = shingle_hashes(corpus.cps[s0:s1], cfg.k) if cfg.shingle == "char" else None
    if seq is None or n < cfg.k:
        return float(np.isin(corpus.paragraph_set(small), corpus.paragraph_set(large)).mean())
    hit = np.isin(seq, corpus.paragraph_set(large))
    covered = np.zeros(n, dtype=bool)
    rs, re_ = flag_runs(hit)
    for s, e in zip(rs, re_):
        if (e - s) + cfg.k - 1 >= cfg.min_span:
            covered[s:e + cfg.k - 1] = True
    return float(covered.mean())


@dataclass
class Candidates:
    """Verified candidate pairs of a corpus, before the pairing thresholds are applied.

    Kept by an audit so that :meth:`chachong.api.AuditResult.rethreshold` re-filters them
    instead of running LSH and verification again. The candidates were proposed for
    ``threshold`` (LSH banding and estimate cut-off) and ``min_share`` (fingerprint share,
    ``containment - 0.3``); they serve any stricter setting. ``runs`` caches
    :func:`run_coverage` per candidate (NaN until needed) for ``min_span``.
    """

    ident: np.ndarray  # (n, 2) identical paragraphs of different documents
    pairs: np.ndarray  # (m, 2) other candidates, verified
    jaccard: np.ndarray
    containment: np.ndarray
    runs: np.ndarray
    threshold: float
    min_share: float
    bands: tuple[int, int]
    min_paragraph_chars: int
    min_span: int

    def serves(self, cfg) -> bool:
        """Whether re-filtering these candidates answers for ``cfg`` (else pair again)."""
        return (cfg.threshold >= self.threshold and min_fingerprint_share(cfg) >= self.min_share
                and cfg.min_paragraph_chars == self.min_paragraph_chars
                and (cfg.bands, cfg.rows) in ((None, None), self.bands))


def min_fingerprint_share(cfg) -> float:
    """The share of the smaller paragraph's sampled fingerprints a pair must share (:func:`shares_enough`)."""
    return max(cfg.containment - 0.3, 0.1)


def find_pairs(corpus: Corpus, candidates_: Candidates | None = None) -> PairTable:
    """Verified paragraph pairs of ``corpus`` at its config's thresholds.

    With ``candidates_`` (from :func:`pair_candidates`, and ``serves`` the config) the
    candidates are re-filtered instead of proposed and verified again.
    """
    if candidates_ is None or not candidates_.serves(corpus.config):
        candidates_ = pair_candidates(corpus)
    return select_pairs(corpus, candidates_)


def pair_candidates(corpus: Corpus) -> Candidates:
    """Candidates from identical texts, LSH and fingerprints, with exact Jaccard and containment."""
    cfg = corpus.config
    bands, rows = lsh_bands(cfg)
    el = eligible(corpus)
    none = np.zeros((0, 2), np.int64)
    if el.size < 2:
        return Candidates(none, none, np.zeros(0), np.zeros(0), np.zeros(0), cfg.threshold,
                          min_fingerprint_share(cfg), (bands, rows), cfg.min_paragraph_chars, cfg.min_span)
    # 1. identical texts: every pair within a group, across documents
    texts = text_groups(el, _canonical_keys(corpus, el), corpus.par_doc[el])
    # 2. LSH over one representative per distinct text
    threads = cores(cfg.workers)
    rep_pairs = candidates(corpus.signatures, bands, rows, rows_of=texts.reps, threads=threads,
                           subset=texts.reps, spill=corpus.work)
    if len(rep_pairs):
        rep_pairs = rep_pairs[passes_estimate(estimated_jaccard(corpus.signatures, rep_pairs), cfg.threshold)]
    # 3. containment candidates from fingerprints
    fp_pairs = fingerprint_candidates(corpus, el, min_share=min_fingerprint_share(cfg), threads=threads)
    # identical pairs are known; verify the rest
    cand = unverified([rep_pairs, expand(rep_pairs, texts.rep_of, texts.member), fp_pairs], texts.ident,
                      corpus.par_doc, corpus.n_paragraphs)
    jac, cont = similarity(corpus.set_hashes, corpus.set_offsets, cand)
    return Candidates(texts.ident, cand, jac, cont, np.full(len(cand), np.nan), cfg.threshold,
                      min_fingerprint_share(cfg), (bands, rows), cfg.min_paragraph_chars, cfg.min_span)


def classify(corpus: Corpus, cand: np.ndarray, jac: np.ndarray, cont: np.ndarray,
             runs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pair rule on verified candidates: which are near-duplicate and which contained.

    ``jac``/``cont``: their exact Jaccard and containment (:func:`chachong.stages.verify.similarity`).
    "Contained" means the smaller paragraph is (nearly) all inside a clearly larger one (that says
    more than a Jaccard diluted by the larger one's own text) and is covered by runs of
    consecutive shared k-grams (:func:`run_coverage`; shared shingles scattered through a long
    paragraph are not a copy). ``runs`` caches the run coverage per candidate (NaN until needed).
    A candidate in neither mask is not reported.
    """
    cfg = corpus.config
    sizes = np.diff(corpus.set_offsets)
    sa, sb = sizes[cand[:, 0]], sizes[cand[:, 1]]
    lopsided = np.maximum(sa, sb) >= CONTAINED_SIZE_RATIO * np.minimum(sa, sb)
    contained = (cont >= cfg.containment) & (lopsided | (jac < cfg.threshold))
    near = (jac >= cfg.threshold) & ~contained
    for i in np.flatnonzero(contained):
        covered = runs[i] if runs is not None else np.nan
        if np.isnan(covered):
            covered = run_coverage(corpus, int(cand[i, 0]), int(cand[i, 1]))
            if runs is not None:
                runs[i] = covered
        if covered < cfg.containment:
            contained[i] = False
            near[i] = jac[i] >= cfg.threshold
    return near, contained


def kinds_of(near: np.ndarray, contained: np.ndarray) -> np.ndarray:
    """Kind codes (indices in ``KINDS``) of verified candidates from :func:`classify`; -1: not reported."""
    return np.where(near, 1, np.where(contained, 2, -1)).astype(np.int8)


def pair_table(ident: np.ndarray, pairs: np.ndarray, jac: np.ndarray, cont: np.ndarray,
               kinds: np.ndarray) -> PairTable:
    """The verified pairs as a :class:`PairTable` sorted by (a, b): the identical pairs ``ident``
    (Jaccard and containment 1) and the reported candidates ``pairs`` with their kind codes."""
    if not len(ident) and not len(pairs):
        return PairTable(*(np.zeros(0, np.int64),) * 2, np.zeros(0), np.zeros(0), np.zeros(0, object))
    a = np.concatenate([ident[:, 0], pairs[:, 0]])
    b = np.concatenate([ident[:, 1], pairs[:, 1]])
    jj = np.concatenate([np.ones(len(ident)), jac])
    cc = np.concatenate([np.ones(len(ident)), cont])
    codes = np.concatenate([np.zeros(len(ident), np.int64), kinds.astype(np.int64)])
    kk = np.array(KINDS, dtype=object)[codes]
    srt = np.lexsort((b, a))
    return PairTable(a[srt], b[srt], jj[srt], cc[srt], kk[srt])


def select_pairs(corpus: Corpus, cands: Candidates) -> PairTable:
    """The candidates that pass the config's thresholds, classified, sorted by (a, b)."""
    cfg = corpus.config
    ident, cand, jac, cont = cands.ident, cands.pairs, cands.jaccard, cands.containment
    if cands.min_span != cfg.min_span:
        cands.runs[:] = np.nan
        cands.min_span = cfg.min_span
    kinds = kinds_of(*classify(corpus, cand, jac, cont, cands.runs))
    keep = kinds >= 0
    return pair_table(ident, cand[keep], jac[keep], cont[keep], kinds[keep])
