"""The align stage on partitions: winnowed fingerprints shuffled on their hash, seed hits at the
owners of the documents, and every document pair aligned at the owner of its later document.

1. :func:`part_fingerprints`: ``fingerprints.winnow_text`` on a partition's documents with
   enough of its neighbours' text around them (:func:`edges`, :func:`around`) that its windows
   are the corpus's.
2. :func:`fingerprint_rows` are shuffled on the hash; each bucket (:func:`fingerprint_buckets`)
   flags its runs with ``fingerprints.common_runs`` and pairs the occurrences of the others
   (``seeds.occurrence_pairs``); the buckets' common hashes merge with ``seeds.merge_common``.
3. The occurrence pairs are routed to the owner of a (:func:`hits_attach_a`: the characters
   around a's k-gram) and of b (:func:`hits_at_b`): ``seeds.exact_evidence`` on those contexts and
   ``seeds.seed_rows`` give the seed hits.
4. Every document pair to align (with kept paragraph pairs, seed hits, near-duplicate or identical)
   is aligned by the owner of its later document (:func:`align_block`), which receives the earlier
   documents it lacks from their owners, each once (:func:`export_documents`), and runs the local
   engine's per-pair stages on a corpus of just the documents it needs: ``docpairs.short_twins``,
   :func:`align_pairs` (``passages.find_passages``, ``describe.describe_found``),
   ``docstats.paragraph_pairs`` and ``docstats.document_stats``. The seed hits stay where they were
   made (the owner of b); only their distinct document pairs go to the client (:func:`hit_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chachong.config import AuditConfig
from chachong.engine.dask.partitions import (DocumentBatch, Part, blob_arrays, blob_column, corpus_of,
                                             document_digests, document_signatures, frame,
                                             index_dtype, meta_with_blobs)
from chachong.model import Document
from chachong.runtime.arrays import equal_runs, gather_csr, segments_of
from chachong.runtime.gcpause import paused_gc
from chachong.runtime.stagecache import StageCache
from chachong.stages.candidates import KINDS
from chachong.stages.fingerprints import common_runs, window, winnow_text
from chachong.stages.lsh import repeated
from chachong.stages.seeds import exact_evidence, free_reach, occurrence_pairs, seed_rows


def fingerprint_schema(documents: int, longest: int) -> dict[str, type]:
    """Rows of the fingerprint shuffle: hash, global document, position in it (32-bit while the
    documents and the longest text's characters, which bound its canonical characters, are fewer than
    2**31; :func:`fingerprint_rows` refuses a position that does not fit): 16 bytes instead of 24, 42 rows a paragraph at the default settings."""
    return {"hash": np.uint64, "doc": index_dtype(documents), "pos": index_dtype(longest)}


OCCURRENCES = {"da": np.int64, "db": np.int64, "pa": np.int64, "pb": np.int64}
OCC_WITH_A = {"db": np.int64, "da": np.int64, "pa": np.int64, "pb": np.int64, "before_a": np.int64}
HITS = {"da": np.int64, "db": np.int64, "la": np.int64, "lb": np.int64}


# ---------------------------------------------------------------------------------------------
# fingerprints


def edges(part: Part, need: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Canonical code points of the first and last documents, at least ``need`` characters each way."""
    c = part.corpus
    offs = c.doc_offsets
    n = len(offs) - 1
    head: list[np.ndarray] = []
    tail: list[np.ndarray] = []
    acc = 0
    for d in range(n):
        head.append(c.cps[offs[d]:offs[d + 1]].copy())
        acc += int(offs[d + 1] - offs[d])
        if acc >= need:
            break
    acc = 0
    for d in range(n - 1, -1, -1):
        tail.insert(0, c.cps[offs[d]:offs[d + 1]].copy())
        acc += int(offs[d + 1] - offs[d])
        if acc >= need:
            break
    return head, tail


