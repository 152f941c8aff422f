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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chachong.runtime.arrays import setdiff, unique
from chachong.runtime.background import cores
from chachong.stages.prepare import Corpus
from chachong.stages.lsh import candidates, choose_bands, groups_of, pairs_across, pairs_in_groups
from chachong.text.normalize import flag_runs
from chachong.text.shingle import shingle_hashes
from chachong.stages.verify import estimated_jaccard, similarity

IDENTICAL, NEAR, CONTAINED = "identical", "near-duplicate", "contained"
ESTIMATE_SLACK = 0.15  # verify every LSH candidate whose estimate is within this of the threshold
FP_MAX_DF = 64
_PAIR_CHUNK = 1 << 20  # fingerprint pairs generated at a time (pairs_in_groups takes ~70 bytes a pair)
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


def _fingerprint_keys(corpus: Corpus, in_scope: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """(fingerprint << 32 | paragraph) keys of the paragraphs in scope, split by the hash's top bit.

    Built a slice of paragraphs at a time: whole-corpus positions and paragraph numbers
    (int64 per fingerprint) took about 1 GB at 600k paragraphs. A fingerprint's rows all
    fall in one half, so the halves are sorted and grouped independently.
    """
    n = corpus.n_paragraphs
    h, off = corpus.set_hashes, corpus.set_offsets
    per_par = np.zeros(n, dtype=np.int64)
    cuts = np.searchsorted(off, np.arange(0, int(off[-1]), _SCAN), side="right") - 1
    pb = unique(np.clip(np.concatenate(([0], cuts, [n])), 0, n))
    # both halves in one buffer sized for every hash, the lower half filled from the front and
    # the upper from the back: its untouched middle takes no memory, and no chunk list is
    # concatenated (the freed chunks stayed in the heap, doubling the peak)
    buf = np.empty(h.size, dtype=np.uint64)
    lo, hi = 0, h.size
    top = np.uint64(1 << 63)
    for p0, p1 in zip(pb[:-1].tolist(), pb[1:].tolist()):
        hh = h[off[p0]:off[p1]]
        pos = np.flatnonzero((hh & np.uint32(3)) == 0)
        par = np.searchsorted(off[p0:p1 + 1] - off[p0], pos, side="right") - 1 + p0
        m = in_scope[par]
        par = par[m]
        per_par += np.bincount(par, minlength=n)
        keys = (hh[pos[m]].astype(np.uint64) << np.uint64(32)) | par.astype(np.uint64)
        up = keys >= top
        k = keys[~up]
        buf[lo:lo + k.size] = k
        lo += k.size
        k = keys[up]
        buf[hi - k.size:hi] = k
        hi -= k.size
    halves = [buf[:lo], buf[hi:]]
    return halves, per_par


def fingerprint_candidates(
    corpus: Corpus, eligible: np.ndarray, min_shared: int = 2, min_share: float = 0.5, threads: int = 1
) -> np.ndarray:
    """Pairs of eligible paragraphs sharing sampled fingerprints; (n, 2) global indices.

    ``threads`` > 1 sorts the two halves of the fingerprint keys at once.
    """
    n = corpus.n_paragraphs
    in_scope = np.zeros(n, dtype=bool)
    in_scope[eligible] = True
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
        keys = halves.pop(0)
        if not keys.size:
            continue
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
        fh = keys >> np.uint64(32)
        brk = np.flatnonzero(fh[1:] != fh[:-1]) + 1
        del fh
        starts = np.concatenate(([0], brk))
        gsizes = np.diff(np.concatenate((starts, [keys.size])))
        # fingerprints in very many paragraphs are stock phrases
        ok = (gsizes >= 2) & (gsizes <= FP_MAX_DF)
        starts, gsizes = starts[ok], gsizes[ok]
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
            pairs = pairs_in_groups(members, starts[g0:g1], gsizes[g0:g1])
            pairs = pairs[corpus.par_doc[pairs[:, 0]] != corpus.par_doc[pairs[:, 1]]]
            out[at:at + len(pairs)] = pairs[:, 0] * n + pairs[:, 1]
            at += len(pairs)
        codes_parts.append(out[:at].copy())
        del members, out
    codes = np.concatenate(codes_parts) if codes_parts else np.zeros(0, dtype=np.int64)
    del codes_parts
    if not codes.size:
        return np.zeros((0, 2), dtype=np.int64)
    codes.sort()
    first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    counts = np.diff(np.append(first, codes.size))
    codes = codes[first]
    a, b = codes // n, codes % n
    # fingerprints per paragraph (a 25 % sample of its shingles): the shared share of the
    # smaller paragraph's sample estimates containment
    smaller = np.maximum(np.minimum(per_par[a], per_par[b]), 1)
    keep = (counts >= min_shared) & (counts / smaller >= min_share)
    return np.stack([a[keep], b[keep]], axis=1)


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
        return (cfg.threshold >= self.threshold and _min_share(cfg) >= self.min_share
                and cfg.min_paragraph_chars == self.min_paragraph_chars
                and (cfg.bands, cfg.rows) in ((None, None), self.bands))


def _min_share(cfg) -> float:
    return max(cfg.containment - 0.3, 0.1)


def _empty_table() -> PairTable:
    return PairTable(*(np.zeros(0, np.int64),) * 2, np.zeros(0), np.zeros(0), np.zeros(0, object))


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
    lengths = corpus.canonical_length()
    bands, rows = (cfg.bands, cfg.rows) if cfg.bands else choose_bands(cfg.threshold, cfg.num_perm)
    eligible = np.flatnonzero(lengths >= max(cfg.min_paragraph_chars, 1))
    none = np.zeros((0, 2), np.int64)
    if eligible.size < 2:
        return Candidates(none, none, np.zeros(0), np.zeros(0), np.zeros(0), cfg.threshold, _min_share(cfg),
                          (bands, rows), cfg.min_paragraph_chars, cfg.min_span)
    group = _canonical_keys(corpus, eligible)
    order, starts, gsizes = groups_of(group)
    # 1. identical texts: every pair within a group, across documents
    ident = pairs_across(eligible, group, corpus.par_doc[eligible])
    ident = ident[np.lexsort((ident[:, 1], ident[:, 0]))]
    # 2. LSH over one representative per distinct text
    reps = eligible[order[starts]]
    threads = cores(cfg.workers)
    rep_pairs = candidates(corpus.signatures, bands, rows, rows_of=reps, threads=threads, subset=reps)
    if len(rep_pairs):
        est = estimated_jaccard(corpus.signatures, rep_pairs)
        rep_pairs = rep_pairs[est >= cfg.threshold - ESTIMATE_SLACK]
    # expand representatives to all members of their groups
    members = {int(eligible[order[s]]): eligible[order[s:s + z]] for s, z in zip(starts, gsizes) if z > 1}
    expanded = [rep_pairs]
    if members and len(rep_pairs):
        for a, b in rep_pairs:
            ma, mb = members.get(int(a)), members.get(int(b))
            if ma is None and mb is None:
                continue
            ma = np.array([a]) if ma is None else ma
            mb = np.array([b]) if mb is None else mb
            grid = np.stack(np.meshgrid(ma, mb, indexing="ij"), axis=-1).reshape(-1, 2)
            expanded.append(np.sort(grid, axis=1))
    lsh_pairs = np.concatenate(expanded) if expanded else none
    # 3. containment candidates from fingerprints
    fp_pairs = fingerprint_candidates(corpus, eligible, min_share=_min_share(cfg), threads=threads)
    cand = np.concatenate([p for p in (lsh_pairs, fp_pairs) if len(p)] or [none])
    cand = cand[corpus.par_doc[cand[:, 0]] != corpus.par_doc[cand[:, 1]]]
    n = corpus.n_paragraphs
    # identical pairs are known; verify the rest
    ident_codes = ident[:, 0] * n + ident[:, 1]
    codes = setdiff(cand[:, 0] * n + cand[:, 1], ident_codes)
    cand = np.stack([codes // n, codes % n], axis=1)
    jac, cont = similarity(corpus.set_hashes, corpus.set_offsets, cand)
    return Candidates(ident, cand, jac, cont, np.full(len(cand), np.nan), cfg.threshold, _min_share(cfg),
                      (bands, rows), cfg.min_paragraph_chars, cfg.min_span)


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


def select_pairs(corpus: Corpus, cands: Candidates) -> PairTable:
    """The candidates that pass the config's thresholds, classified, sorted by (a, b)."""
    cfg = corpus.config
    ident, cand, jac, cont = cands.ident, cands.pairs, cands.jaccard, cands.containment
    if not len(ident) and not len(cand):
        return _empty_table()
    if cands.min_span != cfg.min_span:
        cands.runs[:] = np.nan
        cands.min_span = cfg.min_span
    near, contained = classify(corpus, cand, jac, cont, cands.runs)
    keep = near | contained
    kinds = np.where(near[keep], NEAR, CONTAINED).astype(object)
    a = np.concatenate([ident[:, 0], cand[keep, 0]])
    b = np.concatenate([ident[:, 1], cand[keep, 1]])
    jj = np.concatenate([np.ones(len(ident)), jac[keep]])
    cc = np.concatenate([np.ones(len(ident)), cont[keep]])
    kk = np.concatenate([np.full(len(ident), IDENTICAL, dtype=object), kinds])
    srt = np.lexsort((b, a))
    return PairTable(a[srt], b[srt], jj[srt], cc[srt], kk[srt])
