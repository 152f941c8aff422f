"""What an index stores of a document, and how, whichever the backend.

A document's key is its source path as given (``docs/a.txt``); documents cut from one
compilation get ``#01``, ``#02``, ... after it (``汇编.txt#03``) (:func:`document_keys`), and
its content digest tells an unchanged document from a changed one (:func:`digest`).

:func:`prepare_rows` turns prepared documents into the rows both stores write
(:class:`Prepared`): text, paragraph bounds, MinHash signatures of the indexed paragraphs, their
LSH band keys (:func:`band_keys`, the stage :mod:`chachong.stages.lsh`'s keys as signed 64-bit
integers) and the document's winnowed fingerprints
(:func:`chachong.stages.fingerprints.winnowed_hashes`). A paragraph's id is its document's id
``<< PAR_BITS`` plus its number in the document.

Nothing is pickled: every stored value is text, JSON or a raw little-endian array
(:func:`to_bytes`, :func:`from_bytes`), so nothing read from an index can execute code; a
document is rebuilt from its compressed text and bounds (:func:`rebuild_document`).

>>> document_keys(["a.txt", "b.txt", "b.txt"])
['a.txt', 'b.txt#01', 'b.txt#02']
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from chachong.index.layout import IndexStoreError
from chachong.model import Document, Paragraph
from chachong.stages import lsh
from chachong.stages.fingerprints import winnowed_hashes
from chachong.stages.prepare import Corpus

PAR_BITS = 20  # paragraph id = document id << 20 | paragraph index
_MAX_PARAGRAPHS = 1 << PAR_BITS

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IndexedDocument:
    """One document as the index lists it."""

    key: str
    title: str
    source: str
    chars: int
    paragraphs: int
    indexed_paragraphs: int
    digest: str


def document_keys(sources: Sequence[str]) -> list[str]:
    """Stable keys for documents given by their ``source``: the source, or ``source#NN`` when shared."""
    count = Counter(sources)
    seen: dict[str, int] = defaultdict(int)
    out = []
    for s in sources:
        if count[s] == 1:
            out.append(s)
        else:
            seen[s] += 1
            out.append(f"{s}#{seen[s]:0{max(2, len(str(count[s])))}d}")
    return out


def digest(title: str, text: str) -> str:
    """Content digest of a document (title and text)."""
    import hashlib  # not at module level: OpenSSL's start-up is wasted on a check that adds nothing

    return hashlib.sha256(f"{title}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys (n, bands) int64 of signature rows, as stored: :func:`chachong.stages.lsh.band_keys`."""
    return lsh.band_keys(sig, bands, rows).view(np.int64)


@dataclass
class Prepared:
    """One document turned into the rows an index stores."""

    key: str
    title: str
    source: str
    line: int
    text: str
    digest: str
    bounds: np.ndarray  # (n, 3) int64: start, end, line of every paragraph
    pidx: np.ndarray  # indices of the indexed paragraphs (long enough)
    sigs: np.ndarray  # (len(pidx), num_perm) uint32
    wfp: np.ndarray  # winnowed fingerprints of the document (int64)
    band: np.ndarray | None = None  # (len(pidx), bands) LSH band keys (int64), see with_band_keys


def with_band_keys(rows: list[Prepared], bands: int, n_rows: int) -> list[Prepared]:
    """Fill in the band keys of all documents at once (one numpy pass per band, not per document)."""
    if rows:
        keys = band_keys(np.concatenate([r.sigs for r in rows]), bands, n_rows)
        cuts = np.cumsum([r.pidx.size for r in rows])[:-1]
        for r, k in zip(rows, np.split(keys, cuts)):
            r.band = k
    return rows


def prepare_rows(corpus: Corpus, keys: Sequence[str]) -> list[Prepared]:
    """The rows of every document of ``corpus`` under ``keys`` (band keys not yet filled in)."""
    cfg = corpus.config
    lengths = corpus.canonical_length()
    out = []
    for d, doc in enumerate(corpus.documents):
        if len(doc.paragraphs) >= _MAX_PARAGRAPHS:
            raise IndexStoreError(f"{doc.source}: {len(doc.paragraphs)} paragraphs, more than an index holds "
                                  f"({_MAX_PARAGRAPHS - 1}); split the document")
        first = int(corpus.par_first[d])
        glob = np.arange(first, first + len(doc.paragraphs))
        keep = glob[lengths[glob] >= max(cfg.min_paragraph_chars, 1)] if glob.size else glob
        bounds = np.array([(p.start, p.end, p.line) for p in doc.paragraphs], dtype=np.int64).reshape(-1, 3)
        out.append(Prepared(
            key=keys[d], title=doc.title, source=doc.source, line=doc.line, text=doc.text,
            digest=digest(doc.title, doc.text), bounds=bounds, pidx=(keep - first).astype(np.int64),
            sigs=np.ascontiguousarray(corpus.signatures[keep], dtype=np.uint32),
            wfp=winnowed_hashes(corpus.cps[corpus.doc_offsets[d]:corpus.doc_offsets[d + 1]], cfg.min_span),
        ))
    return out


def to_bytes(a: np.ndarray, dtype: str) -> bytes:
    """``a`` as the raw array of ``dtype`` (``<i8``, ``<u4``) an index stores."""
    return np.ascontiguousarray(a, dtype=dtype).tobytes()


def from_bytes(data: bytes | None, dtype: str, where: str) -> np.ndarray:
    """The array of ``dtype`` stored as ``data``; a missing or torn record raises :class:`IndexStoreError`."""
    size = np.dtype(dtype).itemsize
    if data is None or len(data) % size:
        raise IndexStoreError(f"{where}: damaged index record; rebuild the index (chachong index build)")
    return np.frombuffer(data, dtype=dtype)


def compress_text(text: str) -> bytes:
    """A document's text as stored (zlib of its UTF-8, lone surrogates kept)."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 6)


def rebuild_document(key: str, title: str, source: str, line: int, text_z: bytes, bounds_b: bytes,
                     where: str) -> Document:
    """The document stored under ``key``, from its compressed text and paragraph bounds (placeholder ids)."""
    try:
        text = zlib.decompress(text_z).decode("utf-8", "surrogatepass")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise IndexStoreError(f"{where}: damaged text of {key} ({exc}); rebuild the index") from exc
    b = from_bytes(bounds_b, "<i8", where).reshape(-1, 3)
    paras = tuple(Paragraph(f"x:p{i + 1}", "x", i, int(s), int(e), int(ln), text[int(s):int(e)])
                  for i, (s, e, ln) in enumerate(b))
    return Document("x", title, source, text, line, paras)


__all__ = ["PAR_BITS", "IndexedDocument", "Prepared", "Progress", "band_keys", "compress_text", "digest",
           "document_keys", "from_bytes", "prepare_rows", "rebuild_document", "to_bytes", "with_band_keys"]