def around(all_edges: list[tuple[list[np.ndarray], list[np.ndarray]]], j: int,
           need: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The documents before and after partition ``j`` (from the partitions' :func:`edges`) holding
    at least ``need`` characters each way, or all there are."""
    before: list[np.ndarray] = []
    acc = 0
    for i in range(j - 1, -1, -1):
        take: list[np.ndarray] = []
        for arr in reversed(all_edges[i][1]):
            take.insert(0, arr)
            acc += arr.size
            if acc >= need:
                break
        before = take + before
        if acc >= need:
            break
    after: list[np.ndarray] = []
    acc = 0
    for i in range(j + 1, len(all_edges)):
        for arr in all_edges[i][0]:
            after.append(arr)
            acc += arr.size
            if acc >= need:
                break
        if acc >= need:
            break
    return before, after


@dataclass
class PartFingerprints:
    """Winnowed fingerprints of one partition's documents: CSR per document, local positions."""

    doc0: int
    offsets: np.ndarray
    pos: np.ndarray
    hash: np.ndarray

    def __sizeof__(self) -> int:
        """The arrays' bytes (what Dask weighs to place the tasks that read them)."""
        return object.__sizeof__(self) + self.offsets.nbytes + self.pos.nbytes + self.hash.nbytes


def part_fingerprints(part: Part, before: list[np.ndarray], after: list[np.ndarray],
                      config: AuditConfig) -> PartFingerprints:
    """``fingerprints.winnow_text`` of the partition with its neighbours' edge documents around it.

    The local engine winnows the whole corpus as one string, so a window may straddle two
    documents; the neighbours' characters make this partition's first and last windows the same.
    """
    c = part.corpus
    own = [c.cps[c.doc_offsets[d]:c.doc_offsets[d + 1]] for d in range(part.n_docs)]
    texts = before + own + after
    offsets = np.concatenate(([0], np.cumsum([t.size for t in texts]))).astype(np.int64)
    cps = np.concatenate(texts).astype(np.uint32) if texts else np.zeros(0, np.uint32)
    pos, h = winnow_text(cps, offsets, config.min_span)
    doc = segments_of(pos, offsets)  # positions ascend
    keep = (doc >= len(before)) & (doc < len(before) + len(own))
    pos, doc = pos[keep].astype(np.int64), doc[keep]
    local = doc - len(before)
    counts = np.bincount(local, minlength=len(own))
    return PartFingerprints(part.doc0, np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
                            pos - offsets[doc], h[keep])


def part_digests(part: Part) -> np.ndarray:
    """The partition's rows of ``docpairs.document_digests`` (merged by ``docpairs.identical_documents``)."""
    return part.document_digests()


def fingerprint_rows(part: Part, fp: PartFingerprints, schema: dict[str, type]):
    """The rows of the fingerprint shuffle (:func:`fingerprint_schema`) of one partition."""
    docs = np.repeat(np.arange(len(fp.offsets) - 1), np.diff(fp.offsets)) + fp.doc0
    # canonical text is never longer than the original (stages.prepare), so the longest text's length
    # bounds every position; should that rule change, stop here rather than wrap round
    if fp.pos.size and int(fp.pos.max()) > np.iinfo(schema["pos"]).max:
        raise ValueError(f"a document of partition {part.index} has over 2**31 canonical characters")
    return frame({"hash": fp.hash, "doc": docs, "pos": fp.pos}, schema)


def fingerprint_buckets(df, doc_group: np.ndarray, min_docs: int) -> tuple[Any, np.ndarray]:
    """One reduce partition of the fingerprint shuffle -> pairs of occurrences that may seed a
    passage, and the partition's common hash values (``fingerprints.common_runs``).

    A fingerprint at one place is neither paired nor asked for as common: it is common only when
    ``min_docs <= 1``, and then every fingerprint is stock and nothing seeds.
    """
    h, doc, pos = (df[c].to_numpy() for c in ("hash", "doc", "pos"))
    m = repeated(h)
    h, doc, pos = h[m], doc[m].astype(np.int64), pos[m].astype(np.int64)
    if not h.size:
        return frame({}, OCCURRENCES), np.zeros(0, np.uint64)
    o = np.lexsort((pos, doc, h))
    h, doc, pos = h[o], doc[o], pos[o]
    starts, sizes = equal_runs(h)
    at = np.arange(h.size)
    _, common = common_runs(at, starts, sizes, doc, doc_group, min_docs)
    x, y = occurrence_pairs(at, starts[~common], sizes[~common], doc)
    return frame({"da": doc[x], "db": doc[y], "pa": pos[x], "pb": pos[y]}, OCCURRENCES), h[starts[common]]


# ---------------------------------------------------------------------------------------------
# seed hits


def _contexts(part: Part, gdoc: np.ndarray, pos: np.ndarray, k: int, reach: int):
    """Canonical characters within ``reach`` of each k-gram (document, local position), clipped to its
    document: CSR (values, offsets) and how many characters precede the k-gram in each."""
    offs = part.corpus.doc_offsets
    d = gdoc - part.doc0
    s, e = offs[d], offs[d + 1]
    lo = np.maximum(s, s + pos - reach)
    hi = np.minimum(e, s + pos + k + reach)
    return gather_csr(part.corpus.cps, lo, hi - lo), s + pos - lo


def hits_attach_a(df, part: Part, config: AuditConfig):
    """Occurrence pairs at the owner of a: the characters around a's occurrence."""
    if df.empty:
        return meta_with_blobs(OCC_WITH_A, ("ctx_a",))
    k, _ = window(config.min_span)
    da = df.index.to_numpy().astype(np.int64)
    pa = df["pa"].to_numpy().astype(np.int64)
    ctx, before = _contexts(part, da, pa, k, free_reach(config.min_span))
    out = frame({"db": df["db"].to_numpy(), "da": da, "pa": pa, "pb": df["pb"].to_numpy(),
                 "before_a": before}, OCC_WITH_A)
    out["ctx_a"] = blob_column(*ctx)
    return out


def hits_at_b(df, part: Part, common: np.ndarray, config: AuditConfig):
    """Occurrence pairs at the owner of b (every occurrence pair of a document pair is here): the seed hits.

    ``common``: the sorted common hashes (``seeds.merge_common`` of the buckets').
    """
    if df.empty:
        return frame({}, HITS)
    k, _ = window(config.min_span)
    min_span = config.min_span
    db = df.index.to_numpy().astype(np.int64)
    pb = df["pb"].to_numpy().astype(np.int64)
    (va, oa), ba = blob_arrays(df["ctx_a"], np.uint32), df["before_a"].to_numpy().astype(np.int64)
    (vb, ob), bb = _contexts(part, db, pb, k, free_reach(min_span))
    # each context reaches as far as seed_hits looks (free_reach characters around the k-gram), or
    # to its document's edge, so the exact match measured on the contexts is the document's, and
    # so are the k-grams free_chars hashes inside it
    shift = va.size
    cps = np.concatenate([va, vb])
    lo = np.stack([oa[:-1], ob[:-1] + shift], axis=1)
    hi = np.stack([oa[1:], ob[1:] + shift], axis=1)
    at_a, at_b = oa[:-1] + ba, ob[:-1] + shift + bb
    long_enough, before = exact_evidence(cps, common, lo, hi, at_a, at_b, k, min_span)
    la = df["pa"].to_numpy().astype(np.int64)
    rows = seed_rows([df["da"].to_numpy().astype(np.int64), db, la, pb, long_enough, la - before])
    return frame({"da": rows[:, 0], "db": rows[:, 1], "la": rows[:, 2], "lb": rows[:, 3]}, HITS)


# ---------------------------------------------------------------------------------------------
# alignment of document pairs


def hit_pairs(hits) -> np.ndarray:
    """The distinct (a, b) document pairs of a partition's seed hits (rows of ``HITS``), sorted."""
    if hits.empty:
        return np.zeros((0, 2), np.int64)
    pairs = np.stack([hits["da"].to_numpy(), hits["db"].to_numpy()], axis=1).astype(np.int64)
    return np.unique(pairs, axis=0)


def export_documents(part: Part, docs: list[int]) -> DocumentBatch:
    """Documents ``docs`` (ascending global indices, all of this partition) with their prepared arrays
    (:meth:`Part.batch`): what the owner of a later document needs of the earlier one. Each leaves its
    partition once per partition that aligns it, however many of that partition's pairs it is in."""
    return part.batch(docs)


def align_pairs(corpus, rows: list, hits: np.ndarray) -> tuple[list, list, list]:
    """Passages of some document pairs of ``corpus``, as the local engine's alignment finds them.

    ``rows`` are the verified paragraph pairs of those document pairs and ``hits`` their seed
    hits (``seeds.seed_hits`` rows). Passages are described (``describe.describe_found``) but not
    numbered (numbers need every passage of the corpus). Returns the matches, the passages and
    their pieces with evidence, in the report's order.
    """
    from chachong.stages.describe import describe_found, passage_order
    from chachong.stages.passages import find_passages, paragraph_regions

    found = find_passages(corpus, hits, paragraph_regions(corpus, [(a, b) for a, b, *_ in rows]))
    entries = [e for described in describe_found(corpus, found).values() for e in described]
    entries.sort(key=lambda e: passage_order(e[0]))
    return [e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries]


@dataclass
class BlockResult:
    """What one partition's alignment sends back, each record with its global sort key."""

    passages: list[tuple[tuple, Any]]
    paragraph_pairs: list[tuple[tuple, Any]]
    document_pairs: list[tuple[tuple, Any]]
    copied: dict[str, dict[str, list[tuple[int, int]]]]  # document id -> source id -> merged intervals


def align_block(part: Part, hits, pairs: dict, rows: dict, exported: list, stock: dict,
                config: AuditConfig) -> BlockResult:
    """Align the document pairs whose later document this partition owns, on a corpus of just their documents.

    ``pairs``: columns da, db (global documents, sorted by (db, da)) and jaccard (the exact document
    Jaccard the local engine computed, NaN when none); ``hits``: the partition's seed hits (rows of
    ``HITS``, every one of a pair whose b is here); ``rows``: the verified paragraph pairs of these
    document pairs kept after the stock rule (columns da, ia, db, ib, jaccard, containment, kind);
    ``exported``: :func:`export_documents` of the other partitions' documents in these pairs;
    ``stock``: the stock paragraphs (doc, idx). Runs the local engine's per-pair stages: identical
    short paragraphs of near-duplicate documents (``docpairs.short_twins``), passages
    (:func:`align_pairs`), paragraph pairs and spans (``docstats.paragraph_pairs``) and copy
    ratios per pair (``docstats.document_stats``).
    """
    with paused_gc():  # as the local engine's alignment (``_align_part``): many small acyclic records
        return _aligned_block(part, hits, pairs, rows, exported, stock, config)


def _aligned_block(part: Part, hits, pairs: dict, rows: dict, exported: list, stock: dict,
                   config: AuditConfig) -> BlockResult:
    from chachong.stages.docpairs import short_twins
    from chachong.stages.docstats import document_stats, paragraph_pairs

    da, db = np.asarray(pairs["da"], np.int64), np.asarray(pairs["db"], np.int64)
    if not da.size:
        return BlockResult([], [], [], {})
    every = np.unique(np.concatenate([da, db]))
    mine = every[(every >= part.doc0) & (every < part.doc0 + part.n_docs)]
    # each batch holds one partition's documents, so in partition order they are in global order
    batches = sorted([b for b in [*exported, part.batch(mine.tolist(), pack=False)] if b.indices],
                     key=lambda b: b.indices[0])
    order = [g for b in batches for g in b.indices]
    if order != every.tolist():
        raise ValueError("the documents of an alignment block came twice or not at all")
    loc = {g: i for i, g in enumerate(order)}
    # the corpus of just these documents, from their prepared arrays (as prepare.prepare makes it)
    sub = corpus_of(batches, config)
    # the documents' signatures and digests came with them: their paragraphs' are not needed
    cache = StageCache()
    cache.doc_signatures = document_signatures(batches, config)
    cache.doc_digests = document_digests(batches)

    def local_par(g_doc: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return sub.par_first[[loc[int(x)] for x in g_doc]] + idx

    # the exact document Jaccards the local engine computed for these pairs (docpairs.document_groups)
    doc_jac = {(loc[x], loc[y]): float(j) for x, y, j in zip(da.tolist(), db.tolist(), pairs["jaccard"].tolist())
               if not np.isnan(j)}
    if hits.empty:
        hits_arr = np.zeros((0, 4), np.int64)
    else:
        g = np.stack([hits[c].to_numpy() for c in HITS], axis=1).astype(np.int64)
        at = np.asarray(order, np.int64)
        hits_arr = np.stack([np.searchsorted(at, g[:, 0]), np.searchsorted(at, g[:, 1]), g[:, 2], g[:, 3]], axis=1)
        hits_arr = hits_arr[np.lexsort((hits_arr[:, 3], hits_arr[:, 2], hits_arr[:, 1], hits_arr[:, 0]))]
    r = rows
    rows_: list[tuple] = list(zip(local_par(r["da"], r["ia"]).tolist(), local_par(r["db"], r["ib"]).tolist(),
                                  r["jaccard"].tolist(), r["containment"].tolist(), [KINDS[x] for x in r["kind"]]))
    s = stock
    in_block = np.isin(s["doc"], order)
    stock_members = set(local_par(s["doc"][in_block], s["idx"][in_block]).tolist())
    rows_.extend(short_twins(sub, dict(doc_jac), rows_))
    rows_.sort(key=lambda t: (int(t[0]), int(t[1])))
    matches, described, cuts = align_pairs(sub, rows_, hits_arr)
    par_pairs, pair_count, copied = paragraph_pairs(sub, rows_, matches, described, stock_members, cuts)
    stats, doc_pairs = document_stats(sub, pair_count, copied, dict(doc_jac), cache)
    did = {sub.documents[i].id: g for i, g in enumerate(order)}
    place = {sub.documents[i].id: i for i in range(len(order))}
    every: dict[str, tuple[int, int]] = {}

    def key_of(pid: str) -> tuple[int, int]:
        # (global document, paragraph index) of a paragraph id, looked up for the pairs' paragraphs
        # only: made for every paragraph of the block, the records took 3.4 of its 34 task seconds at
        # 600k. Ids of the form "<document>:pNNN" (``model.paragraph_id``) are found by their number;
        # a caller's own ids by a table of every id in the block, made once when one is met.
        doc = pid.rpartition(":p")[0]
        i = place.get(doc)
        n = sub.documents[i].paragraphs.index_of(pid) if i is not None else None
        if n is not None:
            return did[doc], n
        if not every:
            every.update((p, (g, k)) for j, g in enumerate(order)
                         for k, p in enumerate(sub.documents[j].paragraphs.ids()))
        return every[pid]
    owned = set(zip(da.tolist(), db.tolist()))

    def mine_pair(x: str, y: str) -> bool:
        gx, gy = did[x], did[y]
        return (min(gx, gy), max(gx, gy)) in owned

    # identical documents are linked wherever both are in a block's corpus; the block owning the pair reports it
    doc_pairs = [dp for dp in doc_pairs if mine_pair(dp.a, dp.b)]
    copied_mine = {}
    for doc_id, st in stats.items():
        per = {sid: ivs for sid, ivs in st.copied.items() if mine_pair(doc_id, sid)}
        if per:
            copied_mine[doc_id] = per
    return BlockResult(
        passages=[((order[dm.a], dm.match.a_start, order[dm.b], dm.match.b_start, dm.match.a_end, dm.match.b_end), p)
                  for dm, p in zip(matches, described)],
        paragraph_pairs=[((*key_of(pp.a), *key_of(pp.b)), pp) for pp in par_pairs],
        document_pairs=[((did[dp.a], did[dp.b]), dp) for dp in doc_pairs],
        copied=copied_mine,
    )
