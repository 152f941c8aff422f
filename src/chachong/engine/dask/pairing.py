"""The pair stage on partitions: two shuffles of keyed rows, then candidates routed to their owners.

Every partition emits two kinds of rows for its eligible paragraphs (``candidates.eligible``).
Keyed rows ``(band, key, paragraph, hash)`` (:func:`pair_rows`): one per paragraph keyed by its
text's digest (``candidates.text_digests``), one per LSH band keyed by ``lsh.band_key``. Sample rows
``(fingerprint, paragraph)`` (:func:`sample_rows`): one per sampled fingerprint
(``candidates.sampled``), 36 a paragraph beside 43 keyed rows at the default settings; they need
only a 32-bit hash and a paragraph, so they travel in their own narrow frame. Paragraph numbers are
32-bit below 2**31 paragraphs (``partitions.index_dtype``), and no row carries its document: the
buckets look up the documents of the paragraphs they pair (:func:`documents_of`, on every document's
first paragraph, sent once to every worker). Each kind is shuffled on its key, and bucket ``j`` of
both comes to one task (:func:`bucket_candidates`), which applies the stage's per-bucket rules:
``candidates.text_groups`` (identical pairs, the members of repeated texts), ``lsh.band_pairs`` on
one representative per text and band, ``candidates.fingerprint_runs`` and ``fingerprint_pairs``.

Candidates are then *routed*: a range shuffle sends each row to the partition owning paragraph
``a``, which attaches what is needed of a, then to the owner of ``b``. Round one
(:func:`filter_attach_a`, :func:`filter_at_b`) applies ``candidates.passes_estimate`` and
``candidates.shares_enough``; the client expands and de-duplicates (``candidates.expand``,
``unverified``); round two (:func:`verify_attach_a`, :func:`verify_at_b`) verifies exactly
(``verify.similarity``, ``candidates.classify``, ``kinds_of``). Document Jaccards of linked
document pairs go the same way (:func:`doc_attach_a`, :func:`doc_jaccard_at_b`).
"""

from __future__ import annotations

import numpy as np

from chachong.config import AuditConfig
from chachong.engine.dask.partitions import (Part, binary, blob_arrays, blob_column, frame,
                                             index_dtype, meta_with_blobs)
from chachong.runtime.arrays import equal_runs, gather_csr, range_indices
from chachong.stages.candidates import (eligible, fingerprint_pairs, fingerprint_runs, may_share_enough,
                                        min_fingerprint_share, passes_estimate, sampled, shares_enough,
                                        text_digests, text_groups)
from chachong.stages.lsh import band_key, band_pairs, repeated

# row kinds of the pairing shuffle
TEXT_BAND = -1  # a distinct canonical text (identical paragraphs)
# candidate flags
LSH, FP = 1, 2  # proposed by LSH buckets, by a shared fingerprint sample
REP_PASSED = 4  # an LSH representative pair that passed the MinHash estimate (expanded on the client)


def pair_schema(paragraphs: int) -> dict[str, type]:
    """Keyed rows: LSH band (or ``TEXT_BAND``), key, paragraph, hash."""
    return {"band": np.int16, "key": np.uint64, "x": index_dtype(paragraphs), "h": np.uint64}


def sample_schema(paragraphs: int) -> dict[str, type]:
    """Sample rows: sampled fingerprint (a 32-bit shingle hash), paragraph."""
    return {"key": np.uint32, "x": index_dtype(paragraphs)}


