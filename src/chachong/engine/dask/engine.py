"""The batch audit on Dask distributed: the local pipeline's stages as tasks over partitions.

``audit_dask(paths, config, scheduler="tcp://host:8786")`` gives the same :class:`AuditResult`
(and so the same ``report.json``, byte for byte) as :func:`chachong.engine.local.audit`; it only
changes *where* the work runs. Dask is imported by this module alone, so the local engine
never loads it.

How the corpus moves (P partitions of whole documents, about ``partition_paragraphs`` each):

1. **read**: one task lists each given path (``ingest``), one task per file reads and splits it
   (``audit.load_documents``); ids are renumbered to their global order.
2. **sign**: one task per partition runs :func:`chachong.stages.prepare.prepare` on its documents. The
   prepared arrays (canonical code points, shingle sets, signatures) stay on that worker for
   the whole audit; only rows of numbers and the payloads of candidate pairs leave it.
3. **pair**: every partition emits rows ``(band, key, paragraph, hash, document)``: one per
   eligible paragraph and LSH band (:func:`chachong.stages.lsh.band_key`), one per distinct
   canonical text (groups of identical paragraphs) and one per sampled shingle fingerprint.
   One ``dask.dataframe`` shuffle on ``key`` brings each bucket to one task, which emits the
   identical pairs, the LSH pairs of group representatives and the fingerprint pairs, as
   :func:`chachong.stages.candidates.find_pairs` does per bucket (never a gather of the signatures).
   Candidates are then *routed*: a range shuffle (``set_index`` with the partitions' paragraph
   bounds as divisions) sends each to the partition owning paragraph ``a``, which attaches
   what the next step needs of a, then to the owner of ``b``. Round one attaches signatures and
   applies the MinHash and fingerprint filters; round two attaches shingle sets and texts of the
   survivors and verifies them exactly (:func:`classify`: ``verify.similarity``,
   ``pairs.run_coverage``).
4. **cluster**: document Jaccards of the linked document pairs are routed the same way (a
   MinHash estimate on document signatures, then exact Jaccards on document shingle sets for
   the few pairs near ``document_threshold``, as ``audit._document_groups``); the union-find,
   the stock-paragraph rule and the clusters run on the client (:func:`stock_plan`).
5. **align**: each partition's winnowed fingerprints (:func:`chachong.stages.passages.fingerprints` on
   the partition plus the neighbouring documents' edges, so windows across partition edges are
   the local engine's) are shuffled on their hash; stock and too frequent (common) fingerprints
   drop out and the others pair their occurrences. The occurrence pairs are routed to the owners
   of both documents, which attach the few characters around each occurrence: exact extents
   (``passages.match_sides``), the characters of the match outside common k-grams
   (``passages.free_chars``, with the common hashes gathered from the shuffle's reduce tasks)
   and :func:`seed_evidence` give the seed hits. Every document pair to
   align (with kept paragraph pairs, seed hits, near-duplicate or identical) is then routed to
   the owner of its later document with the earlier document's text, and one task per
   partition aligns its pairs on a corpus of just the documents it needs (:func:`align_pairs`,
   ``audit._short_twins``, ``_paragraph_pairs``, ``_document_stats``).
6. **documents**: the client merges the per-pair results (passage numbers, copy ratios per
   document) and runs :func:`chachong.stages.stock.annotate_stock` on the result.

The client holds the documents' texts (the report contains them), the verified pair table
and per-document results; never signatures or shingle sets. The pieces of ``find_pairs`` and
``assemble`` that are not separate functions there (the candidate filters and classification of
verification, the stock-paragraph rule, the per-document copy ratios, passage numbering) are
restated here in functions named after them; the equality tests (tests/test_dask.py) hold the
two engines together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chachong.config import AuditConfig, ConfigError
from chachong.ingest.renumber import renumber
from chachong.runtime.arrays import equal_runs
from chachong.stages.cluster import StockPlan, stock_plan
from chachong.stages.docpairs import identical_documents
from chachong.model import Document, Paragraph, Skipped

Progress = Callable[[str], None]

# row kinds of the pairing shuffle
_TEXT_BAND = -1  # a distinct canonical text (identical paragraphs)
_FP_BAND = -2  # a sampled shingle fingerprint (containment candidates)
# candidate flags
_LSH, _FP = 1, 2  # proposed by LSH buckets, by a shared fingerprint sample
_VERIFY = 4  # passed the filters (or expanded from a representative pair): verify exactly
_REP_PASSED = 8  # an LSH representative pair that passed the MinHash estimate (expanded on the client)
# pair kinds in frames
_KIND_CODES = ("identical", "near-duplicate", "contained")

DEFAULT_PARTITION_PARAGRAPHS = 20_000


def _require_dask():
    try:
        import dask
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the dask engine needs dask[distributed] (and pandas, pyarrow); "
                          "install it with: pip install 'chachong[dask]'") from exc


# ---------------------------------------------------------------------------------------------
# connecting


def connect(scheduler: str | None, workers: int = 0):
    """A ``distributed.Client`` for ``scheduler`` (``tcp://host:port``), or a LocalCluster.

    Returns (client, cluster or None); close both when done. Without an address a LocalCluster
    of ``workers`` processes is started (0: one per core).
    """
    _require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        unreachable = ConfigError(f"cannot reach the Dask scheduler at {scheduler}; "
                                  "start one with `dask scheduler` or check --scheduler")
        if scheduler.startswith("tcp://"):
            # a refused connection is known at once; the client would retry until its timeout
            host, _, port = scheduler[len("tcp://"):].rpartition(":")
            try:
                socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
            except (OSError, ValueError):
                raise unreachable from None
        try:
            return Client(scheduler, timeout="30s", set_as_default=False), None
        except (OSError, TimeoutError):
            raise unreachable from None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster, set_as_default=False), cluster


# ---------------------------------------------------------------------------------------------
# partitions


@dataclass
class _Part:
    """One partition: consecutive documents, prepared (they stay on the worker holding this)."""

    index: int
    doc0: int  # global index of the first document
    par0: int  # global index of the first paragraph
    corpus: Any  # chachong.stages.prepare.Corpus of the partition's documents (local indices)
    _digests: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _samples: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_docs(self) -> int:
        return len(self.corpus.documents)

    def digests(self) -> tuple[np.ndarray, np.ndarray]:
        """128-bit digest (two uint64) of every paragraph's canonical text."""
        if self._digests is None:
            self._digests = _digests(self.corpus, np.arange(self.corpus.n_paragraphs))
        return self._digests

    def samples(self) -> np.ndarray:
        """Sampled fingerprints per paragraph (hashes with two low bits zero), the containment denominator."""
        if self._samples is None:
            c = self.corpus
            sampled = ((c.set_hashes & np.uint32(3)) == 0).astype(np.int64)
            self._samples = np.add.reduceat(sampled, c.set_offsets[:-1]) if c.n_paragraphs else np.zeros(0, np.int64)
        return self._samples

    def texts(self, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canonical code points of paragraphs ``local``, as CSR (values, offsets)."""
        b = self.corpus.par_bounds[local]
        return _gather_csr(self.corpus.cps, b[:, 0], b[:, 1] - b[:, 0])

    def sets(self, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shingle sets of paragraphs ``local``, as CSR (values, offsets)."""
        off = self.corpus.set_offsets
        return _gather_csr(self.corpus.set_hashes, off[local], off[local + 1] - off[local])


def _gather_csr(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slices ``values[starts[i]:starts[i] + lengths[i]]`` concatenated, with their offsets."""
    lengths = np.asarray(lengths, np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    idx = np.repeat(np.asarray(starts, np.int64) - offsets[:-1], lengths) + np.arange(int(offsets[-1]))
    return values[idx], offsets


def _blob_column(values: np.ndarray, offsets: np.ndarray):
    """CSR rows of numbers -> a pandas column of Arrow binaries (one per row), without a loop per row."""
    import pandas as pd
    import pyarrow as pa

    data = np.ascontiguousarray(values)
    item = data.dtype.itemsize
    arr = pa.Array.from_buffers(pa.large_binary(), len(offsets) - 1,
                                [None, pa.py_buffer(np.asarray(offsets, np.int64) * item),
                                 pa.py_buffer(data.view(np.uint8))])
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def _blob_arrays(series, dtype) -> tuple[np.ndarray, np.ndarray]:
    """A column of Arrow binaries -> its rows as CSR (values of ``dtype``, offsets in values)."""
    import pyarrow as pa

    arr = pa.array(series.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_binary():
        arr = arr.cast(pa.large_binary())
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    item = np.dtype(dtype).itemsize
    return data[off[0]:off[-1]].view(dtype), (off - off[0]) // item


def _list_input(given: Any, encoding: str | None) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """The files one given path stands for, as read_sources lists them: (file, real path) and skips."""
    from chachong.ingest import read as ingest

    try:
        fs_given = ingest._fs_path(given)
    except TypeError:
        return [], ingest.read_sources([given], encoding=encoding)[1]
    skipped: list[Skipped] = []
    try:
        files = ingest._expand(fs_given, skipped)
    except Exception:  # noqa: BLE001 - read_sources words the reason
        return [], ingest.read_sources([given], encoding=encoding)[1]
    return [(f, os.path.realpath(f)) for f in files], skipped


def _read_file(path: str, config: AuditConfig) -> tuple[list[Document], list[Skipped], list[str]]:
    """One file read and split exactly as the local engine does (ids from d1; renumbered later)."""
    from chachong.stages.load import load_documents

    return load_documents([path], config)


def _skips_and_warnings(read: tuple[list[Document], list, list]) -> tuple[list, list]:
    return read[1], read[2]


def _paragraph_counts(read: tuple[list[Document], list, list]) -> list[int]:
    return [len(d.paragraphs) for d in read[0]]


def _make_part(index: int, doc0: int, par0: int, total: int, pieces: list, config: AuditConfig) -> _Part:
    """Renumber and prepare documents ``pieces`` = [(docs or read result, lo, hi, first id)]."""
    from chachong.stages.prepare import prepare

    docs: list[Document] = []
    for src, lo, hi, first in pieces:
        got = src[0] if isinstance(src, tuple) else src
        docs.extend(renumber(got[lo:hi], first, total) if first is not None else got[lo:hi])
    # one thread: a dask worker process is one of many on its machine (threads_per_worker=1)
    return _Part(index, doc0, par0, prepare(docs, config, threads=1))


def _documents(part: _Part) -> list[Document]:
    return part.corpus.documents


def _cut(counts: list[int], target: int) -> list[tuple[int, int]]:
    """Document ranges of about ``target`` paragraphs each; the last holds at least 2 documents."""
    cuts, start, acc = [], 0, 0
    for i, c in enumerate(counts):
        acc += c
        if acc >= target and i + 1 < len(counts):
            cuts.append((start, i + 1))
            start, acc = i + 1, 0
    cuts.append((start, len(counts)))
    if len(cuts) > 1 and cuts[-1][1] - cuts[-1][0] < 2:
        cuts[-2:] = [(cuts[-2][0], cuts[-1][1])]
    return cuts


# ---------------------------------------------------------------------------------------------
# per-paragraph helpers (run on workers)


def _eligible(corpus, config: AuditConfig) -> np.ndarray:
    return np.flatnonzero(corpus.canonical_length() >= max(config.min_paragraph_chars, 1))


def _digests(corpus, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """128-bit digest of each paragraph's canonical text: equal digests stand for equal texts."""
    h1 = np.empty(len(idx), np.uint64)
    h2 = np.empty(len(idx), np.uint64)
    cps, bounds = corpus.cps, corpus.par_bounds
    for j, i in enumerate(idx.tolist()):
        s, e = bounds[i]
        d = hashlib.blake2b(cps[s:e].tobytes(), digest_size=16).digest()
        h1[j] = int.from_bytes(d[:8], "little")
        h2[j] = int.from_bytes(d[8:], "little")
    return h1, h2


def _sampled(corpus, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sampled fingerprints (shingle hashes with two low bits zero) of paragraphs idx: (hash, local paragraph)."""
    sizes = np.diff(corpus.set_offsets)
    seg = np.repeat(np.arange(corpus.n_paragraphs), sizes)
    h = corpus.set_hashes
    take = ((h & np.uint32(3)) == 0) & np.isin(seg, idx)
    return h[take], seg[take]


_PAIR_ROWS = {"band": np.int16, "key": np.uint64, "x": np.int64, "h": np.uint64, "d": np.int64}


def _frame(cols: dict[str, np.ndarray], schema: dict[str, Any]):
    import pandas as pd

    return pd.DataFrame({k: np.asarray(cols[k], dtype=t) if k in cols else np.zeros(0, t) for k, t in schema.items()})


def _pair_rows(part: _Part, config: AuditConfig, bands: int, rows: int):
    """The rows of the pairing shuffle (see the module docstring) for one partition."""
    from chachong.stages.lsh import band_key

    c = part.corpus
    el = _eligible(c, config)
    gpar = el.astype(np.int64) + part.par0
    gdoc = c.par_doc[el].astype(np.int64) + part.doc0
    h1, h2 = (x[el] for x in part.digests())
    out = [{"band": np.full(el.size, _TEXT_BAND), "key": h1, "x": gpar, "h": h2, "d": gdoc}]
    sig = c.signatures[el]
    for b in range(bands):
        out.append({"band": np.full(el.size, b), "key": band_key(sig, b, rows), "x": gpar, "h": h1,
                    "d": np.zeros(el.size, np.int64)})
    fh, fp = _sampled(c, el)
    out.append({"band": np.full(fh.size, _FP_BAND), "key": fh.astype(np.uint64), "x": fp.astype(np.int64) + part.par0,
                "h": np.zeros(fh.size, np.uint64), "d": c.par_doc[fp].astype(np.int64) + part.doc0})
    return _frame({k: np.concatenate([o[k] for o in out]) for k in _PAIR_ROWS}, _PAIR_ROWS)


_CANDIDATES = {"kind": np.int8, "x": np.int64, "y": np.int64, "z": np.int64}
_IDENT, _MEMBER, _LSH_PAIR, _FP_PAIR = 0, 1, 2, 3


def _repeated(keys: np.ndarray) -> np.ndarray:
    """Rows whose key occurs at least twice (one sort; most keys are unique and pair nothing)."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    same = k[1:] == k[:-1]
    m = np.zeros(k.size, dtype=bool)
    m[1:] |= same
    m[:-1] |= same
    out = np.empty(k.size, dtype=bool)
    out[order] = m
    return out


def _bucket_pairs(df):
    """One reduce partition of the pairing shuffle -> identical pairs, groups, LSH and fingerprint pairs."""
    from chachong.stages.lsh import pairs_in_groups
    from chachong.stages.candidates import FP_MAX_DF

    band, key, x, h, d = (df[c].to_numpy() for c in _PAIR_ROWS)
    m = _repeated(key)
    band, key, x, h, d = band[m], key[m], x[m], h[m], d[m]
    out = []
    # identical canonical texts: group by the 128-bit digest (key, h), members in index order
    m = band == _TEXT_BAND
    tk, th, tx, td = key[m], h[m], x[m], d[m]
    o = np.lexsort((tx, th, tk))
    tk, th, tx, td = tk[o], th[o], tx[o], td[o]
    starts, sizes = equal_runs(tk, th)
    ident = pairs_in_groups(np.arange(tx.size), starts, sizes)
    if len(ident):
        ident = ident[td[ident[:, 0]] != td[ident[:, 1]]]
        out.append({"kind": np.full(len(ident), _IDENT), "x": tx[ident[:, 0]], "y": tx[ident[:, 1]]})
    big = sizes > 1
    if big.any():
        member = np.repeat(np.arange(tx.size)[starts[big]], sizes[big])
        rows = np.concatenate([np.arange(s, s + z) for s, z in zip(starts[big], sizes[big])])
        out.append({"kind": np.full(rows.size, _MEMBER), "x": tx[member], "y": tx[rows], "z": td[rows]})
    # LSH buckets: one representative (the smallest index) per distinct text, then all pairs
    m = band >= 0
    bb, bk, bx, bh = band[m], key[m], x[m], h[m]
    o = np.lexsort((bx, bh, bk, bb))
    bb, bk, bx, bh = bb[o], bk[o], bx[o], bh[o]
    first, _ = equal_runs(bb, bk, bh)
    bb, bk, bx = bb[first], bk[first], bx[first]
    starts, sizes = equal_runs(bb, bk)
    p = pairs_in_groups(bx, starts, sizes)
    if len(p):
        out.append({"kind": np.full(len(p), _LSH_PAIR), "x": p[:, 0], "y": p[:, 1]})
    # sampled fingerprints shared by 2.._FP_MAX_DF paragraphs
    m = band == _FP_BAND
    fk, fx, fd = key[m], x[m], d[m]
    o = np.lexsort((fx, fk))
    fk, fx, fd = fk[o], fx[o], fd[o]
    starts, sizes = equal_runs(fk)
    ok = (sizes >= 2) & (sizes <= FP_MAX_DF)
    p = pairs_in_groups(np.arange(fx.size), starts[ok], sizes[ok])
    if len(p):
        p = p[fd[p[:, 0]] != fd[p[:, 1]]]
        out.append({"kind": np.full(len(p), _FP_PAIR), "x": fx[p[:, 0]], "y": fx[p[:, 1]]})
    if not out:
        return _frame({}, _CANDIDATES)
    cols = {k: np.concatenate([o.get(k, np.zeros(len(o["x"]), np.int64)) for o in out]) for k in _CANDIDATES}
    return _frame(cols, _CANDIDATES)


# payloads attached at the owners of a, then b (two rounds: the MinHash and fingerprint filters on
# small payloads, then exact verification of the survivors with their shingle sets)
_REQUEST = {"a": np.int64, "b": np.int64, "flag": np.int8}
_FILTER_A = {"b": np.int64, "a": np.int64, "flag": np.int8, "fp_count": np.int64, "doc_a": np.int64,
             "h1_a": np.uint64, "h2_a": np.uint64, "per_a": np.int64}
_VERIFY_A = {"b": np.int64, "a": np.int64, "doc_a": np.int64}
_VERIFIED = {"kind": np.int8, "a": np.int64, "b": np.int64, "jaccard": np.float64, "containment": np.float64}


def _binary(values: list[bytes]):
    import pandas as pd
    import pyarrow as pa

    return pd.Series(values, dtype=pd.ArrowDtype(pa.large_binary()))


def _meta_with_blobs(schema: dict[str, Any], blobs: Sequence[str]):
    df = _frame({}, schema)
    for name in blobs:
        df[name] = _binary([])
    return df


def _merged_requests(df) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Requests (index a; b, flag) -> one row per (a, b): flags or-ed, fingerprint rows counted."""
    a = df.index.to_numpy().astype(np.int64)
    b = df["b"].to_numpy().astype(np.int64)
    flag = df["flag"].to_numpy().astype(np.int8)
    o = np.lexsort((b, a))
    a, b, flag = a[o], b[o], flag[o]
    starts, _ = equal_runs(a, b)
    merged = np.bitwise_or.reduceat(flag, starts)
    fp_count = np.add.reduceat((flag & _FP) != 0, starts).astype(np.int64)
    return a[starts], b[starts], merged, fp_count


def _filter_attach_a(df, part: _Part):
    """Round 1 at the owner of a: what the candidate filters need (signature, text digest, samples)."""
    if df.empty:
        return _meta_with_blobs(_FILTER_A, ("sig_a",))
    a, b, flag, fp_count = _merged_requests(df)
    c = part.corpus
    local = a - part.par0
    h1, h2 = part.digests()
    out = _frame({"b": b, "a": a, "flag": flag, "fp_count": fp_count,
                  "doc_a": c.par_doc[local].astype(np.int64) + part.doc0, "h1_a": h1[local], "h2_a": h2[local],
                  "per_a": part.samples()[local]}, _FILTER_A)
    n_perm = c.signatures.shape[1]
    out["sig_a"] = _blob_column(c.signatures[local].reshape(-1), np.arange(len(local) + 1) * n_perm)
    return out


def _filter_at_b(df, part: _Part, config: AuditConfig):
    """Round 1 at the owner of b: the MinHash estimate (LSH) and shared-sample (fingerprint) filters.

    Returns the candidates to verify (flag ``_VERIFY``) and the LSH representative pairs that
    passed the estimate (flag ``_REP_PASSED``), which the client expands to their groups' members.
    """
    from chachong.stages.candidates import ESTIMATE_SLACK

    if df.empty:
        return _frame({}, _REQUEST)
    c = part.corpus
    b = df.index.to_numpy().astype(np.int64)
    a = df["a"].to_numpy()
    flag = df["flag"].to_numpy()
    local = b - part.par0
    h1, h2 = part.digests()
    sig_a = _blob_arrays(df["sig_a"], np.uint32)[0].reshape(len(b), -1)
    # the MinHash estimate, on representatives, before the document filter: their groups'
    # other members may be in other documents
    est = (sig_a == c.signatures[local]).mean(axis=1)
    passed = ((flag & _LSH) != 0) & (est >= config.threshold - ESTIMATE_SLACK)
    fp_count = df["fp_count"].to_numpy()
    smaller = np.maximum(np.minimum(df["per_a"].to_numpy(), part.samples()[local]), 1)
    fp_ok = ((flag & _FP) != 0) & (fp_count >= 2) & (fp_count / smaller >= max(config.containment - 0.3, 0.1))
    same_text = (df["h1_a"].to_numpy() == h1[local]) & (df["h2_a"].to_numpy() == h2[local])
    doc_b = c.par_doc[local].astype(np.int64) + part.doc0
    cand = (passed | fp_ok) & (df["doc_a"].to_numpy() != doc_b) & ~same_text
    return _frame({"a": np.concatenate([a[cand], a[passed]]), "b": np.concatenate([b[cand], b[passed]]),
                   "flag": np.concatenate([np.full(int(cand.sum()), _VERIFY),
                                           np.full(int(passed.sum()), _REP_PASSED)])}, _REQUEST)


def _verify_attach_a(df, part: _Part):
    """Round 2 at the owner of a: a's shingle set and canonical text."""
    if df.empty:
        return _meta_with_blobs(_VERIFY_A, ("set_a", "cps_a"))
    a, b, _, _ = _merged_requests(df)
    local = a - part.par0
    out = _frame({"b": b, "a": a, "doc_a": part.corpus.par_doc[local].astype(np.int64) + part.doc0}, _VERIFY_A)
    out["set_a"] = _blob_column(*part.sets(local))
    out["cps_a"] = _blob_column(*part.texts(local))
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
    return _gather_csr(np.concatenate([x[0], y[0]]), starts, lens)


def verify_kinds(corpus, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact verification of candidate pairs: ``verify.similarity`` and the pair rule ``candidates.classify``.

    Returns (jaccard, containment, kind code: 1 near-duplicate, 2 contained, -1 not reported).
    """
    from chachong.stages.candidates import classify
    from chachong.stages.verify import similarity

    jac, cont = similarity(corpus.set_hashes, corpus.set_offsets, cand)
    near, contained = classify(corpus, cand, jac, cont)
    kind = np.where(near, 1, np.where(contained, 2, -1)).astype(np.int8)
    return jac, cont, kind


def _verify_at_b(df, part: _Part, config: AuditConfig):
    """Round 2 at the owner of b: exact Jaccard, containment and kind of every candidate."""
    if df.empty:
        return _frame({}, _VERIFIED)
    b = df.index.to_numpy().astype(np.int64)
    a = df["a"].to_numpy()
    local = b - part.par0
    docs = np.empty(2 * len(b), np.int64)
    docs[0::2], docs[1::2] = df["doc_a"].to_numpy(), part.corpus.par_doc[local] + part.doc0
    mini = _mini_corpus(config, _interleave(_blob_arrays(df["cps_a"], np.uint32), part.texts(local)),
                        _interleave(_blob_arrays(df["set_a"], np.uint32), part.sets(local)), docs)
    pairs = np.stack([np.arange(0, 2 * len(b), 2), np.arange(1, 2 * len(b), 2)], axis=1)
    jac, cont, kind = verify_kinds(mini, pairs)
    keep = kind >= 0
    return _frame({"kind": kind[keep], "a": a[keep], "b": b[keep], "jaccard": jac[keep],
                   "containment": cont[keep]}, _VERIFIED)


# documents' signatures and shingle sets, for document Jaccards
_DOC_REQ = {"da": np.int64, "db": np.int64}
_DOC_WITH_A = {"db": np.int64, "da": np.int64}
_DOC_JAC = {"da": np.int64, "db": np.int64, "jaccard": np.float64}


def _doc_attach_a(df, part: _Part, what: str):
    """Document pairs at the owner of a: a's signature (``what="sig"``) or shingle set (``"set"``)."""
    from chachong.stages.docpairs import document_set, document_signatures

    if df.empty:
        return _meta_with_blobs(_DOC_WITH_A, ("x_a",))
    da = df.index.to_numpy().astype(np.int64)
    db = df["db"].to_numpy().astype(np.int64)
    out = _frame({"db": db, "da": da}, _DOC_WITH_A)
    if what == "sig":
        sigs = document_signatures(part.corpus, None)
        get = lambda corpus, d: sigs[d]  # noqa: E731
    else:
        get = document_set
    cache: dict[int, bytes] = {}
    blobs = []
    for d in (da - part.doc0).tolist():
        if d not in cache:
            cache[d] = get(part.corpus, d).tobytes()
        blobs.append(cache[d])
    out["x_a"] = _binary(blobs)
    return out


def _doc_jaccard_at_b(df, part: _Part, what: str, config: AuditConfig):
    """Document pairs at the owner of b: MinHash estimates kept near document_threshold, or exact Jaccards."""
    from chachong.stages.docpairs import DOC_SLACK, document_set, document_signatures, exact_jaccard

    if df.empty:
        return _frame({}, _DOC_JAC)
    db = df.index.to_numpy().astype(np.int64)
    jac = np.empty(db.size)
    cache: dict[int, np.ndarray] = {}
    sigs = document_signatures(part.corpus, None) if what == "sig" else None
    for i, (d, blob) in enumerate(zip((db - part.doc0).tolist(), df["x_a"])):
        if sigs is not None:
            jac[i] = float((np.frombuffer(blob, np.uint32) == sigs[d]).mean())
        else:
            if d not in cache:
                cache[d] = document_set(part.corpus, d)
            jac[i] = exact_jaccard(np.frombuffer(blob, np.uint32), cache[d])
    keep = jac >= config.document_threshold - DOC_SLACK if what == "sig" else np.ones(db.size, bool)
    return _frame({"da": df["da"].to_numpy()[keep], "db": db[keep], "jaccard": jac[keep]}, _DOC_JAC)


# ---------------------------------------------------------------------------------------------
# passage fingerprints


def _fp_window(config: AuditConfig) -> tuple[int, int]:
    from chachong.stages.fingerprints import FP_K

    k = max(1, min(FP_K, config.min_span))
    return k, max(1, config.min_span - k + 1)


def _document_digests(part: _Part) -> np.ndarray:
    """The partition's rows of :func:`chachong.stages.docpairs.document_digests`."""
    from chachong.stages.docpairs import document_digests

    return document_digests(part.corpus, None)


def _edges(part: _Part, need: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
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


@dataclass
class _PartFingerprints:
    """Winnowed fingerprints of one partition's documents: CSR per document, local positions."""

    doc0: int
    offsets: np.ndarray
    pos: np.ndarray
    hash: np.ndarray

    def of(self, gdoc: int) -> tuple[np.ndarray, np.ndarray]:
        d = gdoc - self.doc0
        s, e = int(self.offsets[d]), int(self.offsets[d + 1])
        return self.pos[s:e], self.hash[s:e]


def _cps_corpus(config: AuditConfig, parts: list[np.ndarray]):
    """A Corpus holding only canonical code points (what ``fingerprints`` reads)."""
    from chachong.stages.prepare import Corpus

    lens = np.array([p.size for p in parts], np.int64)
    return Corpus(
        documents=[], config=config,
        cps=np.concatenate(parts).astype(np.uint32) if parts else np.zeros(0, np.uint32),
        orig_start=np.zeros(0, np.int64), orig_end=np.zeros(0, np.int64),
        doc_offsets=np.concatenate(([0], np.cumsum(lens))).astype(np.int64),
        par_doc=np.zeros(0, np.int32), par_bounds=np.zeros((0, 2), np.int64),
        set_hashes=np.zeros(0, np.uint32), set_offsets=np.zeros(1, np.int64),
        signatures=np.zeros((0, config.num_perm), np.uint32),
    )


def _part_fingerprints(part: _Part, before: list[np.ndarray], after: list[np.ndarray],
                       config: AuditConfig) -> _PartFingerprints:
    """``passages.fingerprints`` of the partition with its neighbours' edge documents around it.

    The local engine winnows the whole corpus as one array, so a window may straddle two
    documents; the neighbours' characters make this partition's first and last windows the same.
    """
    from chachong.stages.fingerprints import fingerprints

    c = part.corpus
    own = [c.cps[c.doc_offsets[d]:c.doc_offsets[d + 1]] for d in range(part.n_docs)]
    sub = _cps_corpus(config, before + own + after)
    n_sub = len(before) + len(own) + len(after)
    fps = fingerprints(sub, np.arange(n_sub, dtype=np.int64), 1 << 62)
    keep = (fps.doc >= len(before)) & (fps.doc < len(before) + len(own))
    doc = fps.doc[keep] - len(before)
    pos = fps.pos[keep] - sub.doc_offsets[fps.doc[keep]]
    offsets = np.concatenate(([0], np.cumsum(np.bincount(doc, minlength=len(own))))).astype(np.int64)
    return _PartFingerprints(part.doc0, offsets, pos.astype(np.int64), fps.hash[keep])


_FP_ROWS = {"hash": np.uint64, "doc": np.int64, "pos": np.int64, "group": np.int64}


def _fingerprint_rows(part: _Part, fp: _PartFingerprints, doc_group: np.ndarray):
    docs = np.repeat(np.arange(len(fp.offsets) - 1), np.diff(fp.offsets)) + fp.doc0
    return _frame({"hash": fp.hash, "doc": docs, "pos": fp.pos, "group": doc_group[docs]}, _FP_ROWS)


_OCCURRENCES = {"da": np.int64, "db": np.int64, "pa": np.int64, "pb": np.int64}


def _fingerprint_pairs(df, min_docs: int) -> tuple[Any, np.ndarray]:
    """One reduce partition of the fingerprint shuffle -> pairs of occurrences that may seed a
    passage, and the partition's common hash values (sorted).

    As in ``passages.fingerprints``/``seed_hits``: a fingerprint in ``min_docs`` independent
    documents (stock) or at more than ``MAX_OCCURRENCES`` places is common; it proposes nothing
    and its k-grams are no evidence of a copy (``passages.free_chars``). The others pair their
    occurrences in different documents, the earlier document first. A fingerprint at one place
    is common only when ``min_docs <= 1``, and then every fingerprint is stock and nothing seeds,
    so the common hashes are never asked for.
    """
    from chachong.stages.lsh import pairs_in_groups
    from chachong.stages.fingerprints import MAX_OCCURRENCES

    h, doc, pos, grp = (df[c].to_numpy() for c in _FP_ROWS)
    m = _repeated(h)  # a fingerprint at one place is neither stock nor a seed
    h, doc, pos, grp = h[m], doc[m], pos[m], grp[m]
    o = np.lexsort((pos, doc, grp, h))
    h, doc, pos, grp = h[o], doc[o], pos[o], grp[o]
    starts, sizes = equal_runs(h)
    if not h.size:
        return _frame({}, _OCCURRENCES), np.zeros(0, np.uint64)
    gstarts, _ = equal_runs(h, grp)
    first = np.zeros(h.size, np.int64)
    first[gstarts] = 1
    stock = np.add.reduceat(first, starts) >= min_docs
    common = stock | (sizes > MAX_OCCURRENCES)
    ok = ~common & (sizes >= 2)
    p = pairs_in_groups(np.arange(h.size), starts[ok], sizes[ok])
    x, y = p[:, 0], p[:, 1]
    cross = doc[x] != doc[y]
    x, y = x[cross], y[cross]
    swap = doc[x] > doc[y]
    x, y = np.where(swap, y, x), np.where(swap, x, y)
    return _frame({"da": doc[x], "db": doc[y], "pa": pos[x], "pb": pos[y]}, _OCCURRENCES), h[starts[common]]


def _common_hashes(pieces: list[np.ndarray]) -> np.ndarray:
    """The reduce partitions' common hash values, as one sorted array (a hash is in one partition)."""
    return np.sort(np.concatenate(pieces)) if pieces else np.zeros(0, np.uint64)


_OCC_WITH_A = {"db": np.int64, "da": np.int64, "pa": np.int64, "pb": np.int64, "before_a": np.int64}


def _contexts(part: _Part, gdoc: np.ndarray, pos: np.ndarray, k: int, reach: int):
    """Canonical characters within ``reach`` of each k-gram (document, local position), clipped to its
    document: CSR (values, offsets) and how many characters precede the k-gram in each."""
    offs = part.corpus.doc_offsets
    d = gdoc - part.doc0
    s, e = offs[d], offs[d + 1]
    lo = np.maximum(s, s + pos - reach)
    hi = np.minimum(e, s + pos + k + reach)
    return _gather_csr(part.corpus.cps, lo, hi - lo), s + pos - lo


def _hits_attach_a(df, part: _Part, config: AuditConfig):
    """Occurrence pairs at the owner of a: the characters around a's occurrence."""
    from chachong.stages.seeds import free_reach

    if df.empty:
        return _meta_with_blobs(_OCC_WITH_A, ("ctx_a",))
    k, _ = _fp_window(config)
    da = df.index.to_numpy().astype(np.int64)
    pa = df["pa"].to_numpy().astype(np.int64)
    ctx, before = _contexts(part, da, pa, k, free_reach(config.min_span))
    out = _frame({"db": df["db"].to_numpy(), "da": da, "pa": pa, "pb": df["pb"].to_numpy(), "before_a": before},
                 _OCC_WITH_A)
    out["ctx_a"] = _blob_column(*ctx)
    return out


_HITS = {"da": np.int64, "db": np.int64, "la": np.int64, "lb": np.int64}


def _hits_at_b(df, part: _Part, common: np.ndarray, config: AuditConfig):
    """Occurrence pairs at the owner of b (every occurrence pair of a document pair is here): the seed hits.

    ``common``: the sorted common hashes (:func:`_common_hashes`, ``passages.common_hashes``).
    """
    from chachong.stages.seeds import exact_evidence, free_reach, seed_evidence

    if df.empty:
        return _frame({}, _HITS)
    k, _ = _fp_window(config)
    min_span = config.min_span
    db = df.index.to_numpy().astype(np.int64)
    pb = df["pb"].to_numpy().astype(np.int64)
    (va, oa), ba = _blob_arrays(df["ctx_a"], np.uint32), df["before_a"].to_numpy().astype(np.int64)
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
    da, la, lb = df["da"].to_numpy(), df["pa"].to_numpy(), pb
    run = la - before
    srt = np.lexsort((lb, la, db, da))
    da, db, la, lb, long_enough, run = da[srt], db[srt], la[srt], lb[srt], long_enough[srt], run[srt]
    ev = seed_evidence(da, db, la, lb, long_enough, run)
    return _frame({"da": da[ev], "db": db[ev], "la": la[ev], "lb": lb[ev]}, _HITS)


# ---------------------------------------------------------------------------------------------
# alignment of document pairs


_ALIGN_REQ = {"da": np.int64, "db": np.int64, "la": np.int64, "lb": np.int64, "jaccard": np.float64,
              "table": np.int8}
_ALIGN_WITH_A = {"db": np.int64, "da": np.int64, "jaccard": np.float64, "table": np.int8}


def _document_json(doc: Document) -> bytes:
    return json.dumps(dataclasses.asdict(doc), ensure_ascii=False).encode("utf-8")


def _document_from_json(blob: bytes) -> Document:
    d = json.loads(blob.decode("utf-8"))
    d["paragraphs"] = tuple(Paragraph(**p) for p in d["paragraphs"])
    return Document(**d)


def _align_attach_a(df, part: _Part):
    """Document pairs at the owner of a: one row per pair (its seed hits packed), a's document."""
    if df.empty:
        return _meta_with_blobs(_ALIGN_WITH_A, ("doc_a", "hits_a", "hits_b"))
    da = df.index.to_numpy().astype(np.int64)
    db, la, lb = (df[c].to_numpy().astype(np.int64) for c in ("db", "la", "lb"))
    jac = df["jaccard"].to_numpy()
    table = df["table"].to_numpy()
    o = np.lexsort((lb, la, db, da))
    da, db, la, lb, jac, table = da[o], db[o], la[o], lb[o], jac[o], table[o]
    starts, sizes = equal_runs(da, db)
    # a pair from the table (with its Jaccard) and with seed hits is one pair
    out = _frame({"db": db[starts], "da": da[starts], "jaccard": np.fmax.reduceat(jac, starts),
                  "table": np.maximum.reduceat(table, starts)}, _ALIGN_WITH_A)
    hit = la >= 0
    docs, ha, hb = [], [], []
    cache: dict[int, bytes] = {}
    for s, z, d in zip(starts.tolist(), sizes.tolist(), da[starts].tolist()):
        if d not in cache:
            cache[d] = _document_json(part.corpus.documents[d - part.doc0])
        docs.append(cache[d])
        m = hit[s:s + z]
        ha.append(la[s:s + z][m].tobytes())
        hb.append(lb[s:s + z][m].tobytes())
    out["doc_a"] = _binary(docs)
    out["hits_a"] = _binary(ha)
    out["hits_b"] = _binary(hb)
    return out


def align_pairs(corpus, rows: list, hits: np.ndarray) -> tuple[list, list, list]:
    """Passages of some document pairs of ``corpus``, as the local engine's alignment finds them.

    ``rows`` are the verified paragraph pairs of those document pairs and ``hits`` their seed
    hits (``seeds.seed_hits`` rows). Passages are described (``describe.describe_pair``) but not
    numbered (numbers need every passage of the corpus). Returns the matches, the passages and
    their pieces with evidence, in the report's order.
    """
    from chachong.stages.describe import describe_pair, passage_order
    from chachong.stages.passages import find_passages, paragraph_regions

    found = find_passages(corpus, hits, paragraph_regions(corpus, [(a, b) for a, b, *_ in rows]))
    per_pair: dict[tuple[int, int], list] = defaultdict(list)
    for dm in found:
        per_pair[(dm.a, dm.b)].append(dm)
    entries = [e for p in sorted(per_pair) for e in describe_pair(corpus, per_pair[p])]
    entries.sort(key=lambda e: passage_order(e[0]))
    return [e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries]


@dataclass
class _BlockResult:
    passages: list[tuple[tuple, Any]]
    paragraph_pairs: list[tuple[tuple, Any]]
    document_pairs: list[tuple[tuple, Any]]
    copied: dict[str, dict[str, list[tuple[int, int]]]]


def _align_at_b(df, part: _Part, shared: dict, config: AuditConfig) -> _BlockResult:
    """Align the document pairs routed to the owner of b, on a corpus of just their documents.

    Runs the local engine's per-pair stages: identical short paragraphs of near-duplicate
    documents (``_short_twins``), passages (:func:`align_pairs`), paragraph pairs and spans
    (``_paragraph_pairs``) and copy ratios per pair (``_document_stats``).
    """
    from chachong.stages.docpairs import short_twins
    from chachong.stages.docstats import document_stats, paragraph_pairs
    from chachong.stages.prepare import prepare

    if df.empty:
        return _BlockResult([], [], [], {})
    db = df.index.to_numpy().astype(np.int64)
    da = df["da"].to_numpy().astype(np.int64)
    docs: dict[int, Document] = {}
    for d, blob in zip(da.tolist(), df["doc_a"]):
        if d not in docs:
            docs[d] = _document_from_json(blob)
    for d in set(db.tolist()):
        docs[d] = part.corpus.documents[d - part.doc0]
    order = sorted(docs)
    loc = {g: i for i, g in enumerate(order)}
    sub = prepare([docs[g] for g in order], config, threads=1)

    def local_par(g_doc: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return sub.par_first[[loc[int(x)] for x in g_doc]] + idx

    # the exact document Jaccards the local engine computed for these pairs (see _document_groups)
    doc_jac = {(loc[x], loc[y]): float(j) for x, y, j in zip(da.tolist(), db.tolist(), df["jaccard"]) if not np.isnan(j)}
    hits = [np.stack([np.full(len(ha) // 8, loc[x]), np.full(len(ha) // 8, loc[y]), np.frombuffer(ha, np.int64),
                      np.frombuffer(hb, np.int64)], axis=1)
            for x, y, ha, hb in zip(da.tolist(), db.tolist(), df["hits_a"], df["hits_b"]) if len(ha)]
    hits_arr = np.concatenate(hits).astype(np.int64) if hits else np.zeros((0, 4), np.int64)
    hits_arr = hits_arr[np.lexsort((hits_arr[:, 3], hits_arr[:, 2], hits_arr[:, 1], hits_arr[:, 0]))]
    # verified paragraph pairs of this block's document pairs, kept after the stock rule
    r = shared["rows"]
    n_docs = shared["n_docs"]
    mine = np.isin(r["da"] * n_docs + r["db"], da * n_docs + db)
    rows: list[tuple] = list(zip(local_par(r["da"][mine], r["ia"][mine]).tolist(),
                                 local_par(r["db"][mine], r["ib"][mine]).tolist(),
                                 r["jaccard"][mine].tolist(), r["containment"][mine].tolist(),
                                 [_KIND_CODES[x] for x in r["kind"][mine]]))
    s = shared["stock"]
    in_block = np.isin(s["doc"], order)
    stock_members = set(local_par(s["doc"][in_block], s["idx"][in_block]).tolist())
    rows.extend(short_twins(sub, dict(doc_jac), rows))
    rows.sort(key=lambda t: (int(t[0]), int(t[1])))
    matches, described, cuts = align_pairs(sub, rows, hits_arr)
    par_pairs, pair_count, copied = paragraph_pairs(sub, rows, matches, described, stock_members, cuts)
    stats, doc_pairs = document_stats(sub, pair_count, copied, dict(doc_jac))
    pid_key = {}
    for i, g in enumerate(order):
        for n, p in enumerate(sub.documents[i].paragraphs):
            pid_key[p.id] = (g, n)
    did = {sub.documents[i].id: g for i, g in enumerate(order)}
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
    return _BlockResult(
        passages=[((order[dm.a], dm.match.a_start, order[dm.b], dm.match.b_start, dm.match.a_end, dm.match.b_end), p)
                  for dm, p in zip(matches, described)],
        paragraph_pairs=[((*pid_key[pp.a], *pid_key[pp.b]), pp) for pp in par_pairs],
        document_pairs=[((did[dp.a], did[dp.b]), dp) for dp in doc_pairs],
        copied=copied_mine,
    )


# ---------------------------------------------------------------------------------------------
# the client side


def _merge_document_stats(docs: list[Document], copied: dict[str, dict[str, list[tuple[int, int]]]]) -> dict:
    """Per-document copy ratios from the intervals the partitions found copied per source (docstats.figures)."""
    from chachong.stages.docstats import figures
    from chachong.stages.phrases import merge

    ids = [d.id for d in docs]
    by_doc = {}
    for x, doc in enumerate(docs):
        per = [(sid, merge(ivs)) for sid, ivs in sorted(copied.get(doc.id, {}).items()) if ivs]
        by_doc[x] = [(sid, ivs, sum(e - s for s, e in ivs)) for sid, ivs in per]
    return figures(ids, [len(d.text) for d in docs], by_doc)


def _number_passages(items: list[tuple[tuple, Any]]) -> list[Any]:
    """Passages in the local engine's order (their global ``passage_order`` keys), numbered s0001, s0002, ..."""
    from chachong.stages.describe import number_passages

    items.sort(key=lambda t: t[0])
    return number_passages([p for _, p in items])


class _Engine:
    """One audit on one client: the partitions (futures) and the stage drivers."""

    def __init__(self, client, config: AuditConfig, partition_paragraphs: int, stats: dict | None = None) -> None:
        self.client = client
        self.config = config
        self.target = max(1, int(partition_paragraphs))
        self.stats = stats if stats is not None else {}

    # ---- 1. read and 2. sign ----

    def read(self, inputs: Sequence[Any]) -> tuple[list[Skipped], list[str]]:
        """List and read the inputs on the workers; skipped inputs and warnings in the local engine's order."""
        client, cfg = self.client, self.config
        if inputs and all(isinstance(x, Document) for x in inputs):
            docs_in = list(inputs)
            reads = [client.scatter((docs_in, [], []))] if docs_in else []
            renumber = False
            skipped: list[Skipped] = []
            warnings: list[str] = []
        else:
            from chachong.stages.load import load_documents

            load_documents([], cfg)  # a setting no file can be read with fails here, once, as locally
            listed = client.gather([client.submit(_list_input, p, cfg.encoding, pure=False) for p in inputs])
            files: list[str] = []
            order: list[tuple[str, Any]] = []  # ("skip", Skipped) or ("file", index) in read_sources' order
            seen: set[str] = set()
            for found, skips in listed:
                order.extend(("skip", s) for s in skips)
                for f, real in found:
                    if real in seen:
                        continue
                    seen.add(real)
                    order.append(("file", len(files)))
                    files.append(f)
            reads = [client.submit(_read_file, f, cfg, pure=False) for f in files]
            small = client.gather([client.submit(_skips_and_warnings, r) for r in reads])
            skipped, warnings = [], []
            for what, x in order:
                if what == "skip":
                    skipped.append(x)
                else:
                    skipped.extend(small[x][0])
            for _, w in small:
                warnings.extend(w)
            renumber = True
        self._reads, self._renumber = reads, renumber
        return skipped, warnings

    def sign(self) -> list[Document]:
        """Cut the documents into partitions and prepare each on a worker; the documents, in order."""
        client, cfg, reads, renumber = self.client, self.config, self._reads, self._renumber
        counts_per = client.gather([client.submit(_paragraph_counts, r) for r in reads])
        total = sum(len(c) for c in counts_per)
        # global document index -> (read, local index)
        where = [(r, i) for r, c in enumerate(counts_per) for i in range(len(c))]
        counts = [n for c in counts_per for n in c]
        file_first = np.concatenate(([0], np.cumsum([len(c) for c in counts_per])))[:-1]
        self.parts = []
        self.doc_div: list[int] = []
        self.par_div: list[int] = []
        par_first = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        cuts = _cut(counts, self.target) if total else []
        for j, (lo, hi) in enumerate(cuts):
            pieces = []
            d = lo
            while d < hi:
                r, i = where[d]
                n = min(hi - d, len(counts_per[r]) - i)
                first = int(file_first[r] + i) if renumber else None
                pieces.append((reads[r], i, i + n, first))
                d += n
            self.parts.append(client.submit(_make_part, j, lo, int(par_first[lo]), total, pieces, cfg, pure=False))
            self.doc_div.append(lo)
            self.par_div.append(int(par_first[lo]))
        self.n_docs, self.n_pars = total, int(par_first[-1])
        self.stats.update(documents=total, paragraphs=self.n_pars, partitions=len(cuts))
        if cuts:
            self.doc_div.append(total - 1)
            self.par_div.append(self.n_pars - 1)
        docs = [d for chunk in client.gather([client.submit(_documents, p) for p in self.parts]) for d in chunk]
        del self._reads
        self.par_doc = np.repeat(np.arange(total), counts).astype(np.int64)
        self.par_first = par_first[:-1]
        return docs

    # ---- helpers ----

    def _from_parts(self, fn, meta, *args, extra: list | None = None):
        import dask.dataframe as dd
        from dask import delayed

        extra = extra or [()] * len(self.parts)
        return dd.from_delayed([delayed(fn)(p, *e, *args) for p, e in zip(self.parts, extra)], meta=meta,
                               verify_meta=False)

    def _route(self, frame, column: str, divisions: list[int], fn, meta, *args, extra: list | None = None,
               frame_out: bool = True):
        """Send each row to the partition owning ``frame[column]`` and run ``fn(rows, part, ...)`` there."""
        import dask.dataframe as dd
        from dask import delayed

        routed = frame.set_index(column, divisions=divisions)
        extra = extra or [()] * len(self.parts)
        pieces = routed.to_delayed()
        out = [delayed(fn)(piece, part, *e, *args) for piece, part, e in zip(pieces, self.parts, extra)]
        if frame_out:
            return dd.from_delayed(out, meta=meta, verify_meta=False)
        return out, [delayed(len)(piece) for piece in pieces]

    def _count(self, name: str, n: int) -> None:
        self.stats[name] = self.stats.get(name, 0) + int(n)

    def _from_client(self, cols: dict[str, np.ndarray], schema: dict[str, Any]):
        import dask.dataframe as dd

        df = _frame(cols, schema)
        return dd.from_pandas(df, npartitions=max(1, min(len(self.parts), len(df) // 10_000 + 1)))

    # ---- 3. pair ----

    def pairs(self):
        """The verified paragraph pairs (a PairTable equal to ``find_pairs`` on the whole corpus)."""
        import pandas as pd

        from chachong.stages.lsh import choose_bands
        from chachong.stages.candidates import IDENTICAL, PairTable

        cfg, client = self.config, self.client
        bands, rows = (cfg.bands, cfg.rows) if cfg.bands else choose_bands(cfg.threshold, cfg.num_perm)
        P = len(self.parts)
        grouped = self._from_parts(_pair_rows, _frame({}, _PAIR_ROWS), cfg, bands, rows) \
            .shuffle(on="key", npartitions=P).map_partitions(_bucket_pairs, meta=_frame({}, _CANDIDATES))
        grouped = client.persist(grouped)
        small = client.compute(grouped[grouped["kind"] <= _MEMBER], sync=True)
        cand = grouped[grouped["kind"] >= _LSH_PAIR]
        cand = cand.assign(flag=(cand["kind"] - 1).astype(np.int8))  # _LSH_PAIR -> _LSH, _FP_PAIR -> _FP
        cand = cand.rename(columns={"x": "a", "y": "b"})[["a", "b", "flag"]]
        # round 1: the candidate filters, on signatures and digests only
        with_a = self._route(cand, "a", self.par_div, _filter_attach_a, _meta_with_blobs(_FILTER_A, ("sig_a",)))
        out, sizes = self._route(with_a, "b", self.par_div, _filter_at_b, None, cfg, frame_out=False)
        got = client.compute(out + sizes, sync=True)
        self._count("proposed_pairs", sum(got[len(out):]))
        filtered = pd.concat(got[:len(out)])
        ident = small[small["kind"] == _IDENT]
        grids = self._expand(filtered[filtered["flag"] == _REP_PASSED], small[small["kind"] == _MEMBER])
        to_verify = filtered[filtered["flag"] == _VERIFY]
        a = np.concatenate([to_verify["a"].to_numpy(), grids[:, 0]])
        b = np.concatenate([to_verify["b"].to_numpy(), grids[:, 1]])
        # round 2: exact verification, with the shingle sets
        ver = self._verify(self._from_client({"a": a, "b": b, "flag": np.full(a.size, _VERIFY)}, _REQUEST))
        ver = ver.drop_duplicates(["a", "b"])
        ia, ib = ident["x"].to_numpy(), ident["y"].to_numpy()
        a = np.concatenate([ia, ver["a"].to_numpy()]).astype(np.int64)
        b = np.concatenate([ib, ver["b"].to_numpy()]).astype(np.int64)
        if not len(a):
            return PairTable(*(np.zeros(0, np.int64),) * 2, np.zeros(0), np.zeros(0), np.zeros(0, object))
        jj = np.concatenate([np.ones(len(ia)), ver["jaccard"].to_numpy()])
        cc = np.concatenate([np.ones(len(ia)), ver["containment"].to_numpy()])
        kk = np.concatenate([np.full(len(ia), IDENTICAL, dtype=object),
                             np.array([_KIND_CODES[x] for x in ver["kind"].to_numpy()], dtype=object)])
        srt = np.lexsort((b, a))
        return PairTable(a[srt], b[srt], jj[srt], cc[srt], kk[srt].astype(object))

    def _verify(self, cand):
        out, sizes = self._route(
            self._route(cand, "a", self.par_div, _verify_attach_a, _meta_with_blobs(_VERIFY_A, ("set_a", "cps_a"))),
            "b", self.par_div, _verify_at_b, None, self.config, frame_out=False)
        import pandas as pd

        got = self.client.compute(out + sizes, sync=True)
        self._count("candidates", sum(got[len(out):]))
        return pd.concat(got[:len(out)])

    def _expand(self, rep_pass, members) -> np.ndarray:
        """Representative pairs that passed the estimate -> all pairs of their groups' members."""
        if not len(rep_pass) or not len(members):
            return np.zeros((0, 2), np.int64)
        groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        mx, my, mz = (members[c].to_numpy() for c in ("x", "y", "z"))
        o = np.lexsort((my, mx))
        mx, my, mz = mx[o], my[o], mz[o]
        starts, sizes = equal_runs(mx)
        for s, z in zip(starts, sizes):
            groups[int(mx[s])] = (my[s:s + z], mz[s:s + z])
        out = []
        for a, b in zip(rep_pass["a"].to_numpy(), rep_pass["b"].to_numpy()):
            ma, mb = groups.get(int(a)), groups.get(int(b))
            if ma is None and mb is None:
                continue
            xa = ma[0] if ma is not None else np.array([a])
            xb = mb[0] if mb is not None else np.array([b])
            grid = np.stack(np.meshgrid(xa, xb, indexing="ij"), axis=-1).reshape(-1, 2)
            out.append(np.sort(grid, axis=1))
        if not out:
            return np.zeros((0, 2), np.int64)
        grid = np.unique(np.concatenate(out), axis=0)
        return grid[self.par_doc[grid[:, 0]] != self.par_doc[grid[:, 1]]]

    # ---- 4. cluster ----

    def document_jaccards(self, table) -> dict[tuple[int, int], float]:
        """Exact Jaccards of the linked document pairs whose MinHash estimate nears document_threshold.

        As ``audit._document_groups``: estimates on document signatures first (small), exact
        Jaccards on document shingle sets for the few pairs that may reach the threshold.
        """
        import pandas as pd

        pairs = {(int(self.par_doc[a]), int(self.par_doc[b])) for a, b in zip(table.a, table.b)}
        self._count("linked_document_pairs", len(pairs))
        for what in ("sig", "set"):
            if not pairs:
                return {}
            arr = np.array(sorted(pairs), dtype=np.int64)
            req = self._from_client({"da": arr[:, 0], "db": arr[:, 1]}, _DOC_REQ)
            with_a = self._route(req, "da", self.doc_div, _doc_attach_a, _meta_with_blobs(_DOC_WITH_A, ("x_a",)),
                                 what)
            out, _ = self._route(with_a, "db", self.doc_div, _doc_jaccard_at_b, None, what, self.config,
                                 frame_out=False)
            got = pd.concat(self.client.compute(out, sync=True))
            pairs = {(int(a), int(b)) for a, b in zip(got["da"], got["db"])}
        return {(int(a), int(b)): float(j) for a, b, j in zip(got["da"], got["db"], got["jaccard"])}

    # ---- 5. align ----

    def start_fingerprints(self) -> None:
        """Winnowed fingerprints per partition (they need nothing global; started early)."""
        k, w = _fp_window(self.config)
        edges = self.client.gather([self.client.submit(_edges, p, w + k) for p in self.parts])
        self.doc_digests = np.concatenate(self.client.gather([self.client.submit(_document_digests, p)
                                                              for p in self.parts]))
        self.fingerprints = []
        for j, part in enumerate(self.parts):
            before: list[np.ndarray] = []
            acc = 0
            for i in range(j - 1, -1, -1):
                take: list[np.ndarray] = []
                for arr in reversed(edges[i][1]):
                    take.insert(0, arr)
                    acc += arr.size
                    if acc >= w + k:
                        break
                before = take + before
                if acc >= w + k:
                    break
            after: list[np.ndarray] = []
            acc = 0
            for i in range(j + 1, len(self.parts)):
                for arr in edges[i][0]:
                    after.append(arr)
                    acc += arr.size
                    if acc >= w + k:
                        break
                if acc >= w + k:
                    break
            self.fingerprints.append(self.client.submit(_part_fingerprints, part, before, after, self.config))

    def align(self, table, plan: StockPlan, doc_jac: dict) -> list[_BlockResult]:
        """Seed hits from the fingerprint shuffle, then every document pair aligned at the owner of b."""
        import dask.dataframe as dd
        from dask import delayed

        client, cfg = self.client, self.config
        group = client.scatter(np.asarray(plan.doc_group, dtype=np.int64), broadcast=True)
        shuffled = self._from_parts(_fingerprint_rows, _frame({}, _FP_ROWS), group,
                                    extra=[(f,) for f in self.fingerprints]) \
            .shuffle(on="hash", npartitions=len(self.parts))
        reduced = [delayed(_fingerprint_pairs, nout=2)(piece, plan.min_docs) for piece in shuffled.to_delayed()]
        occurrences = dd.from_delayed([r[0] for r in reduced], meta=_frame({}, _OCCURRENCES), verify_meta=False)
        # the common hashes are few (each is at many places): every owner of b gets them all
        common = delayed(_common_hashes)([r[1] for r in reduced])
        with_a = self._route(occurrences, "da", self.doc_div, _hits_attach_a, _meta_with_blobs(_OCC_WITH_A, ("ctx_a",)),
                             cfg)
        hits = self._route(with_a, "db", self.doc_div, _hits_at_b, _frame({}, _HITS), common, cfg)
        hits = hits.assign(jaccard=np.nan, table=np.int8(0))[list(_ALIGN_REQ)]
        keep = plan.keep
        a, b = table.a[keep].astype(np.int64), table.b[keep].astype(np.int64)
        da, db = self.par_doc[a], self.par_doc[b]
        # document pairs with kept paragraph pairs, near-duplicate ones (their short paragraphs pair up)
        # and identical ones (copies however short)
        linked = set(zip(da.tolist(), db.tolist())) | {p for p, j in doc_jac.items() if j >= cfg.document_threshold}
        linked |= identical_documents(self.doc_digests)
        tp = np.array(sorted(linked), dtype=np.int64).reshape(-1, 2)
        tab = self._from_client({"da": tp[:, 0], "db": tp[:, 1], "la": np.full(len(tp), -1),
                                 "lb": np.full(len(tp), -1),
                                 "jaccard": np.array([doc_jac.get((int(x), int(y)), np.nan) for x, y in tp]),
                                 "table": np.ones(len(tp), np.int8)}, _ALIGN_REQ)
        kinds = {k: i for i, k in enumerate(_KIND_CODES)}
        rows = {"da": da, "ia": a - self.par_first[da], "db": db, "ib": b - self.par_first[db],
                "jaccard": table.jaccard[keep].astype(np.float64),
                "containment": table.containment[keep].astype(np.float64),
                "kind": np.array([kinds[str(k)] for k in table.kind[keep]], dtype=np.int8)}
        sm = np.array(sorted(plan.stock_members), dtype=np.int64)
        stock = {"doc": self.par_doc[sm], "idx": sm - self.par_first[self.par_doc[sm]]}
        shared = client.scatter({"rows": rows, "stock": stock, "n_docs": self.n_docs}, broadcast=True)
        with_a = self._route(dd.concat([tab, hits]), "da", self.doc_div, _align_attach_a,
                             _meta_with_blobs(_ALIGN_WITH_A, ("doc_a", "hits_a", "hits_b")))
        out, sizes = self._route(with_a, "db", self.doc_div, _align_at_b, None, shared, cfg, frame_out=False)
        got = client.compute(out + sizes, sync=True)
        self._count("document_pairs_aligned", sum(got[len(out):]))
        return got[:len(out)]


def audit_dask(
    inputs: Sequence[str | Path] | Sequence[Document],
    config: AuditConfig | None = None,
    progress: Progress | None = None,
    *,
    scheduler: str | None = None,
    client: Any = None,
    partition_paragraphs: int = DEFAULT_PARTITION_PARAGRAPHS,
    stats: dict | None = None,
):
    """Audit on a Dask cluster; the result equals :func:`chachong.engine.local.audit`'s for the same input.

    ``scheduler`` is the address of a running scheduler (``tcp://host:8786``); without it (and
    without a ``client``) a LocalCluster of ``config.workers`` processes runs for this audit.
    Paths must be readable by the workers (shared storage on a real cluster).
    ``partition_paragraphs`` sets the size of the partitions the corpus is cut into; ``stats``,
    when given, receives counts of the work done (partitions, candidates, ...) for benchmarks.
    """
    from chachong.stages.stock import annotate_stock
    from chachong.result import AuditRecord

    _require_dask()
    config = config or AuditConfig()
    say = progress or (lambda _stage: None)
    own = None
    if client is None:
        client, own = connect(scheduler, config.workers)
        owned_client = client
    else:
        owned_client = None
    try:
        engine = _Engine(client, config, partition_paragraphs, stats)
        say("read")
        skipped, warnings = engine.read(list(inputs))
        say("sign")
        docs = engine.sign()
        if not docs:
            result = AuditRecord(config, [], [], [], [], {}, skipped, warnings, corpus=None)
            result.stock_paragraphs = []
            result.passage_records = []  # type: ignore[attr-defined]
            say("phrases")
            annotate_stock(result)
            return result
        engine.start_fingerprints()
        say("pair")
        table = engine.pairs()
        engine.stats["verified_pairs"] = len(table)
        say("cluster")
        doc_jac = engine.document_jaccards(table)
        engine.stats["exact_document_jaccards"] = len(doc_jac)
        plan = stock_plan(docs, engine.par_doc, table, doc_jac, config)
        say("align")
        blocks = engine.align(table, plan, doc_jac)
        say("documents")
        passages = _number_passages([x for blk in blocks for x in blk.passages])
        par_pairs = [pp for _, pp in sorted((x for blk in blocks for x in blk.paragraph_pairs), key=lambda t: t[0])]
        doc_pairs = [dp for _, dp in sorted((x for blk in blocks for x in blk.document_pairs), key=lambda t: t[0])]
        copied: dict[str, dict] = defaultdict(dict)
        for blk in blocks:
            for doc_id, per in blk.copied.items():
                copied[doc_id].update(per)
        stats = _merge_document_stats(docs, copied)
        result = AuditRecord(config, docs, par_pairs, doc_pairs, plan.clusters, stats, skipped, warnings, corpus=None)
        result.stock_paragraphs = plan.stock_paragraphs
        result.passage_records = passages  # type: ignore[attr-defined]
        say("phrases")
        annotate_stock(result)
        return result
    finally:
        if owned_client is not None:
            owned_client.close()
        if own is not None:
            own.close()


__all__ = ["DEFAULT_PARTITION_PARAGRAPHS", "align_pairs", "audit_dask", "connect", "verify_kinds"]
