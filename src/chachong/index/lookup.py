"""Which indexed documents a check draws: the candidates of new documents, verified on their text.

A candidate is a document with a paragraph sharing an LSH band key with a new paragraph whose
estimated Jaccard is near the threshold (``>= threshold - ESTIMATE_SLACK``, as in
:mod:`chachong.stages.candidates`), or a document sharing a winnowed fingerprint with a new
document (a possible exact run of ``min_span`` characters) that at most
:data:`MAX_FINGERPRINT_DOCS` documents hold (more is stock phrasing).

The index keeps only what makes that cheap to find, not the full keys and signatures
(:mod:`chachong.index.postings`, :func:`~chachong.index.rows.sketch`), so the lookup runs in
three steps, each a superset of the next:

1. postings: documents with a band key or fingerprint whose bucket and residual bits match;
2. sketches: of those found by band keys, the ones with a paragraph whose 3-bit sketch agrees
   with the new paragraph's at least as often as the estimate must (equal values have equal
   low bits, so no true candidate is lost);
3. text: the survivors are read, prepared as the audit prepares them, and kept when one of
   their indexed paragraphs really shares a band key with the new paragraph and its estimate
   (from the full signatures) passes, or when they really hold the fingerprint.

So the documents drawn are exactly those that full keys and signatures would give; a chance
match of truncated bits costs a document read, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.index.rows import band_keys, sketch, sketch_agreement
from chachong.runtime.arrays import unique
from chachong.stages.candidates import ESTIMATE_SLACK
from chachong.stages.fingerprints import winnowed_hashes
from chachong.stages.prepare import Corpus, prepare

# a fingerprint in more documents than this is stock phrasing: it proposes no candidate (and
# would make a check pull half the index); the audit's passage finder caps occurrences alike
MAX_FINGERPRINT_DOCS = 64
# postings of other fingerprints with the same truncated bits can push a count over the limit: up
# to this many more, the holders are read and counted for real (a fingerprint meets one such
# posting about once in 512, so nine at once is beyond any archive)
CHANCE_MARGIN = 8


def candidate_documents(store: Any, corpus: Corpus, documents: Sequence[int], config: AuditConfig,
                        index_min_span: int, bands: int, rows: int) -> list[int]:
    """Index ids of the documents that may share copied text with ``corpus.documents[documents]``.

    ``store``: an open index store, read inside one snapshot; ``index_min_span``: the
    ``min_span`` the index's fingerprints were made with.
    """
    cfg = config
    floor = cfg.threshold - ESTIMATE_SLACK
    lengths = corpus.canonical_length()
    spans = [np.arange(int(corpus.par_first[d]), int(corpus.par_first[d]) + len(corpus.documents[d].paragraphs))
             for d in documents]
    mine = np.concatenate(spans).astype(np.int64) if spans else np.zeros(0, np.int64)
    mine = mine[lengths[mine] >= max(cfg.min_paragraph_chars, 1)]
    by_band: dict[int, np.ndarray] = {}  # document -> new paragraphs that may pair with one of its own
    sketches: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if mine.size:
        keys = band_keys(corpus.signatures[mine], bands, rows)
        pairs = join(keys.ravel(), np.repeat(mine, bands), store.band_hits(unique(keys.ravel())))
        if len(pairs):
            sketches = store.sketches(unique(pairs[:, 1]).tolist())
            pairs = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]
            cuts = np.flatnonzero(np.diff(pairs[:, 1])) + 1
            for group in np.split(pairs, cuts):
                did = int(group[0, 1])
                pidx, theirs = sketches.get(did, (np.zeros(0, np.int64), None))
                if not pidx.size:
                    continue  # removed since the lookup, or nothing indexed
                new = group[:, 0]
                agree = sketch_agreement(sketch(corpus.signatures[new]), theirs, cfg.num_perm)
                near = (agree >= floor).any(axis=1)
                if near.any():
                    by_band[did] = new[near]
    fps = [winnowed_hashes(corpus.cps[corpus.doc_offsets[d]:corpus.doc_offsets[d + 1]], cfg.min_span)
           for d in documents]
    by_fp: dict[int, np.ndarray] = {}
    if fps:
        found = store.fingerprint_hits(unique(np.concatenate(fps)), MAX_FINGERPRINT_DOCS + CHANCE_MARGIN)
        for did in unique(found[:, 1]).tolist():
            by_fp[did] = found[found[:, 1] == did, 0]
    todo = sorted(set(by_band) | set(by_fp))
    if not todo:
        return []
    fetched = store.fetch(todo)
    theirs = prepare([doc for _, _, doc in fetched], cfg)
    # the fingerprints each document really holds, and how many documents really hold each
    held: dict[int, np.ndarray] = {}
    for i, (did, _key, _doc) in enumerate(fetched):
        if did in by_fp:
            own = winnowed_hashes(theirs.cps[theirs.doc_offsets[i]:theirs.doc_offsets[i + 1]], index_min_span)
            held[did] = by_fp[did][np.isin(by_fp[did], own)]
    all_held = np.concatenate(list(held.values())) if held else np.zeros(0, np.int64)
    common = set()
    if all_held.size:
        values, counts = np.unique(all_held, return_counts=True)
        common = set(values[counts > MAX_FINGERPRINT_DOCS].tolist())
    out = []
    for i, (did, _key, _doc) in enumerate(fetched):
        if did in held and any(h not in common for h in held[did].tolist()):
            out.append(did)
            continue
        if did in by_band:
            pidx = sketches[did][0]
            sig = theirs.signatures[int(theirs.par_first[i]) + pidx]
            their_keys = band_keys(sig, bands, rows)
            for p in by_band[did].tolist():
                mine_sig = corpus.signatures[p]
                share = np.isin(their_keys, band_keys(mine_sig[None, :], bands, rows)).any(axis=1)
                if share.any() and ((sig[share] == mine_sig).mean(axis=1) >= floor).any():
                    out.append(did)
                    break
    return sorted(out)


def join(keys: np.ndarray, values: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Pairs (value, hit) for every ``keys[i] == hits[j, 0]``; unique rows."""
    if not len(hits):
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sk, sv = keys[order], values[order]
    lo = np.searchsorted(sk, hits[:, 0], side="left")
    hi = np.searchsorted(sk, hits[:, 0], side="right")
    n = hi - lo
    rep = np.repeat(np.arange(len(hits)), n)
    pos = np.repeat(lo, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    out = np.stack([sv[pos], hits[rep, 1]], axis=1)
    return np.unique(out, axis=0) if len(out) else out.reshape(0, 2)


__all__ = ["MAX_FINGERPRINT_DOCS", "candidate_documents", "join"]