def documents_of(paragraphs: np.ndarray, doc_starts: np.ndarray) -> np.ndarray:
    """The global document of each global paragraph, from every document's first paragraph
    (ascending): the rows carry no document, the buckets look up the few they pair.

    >>> documents_of(np.array([0, 1, 2, 4, 5, 6]), np.array([0, 2, 5])).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    return np.searchsorted(doc_starts, paragraphs, side="right") - 1


def _by_key_then_paragraph(key: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample rows sorted by (fingerprint, paragraph): one sort of packed 64-bit words while paragraph
    numbers fit 32 bits (numpy's SIMD sort: 42 ms for 700k rows, against 146 for a lexsort of the two
    columns and 56 for the lexsort of the repeated keys' rows only)."""
    if x.dtype.itemsize <= 4:
        packed = (key.astype(np.uint64) << np.uint64(32)) | x.astype(np.uint32).astype(np.uint64)
        packed.sort()
        return (packed >> np.uint64(32)).astype(np.uint32), (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    o = np.lexsort((x, key))
    return key[o], x[o].astype(np.int64)


CANDIDATES = {"kind": np.int8, "x": np.int64, "y": np.int64}
# kinds of CANDIDATES rows: (x, y) identical; x represents member y; an LSH pair; a fingerprint pair
IDENT, MEMBER, LSH_PAIR, FP_PAIR = 0, 1, 2, 3
REQUEST = {"a": np.int64, "b": np.int64, "flag": np.int8}
FILTER_A = {"b": np.int64, "a": np.int64, "flag": np.int8, "fp_count": np.int64, "per_a": np.int64}
VERIFY_A = {"b": np.int64, "a": np.int64, "doc_a": np.int64}
VERIFIED = {"kind": np.int8, "a": np.int64, "b": np.int64, "jaccard": np.float64, "containment": np.float64}
DOC_REQ = {"da": np.int64, "db": np.int64}
DOC_WITH_A = {"db": np.int64, "da": np.int64}
DOC_JAC = {"da": np.int64, "db": np.int64, "jaccard": np.float64}


def pair_rows(part: Part, config: AuditConfig, bands: int, rows: int, paragraphs: int):
    """The keyed rows of the pairing (see the module docstring) for one partition."""
    c = part.corpus
    el = eligible(c)
    schema = pair_schema(paragraphs)
    digest = text_digests(c.cps, c.par_bounds[el, 0], c.par_bounds[el, 1])
    # the text's row, then one per band: each column filled in place, in the schema's types
    band = np.empty((bands + 1, el.size), schema["band"])
    band[0] = TEXT_BAND
    band[1:] = np.arange(bands, dtype=band.dtype)[:, None]
    key = np.empty((bands + 1, el.size), np.uint64)
    key[0] = digest[:, 0]
    sig = c.signatures[el]
    for b in range(bands):
        key[b + 1] = band_key(sig, b, rows)
    h = np.empty((bands + 1, el.size), np.uint64)
    h[0] = digest[:, 1]
    h[1:] = digest[:, 0]
    x = np.tile((el + part.par0).astype(schema["x"]), bands + 1)
    return frame({"band": band.ravel(), "key": key.ravel(), "x": x, "h": h.ravel()}, schema)


def sample_rows(part: Part, paragraphs: int):
    """The sample rows of the pairing for one partition: its eligible paragraphs' sampled fingerprints.

    (Dropping here the fingerprints in more than ``candidates.FP_MAX_DF`` of the partition's
    paragraphs would not be exact: their rows from other partitions would make a smaller run.)
    """
    c = part.corpus
    in_scope = np.zeros(c.n_paragraphs, dtype=bool)
    in_scope[eligible(c)] = True
    fh, fp = sampled(c, in_scope=in_scope)
    return frame({"key": fh, "x": fp.astype(np.int64) + part.par0}, sample_schema(paragraphs))


def bucket_candidates(keyed, samples, doc_starts: np.ndarray):
    """Bucket ``j`` of both shuffles (keyed rows, sample rows) -> identical pairs, members of repeated
    texts, LSH pairs of representatives and fingerprint pairs (one row per shared fingerprint).
    ``doc_starts``: every document's first paragraph (:func:`documents_of`)."""
    band, key, x, h = (keyed[c].to_numpy() for c in ("band", "key", "x", "h"))
    m = repeated(key)  # a key of one row pairs nothing
    band, key, x, h = band[m], key[m], x[m].astype(np.int64), h[m]
    out = []
    # identical canonical texts: equal digests (key, h), paragraphs ascending within a text
    m = band == TEXT_BAND
    tk, th, tx = key[m], h[m], x[m]
    o = np.lexsort((tx, th, tk))
    tk, th, tx = tk[o], th[o], tx[o]
    starts, sizes = equal_runs(tk, th)
    texts = text_groups(tx, np.repeat(np.arange(starts.size), sizes), documents_of(tx, doc_starts))
    out.append({"kind": np.full(len(texts.ident), IDENT), "x": texts.ident[:, 0], "y": texts.ident[:, 1]})
    out.append({"kind": np.full(texts.member.size, MEMBER), "x": texts.rep_of, "y": texts.member})
    # LSH buckets: one representative (the first paragraph) per text (h: its digest's first half)
    # and band, as the corpus's pairing bands only the texts' first paragraphs
    m = band >= 0
    bb, bk, bx, bh = band[m], key[m], x[m], h[m]
    o = np.lexsort((bx, bh, bk, bb))
    bb, bk, bx, bh = bb[o], bk[o], bx[o], bh[o]
    first, _ = equal_runs(bb, bk, bh)
    bb, bk, bx = bb[first], bk[first], bx[first]
    for s, z in zip(*equal_runs(bb)):
        codes = band_pairs(bk[s:s + z])
        pa, pb = bx[s + codes // z], bx[s + codes % z]
        out.append({"kind": np.full(codes.size, LSH_PAIR), "x": np.minimum(pa, pb), "y": np.maximum(pa, pb)})
    # sampled fingerprints: the runs that propose pairs, their paragraphs' documents looked up
    fk, fx = _by_key_then_paragraph(samples["key"].to_numpy(), samples["x"].to_numpy())
    starts, sizes = fingerprint_runs(fk)
    fx = fx[range_indices(starts, sizes)]
    starts = np.cumsum(sizes) - sizes
    p = fingerprint_pairs(np.arange(fx.size), starts, sizes, documents_of(fx, doc_starts))
    out.append({"kind": np.full(len(p), FP_PAIR), "x": fx[p[:, 0]], "y": fx[p[:, 1]]})
    return frame({k: np.concatenate([o[k] for o in out]) for k in CANDIDATES}, CANDIDATES)


def merged_requests(df) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Requests (index a; b, flag) -> one row per (a, b): flags or-ed, fingerprint rows counted."""
    a = df.index.to_numpy().astype(np.int64)
    b = df["b"].to_numpy().astype(np.int64)
    flag = df["flag"].to_numpy().astype(np.int8)
    o = np.lexsort((b, a))
    a, b, flag = a[o], b[o], flag[o]
    starts, _ = equal_runs(a, b)
    merged = np.bitwise_or.reduceat(flag, starts)
    fp_count = np.add.reduceat((flag & FP) != 0, starts).astype(np.int64)
    return a[starts], b[starts], merged, fp_count


def filter_attach_a(df, part: Part):
    """Round 1 at the owner of a: what the candidate filters need (signature, sampled fingerprints)."""
    if df.empty:
        return meta_with_blobs(FILTER_A, ("sig_a",))
    a, b, flag, fp_count = merged_requests(df)
    # a pair proposed by fingerprints alone that shares too few of them goes no further: most
    # pairs share just one fingerprint, by chance (4.59 M of 4.75 M at 600k paragraphs)
    keep = ((flag & LSH) != 0) | may_share_enough(fp_count)
    a, b, flag, fp_count = a[keep], b[keep], flag[keep], fp_count[keep]
    c = part.corpus
    local = a - part.par0
    out = frame({"b": b, "a": a, "flag": flag, "fp_count": fp_count, "per_a": part.samples()[local]},
                FILTER_A)
    # a's signature only where the MinHash estimate is asked for (LSH): most candidates come from
    # shared fingerprint samples alone, and a signature is 4 bytes per permutation
    lsh = (flag & LSH) != 0
    n_perm = c.signatures.shape[1]
    offsets = np.concatenate(([0], np.cumsum(np.where(lsh, n_perm, 0)))).astype(np.int64)
    out["sig_a"] = blob_column(c.signatures[local[lsh]].reshape(-1), offsets)
    return out


def filter_at_b(df, part: Part, config: AuditConfig):
    """Round 1 at the owner of b: the MinHash estimate (LSH) and shared-sample (fingerprint) filters.

    Returns the candidates that passed either; those that passed the estimate are flagged
    ``REP_PASSED``: the client expands them to their texts' members (``candidates.expand``).
    """
    if df.empty:
        return frame({}, REQUEST)
    c = part.corpus
    b = df.index.to_numpy().astype(np.int64)
    a = df["a"].to_numpy()
    flag = df["flag"].to_numpy()
    local = b - part.par0
    lsh = (flag & LSH) != 0
    sig_a = blob_arrays(df["sig_a"], np.uint32)[0].reshape(-1, c.signatures.shape[1])  # LSH rows only
    # the MinHash estimate, on representatives, before the document filter: their texts'
    # other paragraphs may be in other documents
    passed = np.zeros(len(b), bool)
    passed[lsh] = passes_estimate((sig_a == c.signatures[local[lsh]]).mean(axis=1), config.threshold)
    fp_ok = ((flag & FP) != 0) & shares_enough(df["fp_count"].to_numpy(), df["per_a"].to_numpy(),
                                               part.samples()[local], min_fingerprint_share(config))
    keep = passed | fp_ok
    return frame({"a": a[keep], "b": b[keep], "flag": np.where(passed, REP_PASSED, 0)[keep]}, REQUEST)


def verify_attach_a(df, part: Part):
    """Round 2 at the owner of a: a's shingle set and canonical text."""
    if df.empty:
        return meta_with_blobs(VERIFY_A, ("set_a", "cps_a"))
    a, b, _, _ = merged_requests(df)
    local = a - part.par0
    out = frame({"b": b, "a": a, "doc_a": part.corpus.par_doc[local].astype(np.int64) + part.doc0}, VERIFY_A)
    out["set_a"] = blob_column(*part.sets(local))
    out["cps_a"] = blob_column(*part.texts(local))
    return out


def _mini_corpus(config: AuditConfig, cps: tuple[np.ndarray, np.ndarray], sets: tuple[np.ndarray, np.ndarray],
                 docs: np.ndarray):
    """A Corpus of just the given paragraphs (CSR texts and sets; no documents, no signatures)."""
    from chachong.stages.prepare import Corpus

    return Corpus(
        documents=[], config=config, cps=cps[0].astype(np.uint32),
        orig_start=np.zeros(0, np.int64), orig_end=np.zeros(0, np.int64), doc_offsets=np.zeros(1, np.int64),
        par_doc=docs.astype(np.int64), par_bounds=np.stack([cps[1][:-1], cps[1][1:]], axis=1),
        set_hashes=sets[0].astype(np.uint32), set_offsets=sets[1].astype(np.int64),
        signatures=np.zeros((len(docs), 0), np.uint32),
    )


def _interleave(x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two CSR arrays of n rows -> one of 2n rows: x[0], y[0], x[1], y[1], ..."""
    lens = np.empty(2 * (len(x[1]) - 1), np.int64)
    lens[0::2], lens[1::2] = np.diff(x[1]), np.diff(y[1])
    starts = np.empty_like(lens)
    starts[0::2], starts[1::2] = x[1][:-1], y[1][:-1] + x[0].size
    return gather_csr(np.concatenate([x[0], y[0]]), starts, lens)


def verify_at_b(df, part: Part, config: AuditConfig):
    """Round 2 at the owner of b: exact Jaccard, containment and kind code of every candidate."""
    from chachong.stages.candidates import classify, kinds_of
    from chachong.stages.verify import similarity

    if df.empty:
        return frame({}, VERIFIED)
    b = df.index.to_numpy().astype(np.int64)
    a = df["a"].to_numpy()
    local = b - part.par0
    docs = np.empty(2 * len(b), np.int64)
    docs[0::2], docs[1::2] = df["doc_a"].to_numpy(), part.corpus.par_doc[local] + part.doc0
    mini = _mini_corpus(config, _interleave(blob_arrays(df["cps_a"], np.uint32), part.texts(local)),
                        _interleave(blob_arrays(df["set_a"], np.uint32), part.sets(local)), docs)
    pairs = np.stack([np.arange(0, 2 * len(b), 2), np.arange(1, 2 * len(b), 2)], axis=1)
    jac, cont = similarity(mini.set_hashes, mini.set_offsets, pairs)
    kind = kinds_of(*classify(mini, pairs, jac, cont))
    keep = kind >= 0
    return frame({"kind": kind[keep], "a": a[keep], "b": b[keep], "jaccard": jac[keep],
                  "containment": cont[keep]}, VERIFIED)


# documents' signatures and shingle sets, for document Jaccards


def doc_attach_a(df, part: Part, what: str):
    """Document pairs at the owner of a: a's signature (``what="sig"``) or shingle set (``"set"``)."""
    from chachong.stages.docpairs import document_set

    if df.empty:
        return meta_with_blobs(DOC_WITH_A, ("x_a",))
    da = df.index.to_numpy().astype(np.int64)
    db = df["db"].to_numpy().astype(np.int64)
    out = frame({"db": db, "da": da}, DOC_WITH_A)
    if what == "sig":
        sigs = part.document_signatures()
        get = lambda corpus, d: sigs[d]  # noqa: E731
    else:
        get = document_set
    cache: dict[int, bytes] = {}
    blobs = []
    for d in (da - part.doc0).tolist():
        if d not in cache:
            cache[d] = get(part.corpus, d).tobytes()
        blobs.append(cache[d])
    out["x_a"] = binary(blobs)
    return out


def doc_jaccard_at_b(df, part: Part, what: str, config: AuditConfig):
    """Document pairs at the owner of b: MinHash estimates that may reach document_threshold
    (``docpairs.may_reach``), or exact Jaccards (``docpairs.exact_jaccard``)."""
    from chachong.stages.docpairs import document_set, exact_jaccard, may_reach

    if df.empty:
        return frame({}, DOC_JAC)
    db = df.index.to_numpy().astype(np.int64)
    jac = np.empty(db.size)
    cache: dict[int, np.ndarray] = {}
    sigs = part.document_signatures() if what == "sig" else None
    for i, (d, blob) in enumerate(zip((db - part.doc0).tolist(), df["x_a"])):
        if sigs is not None:
            jac[i] = float((np.frombuffer(blob, np.uint32) == sigs[d]).mean())
        else:
            if d not in cache:
                cache[d] = document_set(part.corpus, d)
            jac[i] = exact_jaccard(np.frombuffer(blob, np.uint32), cache[d])
    keep = may_reach(jac, config.document_threshold) if what == "sig" else np.ones(db.size, bool)
    return frame({"da": df["da"].to_numpy()[keep], "db": db[keep], "jaccard": jac[keep]}, DOC_JAC)
