"""The Dask engine's partitions: consecutive documents read, renumbered and prepared on a worker,
and the frames and binary columns their rows travel in.

A :class:`Part` stays on the worker that prepared it for the whole audit (canonical code
points, shingle sets, signatures); only rows of numbers and the payloads of candidate pairs
leave it, as ``pandas`` frames whose variable-length payloads (texts, sets, signatures) are
Arrow binary columns (:func:`blob_column`, :func:`blob_arrays`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from chachong.config import AuditConfig
from chachong.ingest.renumber import renumber
from chachong.model import Document, Skipped
from chachong.runtime.arrays import gather_csr, range_indices
from chachong.runtime.gcpause import paused_gc
from chachong.runtime.textfile import EncodedTexts, encode_texts
from chachong.stages.candidates import sampled


@dataclass
class Part:
    """One partition: consecutive documents, prepared (they stay on the worker holding this)."""

    index: int
    doc0: int  # global index of the first document
    par0: int  # global index of the first paragraph
    corpus: Any  # chachong.stages.prepare.Corpus of the partition's documents (local indices)
    _samples: np.ndarray | None = field(default=None, repr=False)
    _doc_signatures: np.ndarray | None = field(default=None, repr=False)
    _doc_digests: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_docs(self) -> int:
        return len(self.corpus.documents)

    def __sizeof__(self) -> int:
        """The bytes the partition holds (``corpus_bytes``): what Dask weighs when it places a task that
        needs it. As a bare record (~50 bytes) the scheduler moved prepared partitions to wherever a
        route's rows were, 102 times at 600k paragraphs (15 s of transfers), and pickled each whole."""
        kept = (self._samples, self._doc_signatures, self._doc_digests)
        extra = sum(a.nbytes for a in kept if a is not None)
        return object.__sizeof__(self) + corpus_bytes(self.corpus) + extra

    def samples(self) -> np.ndarray:
        """Sampled fingerprints per paragraph (``candidates.sampled``), the containment denominator."""
        if self._samples is None:
            self._samples = np.bincount(sampled(self.corpus)[1], minlength=self.corpus.n_paragraphs)
        return self._samples

    def document_signatures(self) -> np.ndarray:
        """Each document's MinHash signature (``docpairs.document_signatures``), made once."""
        if self._doc_signatures is None:
            from chachong.stages.docpairs import document_signatures

            self._doc_signatures = document_signatures(self.corpus, None)
        return self._doc_signatures

    def document_digests(self) -> np.ndarray:
        """Each document's digest of its canonical text (``docpairs.document_digests``), made once."""
        if self._doc_digests is None:
            from chachong.stages.docpairs import document_digests

            self._doc_digests = document_digests(self.corpus, None)
        return self._doc_digests

    def batch(self, docs: Sequence[int], pack: bool = True) -> "DocumentBatch":
        """Documents ``docs`` (ascending global indices, all of this partition) with their prepared arrays
        (:func:`document_batch`; ``pack``: for the trip to another worker)."""
        local = np.asarray(docs, np.int64) - self.doc0
        return document_batch(self.corpus, local, self.doc0, self.document_signatures(), self.document_digests(),
                              pack=pack)

    def texts(self, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canonical code points of paragraphs ``local``, as CSR (values, offsets)."""
        b = self.corpus.par_bounds[local]
        return gather_csr(self.corpus.cps, b[:, 0], b[:, 1] - b[:, 0])

    def sets(self, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shingle sets of paragraphs ``local``, as CSR (values, offsets)."""
        off = self.corpus.set_offsets
        return gather_csr(self.corpus.set_hashes, off[local], off[local + 1] - off[local])


def corpus_bytes(corpus: Any) -> int:
    """Bytes held by a prepared corpus: its arrays and its documents (``sys.getsizeof`` of each, text included)."""
    from chachong.stages.prepare import Ends

    arrays = sum(int(v.nbytes) for v in vars(corpus).values() if isinstance(v, (np.ndarray, Ends)))
    return arrays + sum(sys.getsizeof(d) for d in corpus.documents)


@dataclass
class DocumentBatch:
    """Documents of one partition with their rows of its prepared arrays, each position relative to its
    document: what the worker aligning a block needs of them (:func:`document_batch`; :func:`corpus_of`
    joins batches back into a prepared corpus).

    One array per field for the whole batch, not arrays per document: Dask sends each array as a frame
    of its own, and the nine arrays of each of the 23,000 documents exported at 600k paragraphs took
    5.2 s to serialise and 3.0 s to read back (0.015 and 0.014 s instead of 0.091 and 0.041 s for a
    thousand documents batched).

    Not the paragraphs' signatures: the alignment reads only the documents' (``docpairs.estimated_jaccard``
    of pairs linked by passages alone), which come along (a corpus made by :func:`corpus_of` would compute
    the paragraphs' again from the shingle sets if a stage asked), as do the digests of their canonical
    texts (``docpairs.document_digests``: the block's identical documents), made once per partition rather
    than in every block a document goes to (1.1 of the blocks' 22 task seconds at 600k). Code points go as
    16-bit numbers when they all fit (nearly every Chinese text), the starts as their 8-bit steps when they
    all fit (a canonical character is a few characters of the text after the one before at most; each
    document's first step is its first start): with the ends as their exceptions, 1.1 KB a paragraph instead
    of 2.3 KB (paragraph signatures 512 bytes, code points 588, starts 588 before); 530 MB moved instead of
    894 MB on three shards of the 600k corpus.
    """

    indices: list[int]  # the documents' global indices, ascending
    documents: list[Document]
    chars: np.ndarray  # int64: each document's canonical characters
    cps: np.ndarray  # uint16 when every code point fits, else uint32
    orig_start: np.ndarray  # int32 (int64 past 2**31 characters), or its steps (uint8) when ``stepped``
    stepped: bool
    end_at: np.ndarray  # the ends' exceptions (``prepare.Ends``): positions, relative to their document,
    end_val: np.ndarray  # ... their ends (the others end at their start + 1)
    end_counts: np.ndarray  # ... and how many each document has
    par_bounds: np.ndarray  # (paragraphs, 2), offsets into the document's code points
    par_counts: np.ndarray  # each document's paragraphs
    set_hashes: np.ndarray
    set_counts: np.ndarray  # each paragraph's shingles
    signatures: np.ndarray  # (documents, num_perm): their MinHash signatures (``docpairs.document_signatures``)
    digests: np.ndarray  # (documents, 2) uint64: the digests of their canonical texts (``docpairs.document_digests``)

    def __sizeof__(self) -> int:
        """The arrays' and the documents' bytes (what Dask weighs to place the alignment's tasks near them)."""
        return (object.__sizeof__(self) + sum(sys.getsizeof(d) for d in self.documents)
                + sum(int(v.nbytes) for v in vars(self).values() if isinstance(v, np.ndarray)))

    def code_points(self) -> np.ndarray:
        return self.cps.astype(np.uint32, copy=False)

    def starts(self) -> np.ndarray:
        """``orig_start`` of the documents' canonical characters."""
        if not self.stepped:
            return self.orig_start
        run = np.cumsum(self.orig_start, dtype=np.int64)
        before = np.concatenate(([0], run))[np.cumsum(self.chars) - self.chars]  # the sum before each document
        return (run - np.repeat(before, self.chars)).astype(np.int32)


def packed(cps: np.ndarray, start: np.ndarray, chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Code points (of documents of ``chars`` characters, one after the other) as 16-bit numbers when they fit;
    starts as 8-bit steps (each document's first start, then each step) when they fit; whether they are
    steps (:meth:`DocumentBatch.starts` unpacks them). New arrays.

    >>> c, s, stepped = packed(np.array([20013, 25991, 7], np.uint32), np.array([3, 5, 1], np.int32), np.array([2, 1]))
    >>> c.dtype.name, s.tolist(), stepped
    ('uint16', [3, 2, 1], True)
    >>> c, s, stepped = packed(np.array([0x20000], np.uint32), np.array([300], np.int32), np.array([1]))
    >>> c.dtype.name, s.tolist(), stepped
    ('uint32', [300], False)
    """
    cps = cps.astype(np.uint16) if cps.size and int(cps.max()) <= 0xFFFF else cps.copy()
    if start.size and start.dtype == np.int32:  # int64 starts (a text past 2**31 characters) go as they are
        steps = np.empty_like(start)  # np.diff(start, prepend=0), without its copy (a quarter of the time)
        steps[0] = start[0]
        np.subtract(start[1:], start[:-1], out=steps[1:])
        first = (np.cumsum(chars) - chars)[chars > 0]
        steps[first] = start[first]  # each document's steps start again from its own first start
        if int(steps.min()) >= 0 and int(steps.max()) <= 0xFF:
            return cps, steps.astype(np.uint8), True
    return cps, start.copy(), False


def document_batch(corpus: Any, local: Sequence[int], doc0: int, signatures: np.ndarray, digests: np.ndarray,
                   pack: bool = True) -> DocumentBatch:
    """Documents ``local`` (ascending local indices of a prepared corpus whose first document has the global
    index ``doc0``) as a :class:`DocumentBatch` (new arrays, :func:`packed` unless ``pack`` is false: documents
    that stay on their worker), with their rows of ``signatures`` and ``digests`` (the corpus's
    ``docpairs.document_signatures`` and ``docpairs.document_digests``). Their ends go as their exceptions:
    whole, they were a sixth of the 1.8 GB of documents the alignment's blocks received from other
    partitions at 600k paragraphs."""
    d = np.asarray(local, np.int64).reshape(-1)
    s, e = corpus.doc_offsets[d].astype(np.int64), corpus.doc_offsets[d + 1].astype(np.int64)
    chars = e - s
    cps, _ = gather_csr(corpus.cps, s, chars)
    start, _ = gather_csr(np.asarray(corpus.orig_start), s, chars)
    at, val, end_counts = corpus.orig_end.exceptions_of(s, e)  # a partition's corpus is prepare's: an Ends
    cps, start, stepped = packed(cps, start, chars) if pack else (cps, start, False)
    p0 = corpus.par_first[d].astype(np.int64)
    par_counts = np.array([len(corpus.documents[k].paragraphs) for k in d.tolist()], np.int64)
    pars = range_indices(p0, par_counts)
    h0 = corpus.set_offsets[p0]
    sets, _ = gather_csr(corpus.set_hashes, h0, corpus.set_offsets[p0 + par_counts] - h0)
    return DocumentBatch([doc0 + k for k in d.tolist()], [corpus.documents[k] for k in d.tolist()], chars, cps,
                         start, stepped, at, val, end_counts, corpus.par_bounds[pars] - np.repeat(s, par_counts)[:, None],
                         par_counts, sets, np.diff(corpus.set_offsets)[pars], signatures[d], digests[d])


def corpus_of(batches: Sequence[DocumentBatch], config: AuditConfig):
    """The prepared corpus of the batches' documents, one batch after the other: equal to ``prepare.prepare``
    of them (every prepared array is made paragraph by paragraph), without normalising again; its
    paragraphs' signatures are made only if a stage reads them (``Corpus.release_signatures``); the
    documents' are :func:`document_signatures` of the batches."""
    from chachong.stages.prepare import Corpus, Ends

    def cat(xs: list[np.ndarray], t) -> np.ndarray:
        return np.concatenate(xs).astype(t, copy=False) if xs else np.zeros(0, t)

    chars = cat([b.chars for b in batches], np.int64)
    doc_offsets = np.concatenate(([0], np.cumsum(chars))).astype(np.int64)
    first = doc_offsets[:-1]
    par_counts = cat([b.par_counts for b in batches], np.int64)
    end_counts = cat([b.end_counts for b in batches], np.int64)
    start = np.concatenate([b.starts() for b in batches]) if batches else np.zeros(0, np.int32)
    set_counts = cat([b.set_counts for b in batches], np.int64)
    corpus = Corpus(
        documents=[d for b in batches for d in b.documents], config=config,
        cps=cat([b.code_points() for b in batches], np.uint32),
        orig_start=start,
        orig_end=Ends.of_exceptions(start, cat([b.end_at for b in batches], np.int64) + np.repeat(first, end_counts),
                                    cat([b.end_val for b in batches], start.dtype)),
        doc_offsets=doc_offsets, par_doc=np.repeat(np.arange(chars.size, dtype=np.int32), par_counts),
        par_bounds=((np.concatenate([b.par_bounds for b in batches]) if batches else np.zeros((0, 2), np.int64))
                    .astype(np.int64) + np.repeat(first, par_counts)[:, None]),
        set_hashes=cat([b.set_hashes for b in batches], np.uint32),
        set_offsets=np.concatenate(([0], np.cumsum(set_counts))).astype(np.int64),
        signatures=np.zeros((0, config.num_perm), np.uint32),
    )
    corpus.release_signatures()
    return corpus


def document_signatures(batches: Sequence[DocumentBatch], config: AuditConfig) -> np.ndarray:
    """The documents' MinHash signatures carried by the batches (``docpairs.document_signatures`` of
    :func:`corpus_of` of them, for a ``StageCache.doc_signatures``)."""
    return (np.concatenate([b.signatures for b in batches]) if batches
            else np.zeros((0, config.num_perm), np.uint32))


def document_digests(batches: Sequence[DocumentBatch]) -> np.ndarray:
    """The digests of the documents' canonical texts carried by the batches (``docpairs.document_digests``
    of :func:`corpus_of` of them, for a ``StageCache.doc_digests``)."""
    return np.concatenate([b.digests for b in batches]) if batches else np.zeros((0, 2), np.uint64)


# ---------------------------------------------------------------------------------------------
# frames


def frame(cols: dict[str, np.ndarray], schema: dict[str, Any]):
    """A pandas frame of ``schema``'s columns (name -> dtype), empty where ``cols`` lacks one.

    The columns are the arrays given when they have their type already (``copy=False``: one block per
    column, not copied into one block per type, which took 1.8 of the workers' task seconds at 600k
    paragraphs, mostly the pairing's 1.7 M keyed rows a partition); nothing writes to those arrays after.
    """
    import pandas as pd

    columns = {k: np.asarray(cols[k], dtype=t) if k in cols else np.zeros(0, t) for k, t in schema.items()}
    return pd.DataFrame(columns, copy=False)


def binary(values: list[bytes]):
    """A pandas column of Arrow binaries."""
    import pandas as pd
    import pyarrow as pa

    return pd.Series(values, dtype=pd.ArrowDtype(pa.large_binary()))


def index_dtype(count: int) -> type:
    """The integer type of paragraph (or document) numbers in shuffled rows: 32 bits while they fit.
    With it, and without documents, the pairing's keyed rows take 22 bytes and its sample rows 8
    where every row took 34: 1.2 KB a paragraph instead of 2.7 at the default settings (42 bands)."""
    return np.int32 if count < 2**31 else np.int64


def meta_with_blobs(schema: dict[str, Any], blobs: Sequence[str]):
    """The empty frame of ``schema`` plus the binary columns ``blobs`` (a ``meta`` for dask)."""
    df = frame({}, schema)
    for name in blobs:
        df[name] = binary([])
    return df


def blob_column(values: np.ndarray, offsets: np.ndarray):
    """CSR rows of numbers -> a pandas column of Arrow binaries (one per row), without a loop per row."""
    import pandas as pd
    import pyarrow as pa

    data = np.ascontiguousarray(values)
    item = data.dtype.itemsize
    arr = pa.Array.from_buffers(pa.large_binary(), len(offsets) - 1,
                                [None, pa.py_buffer(np.asarray(offsets, np.int64) * item),
                                 pa.py_buffer(data.view(np.uint8))])
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def blob_arrays(series, dtype) -> tuple[np.ndarray, np.ndarray]:
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


# ---------------------------------------------------------------------------------------------
# reading and cutting (tasks)


def list_input(given: Any, encoding: str | None) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """The files one given path stands for, as read_sources lists them: (file, real path) and skips."""
    from chachong.ingest.files import to_fs_path
    from chachong.ingest.read import read_sources
    from chachong.ingest.walk import expand

    try:
        fs_given = to_fs_path(given)
    except TypeError:
        return [], read_sources([given], encoding=encoding)[1]
    skipped: list[Skipped] = []
    try:
        files = expand(fs_given, skipped)
    except Exception:  # noqa: BLE001 - read_sources words the reason
        return [], read_sources([given], encoding=encoding)[1]
    return [(f, os.path.realpath(f)) for f in files], skipped


def read_file(path: str, config: AuditConfig) -> tuple[list[Document], list[Skipped], list[str]]:
    """One file read and split exactly as the local engine does (ids from d1; renumbered later)."""
    from chachong.stages.load import load_documents

    return load_documents([path], config)


def skips_and_warnings(read: tuple[list[Document], list, list]) -> tuple[list, list]:
    return read[1], read[2]


def paragraph_counts(read: tuple[list[Document], list, list]) -> list[int]:
    return [len(d.paragraphs) for d in read[0]]


def take(read: tuple[list[Document], list, list], lo: int, hi: int) -> list[Document]:
    """Documents ``lo:hi`` of a read file: the piece of one partition, made where the file was read,
    so a partition prepared on another worker moves its own documents only, never the whole file's."""
    return read[0][lo:hi]


def make_part(index: int, doc0: int, par0: int, total: int, pieces: list, config: AuditConfig,
              references: int = 0) -> Part:
    """Renumber and prepare documents ``pieces`` = [(docs or read result, lo, hi, first id)]; the
    first ``references`` of the corpus are reference texts (``r01``...)."""
    from chachong.stages.prepare import prepare

    docs: list[Document] = []
    for src, lo, hi, first in pieces:
        got = src[0] if isinstance(src, tuple) else src
        docs.extend(renumber(got[lo:hi], first, total, references) if first is not None else got[lo:hi])
    # one thread: a dask worker process is one of many on its machine (threads_per_worker=1)
    with paused_gc():  # a worker's heap is large: collections while preparing would walk it again and again
        return Part(index, doc0, par0, prepare(docs, config, threads=1))


def texts(part: Part) -> EncodedTexts:
    """Each document's text and its paragraphs' own texts (``Paragraphs.own_texts``), encoded as the
    client's text file (``runtime.textfile``) stores them for the record: it writes the bytes as
    they come."""
    return encode_texts((d.text, d.paragraphs.own_texts()) for d in part.corpus.documents)


def quotes(part: Part) -> list[list[tuple[int, int]]]:
    """Each document's quote spans (``attribution.quote_spans``), made where its text is: what
    ``attribution.annotate_attribution`` needs of the texts."""
    from chachong.stages.attribution import quote_spans

    return [quote_spans(d.text) for d in part.corpus.documents]


def outlines(part: Part) -> tuple[list[Document], list[int]]:
    """The partition's documents without their texts (ids, titles, sources, lines, paragraph offsets:
    what the client needs until the record is made) and each text's length."""
    out = [Document(d.id, d.title, d.source, "", d.line, d.paragraphs.outline(), d.ocr_confidence)
           for d in part.corpus.documents]
    return out, [len(d.text) for d in part.corpus.documents]


DEFAULT_PARTITION_PARAGRAPHS = 40_000  # the largest partitions partition_size makes (see there)
MIN_PARTITION_PARAGRAPHS = 5_000  # the smallest partitions partition_size makes (a small corpus, many workers)


def partition_size(paragraphs: int, workers: int) -> int:
    """Paragraphs per partition when the caller gives none: ``DEFAULT_PARTITION_PARAGRAPHS``, or fewer so
    that every worker gets two partitions at least, never under ``MIN_PARTITION_PARAGRAPHS``.

    Fewer, larger partitions mean fewer tasks (the routes make P² of them), fewer document pairs split
    between partitions and less to move: at 600k paragraphs on two workers, partitions of 40,000
    paragraphs (15) took 71.2 / 65.0 s where 20,000 (30) took 79.6 / 82.4 s, alternating, and 123–128
    CPU seconds instead of 147–155 (``bench_dask.py --partition-paragraphs``); 60,000 (10) took 71.7 /
    78.9 s against 75.6 / 72.5 s for 40,000, no gain, and fewer partitions balance less well over more
    workers. A worker holds about 5 KB a paragraph of its partitions, 200 MB for one of 40,000.

    >>> partition_size(600_000, 2), partition_size(600_000, 16), partition_size(3_000, 2), partition_size(10**8, 50)
    (40000, 18750, 5000, 40000)
    """
    return min(DEFAULT_PARTITION_PARAGRAPHS, max(MIN_PARTITION_PARAGRAPHS, -(-paragraphs // (2 * max(1, workers)))))


def cut(counts: list[int], target: int) -> list[tuple[int, int]]:
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
