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

What the SQLite store keeps of them is compact (``chachong.index/2``, about 3.8 bytes a character
of indexed text): the text deflated as UTF-16 against a dictionary of the index's most frequent
character pairs (:func:`compress_text`, :func:`make_zdict`), the bounds as deflated differences
(:func:`pack_bounds`), and of each indexed paragraph's signature only a 3-bit sketch
(:func:`sketch`); band keys and fingerprints go to :mod:`chachong.index.postings`.

Nothing is pickled: every stored value is text, JSON or a raw little-endian array
(:func:`to_bytes`, :func:`from_bytes`), so nothing read from an index can execute code; every
inflation is bounded by the size the record must have; a document is rebuilt from its text and
bounds (:func:`rebuild_document`).

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


def prepare_rows(corpus: Corpus, keys: Sequence[str], documents: Sequence[int] | None = None) -> list[Prepared]:
    """The rows of the documents of ``corpus`` (all, or those numbered ``documents``) under their
    ``keys`` (``keys[d]`` for document ``d``); band keys not yet filled in."""
    cfg = corpus.config
    lengths = corpus.canonical_length()
    out = []
    for d in documents if documents is not None else range(len(corpus.documents)):
        doc = corpus.documents[d]
        if len(doc.paragraphs) >= _MAX_PARAGRAPHS:
            raise IndexStoreError(f"{doc.source}: {len(doc.paragraphs)} paragraphs, more than an index holds "
                                  f"({_MAX_PARAGRAPHS - 1}); split the document")
        first = int(corpus.par_first[d])
        glob = np.arange(first, first + len(doc.paragraphs))
        keep = glob[lengths[glob] >= max(cfg.min_paragraph_chars, 1)] if glob.size else glob
        bounds = np.array(doc.paragraphs.spans(), dtype=np.int64)  # (start, end, line) of each
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


SKETCH_BITS = 3  # bits kept of each MinHash value in a paragraph's sketch
_UTF16, _UTF8 = b"\x01", b"\x00"  # the codec byte before a stored text
ZDICT_CHARS = 16_384  # characters of the shared zlib dictionary (32 KB of UTF-16, zlib's window)


def make_zdict(texts: Sequence[str]) -> bytes:
    """A zlib preset dictionary for the texts of an index: their most frequent character pairs.

    Deflate finds repeats within its 32 KB window only, and a 3,000-character document gives it
    little to repeat; a dictionary of the pairs the index's texts use most (the most frequent
    last, nearest to the text) saves about a fifth of the text: 1.72 -> 1.33 bytes a character on
    the synthetic corpus, 1.14 -> 1.03 on city reports. Counted on about 400 evenly spaced texts.
    """
    counts: Counter[str] = Counter()
    for t in texts[::max(1, len(texts) // 400)]:
        counts.update(t[i:i + 2] for i in range(len(t) - 1))
    pairs = [g for g, _ in counts.most_common() if not any("\ud800" <= c <= "\udfff" for c in g)]
    return "".join(reversed(pairs[:ZDICT_CHARS // 2])).encode("utf-16-le")


def compress_text(text: str, zdict: bytes = b"") -> bytes:
    """A document's text as stored: deflated UTF-16 (against ``zdict``); UTF-8 when it holds lone surrogates."""
    if any("\ud800" <= c <= "\udfff" for c in text):
        return _UTF8 + zlib.compress(text.encode("utf-8", "surrogatepass"), 6)
    z = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, zdict) if zdict else \
        zlib.compressobj(9, zlib.DEFLATED, 15, 9)
    return _UTF16 + z.compress(text.encode("utf-16-le")) + z.flush()


def decompress_text(data: bytes, chars: int, zdict: bytes, key: str, where: str) -> str:
    """The text stored as ``data`` (``chars`` characters); inflates at most what that many can take."""
    try:
        codec, body = data[:1], data[1:]
        if codec == _UTF16:
            z = zlib.decompressobj(15, zdict) if zdict else zlib.decompressobj(15)
            raw = z.decompress(body, 4 * chars)
            if z.unconsumed_tail or not z.eof:
                raise ValueError("longer than recorded")
            text = raw.decode("utf-16-le")
        elif codec == _UTF8:
            z = zlib.decompressobj()
            raw = z.decompress(body, 4 * chars)
            if z.unconsumed_tail or not z.eof:
                raise ValueError("longer than recorded")
            text = raw.decode("utf-8", "surrogatepass")
        else:
            raise ValueError("unknown text codec")
        if len(text) != chars:
            raise ValueError(f"{len(text)} characters, not {chars}")
    except (zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise IndexStoreError(f"{where}: damaged text of {key} ({exc}); rebuild the index") from exc
    return text


def pack_bounds(bounds: np.ndarray) -> bytes:
    """Paragraph bounds (n, 3: start, end, line) as stored: differences, byte planes, deflated."""
    b = np.asarray(bounds, dtype=np.int64).reshape(-1, 3)
    cols = np.stack([np.diff(b[:, 0], prepend=0), b[:, 1] - b[:, 0], np.diff(b[:, 2], prepend=0)], axis=1)
    if cols.size and (cols.min() < -2**31 or cols.max() >= 2**31):
        raise IndexStoreError("a document of more than 2**31 characters cannot be indexed; split it")
    flat = cols.astype("<i4").ravel()
    return zlib.compress(np.ascontiguousarray(flat.view(np.uint8).reshape(-1, 4).T).tobytes(), 6)


def unpack_bounds(data: bytes, n: int, where: str) -> np.ndarray:
    """The (n, 3) bounds stored as ``data`` by :func:`pack_bounds`; a damaged record raises."""
    try:
        z = zlib.decompressobj()
        raw = z.decompress(data, 12 * n)
        ok = len(raw) == 12 * n and z.eof and not z.unconsumed_tail
    except zlib.error:
        ok = False
    if not ok:
        raise IndexStoreError(f"{where}: damaged index record; rebuild the index (chachong index build)")
    cols = np.ascontiguousarray(np.frombuffer(raw, np.uint8).reshape(4, -1).T).view("<i4").reshape(n, 3)
    cols = cols.astype(np.int64)
    start = np.cumsum(cols[:, 0])
    return np.stack([start, start + cols[:, 1], np.cumsum(cols[:, 2])], axis=1)


def sketch(sigs: np.ndarray) -> np.ndarray:
    """The low :data:`SKETCH_BITS` bits of every MinHash value, bit-packed: (n, num_perm * 3 / 8) ``uint8``.

    Two equal values have equal low bits, so the share of equal sketch values of two paragraphs
    is never below the share of equal values of their signatures: a filter on it keeps every pair
    the signatures would keep (b-bit minwise hashing, Li and Koenig 2010), and drops unrelated
    paragraphs (one value in 8 agrees by chance), at 48 bytes a paragraph instead of 512.
    """
    sigs = np.asarray(sigs, dtype=np.uint32).reshape(len(sigs), -1)
    bits = (sigs[:, :, None] >> np.arange(SKETCH_BITS, dtype=np.uint32)) & 1
    return np.packbits(bits.astype(np.uint8).reshape(len(sigs), -1), axis=1)


def _sketch_values(packed: np.ndarray, num_perm: int) -> np.ndarray:
    bits = np.unpackbits(packed, axis=1)[:, :num_perm * SKETCH_BITS].reshape(len(packed), num_perm, SKETCH_BITS)
    return (bits << np.arange(SKETCH_BITS, dtype=np.uint8)).sum(axis=2, dtype=np.uint8)


def sketch_agreement(a: np.ndarray, b: np.ndarray, num_perm: int) -> np.ndarray:
    """Share of equal values between every sketch of ``a`` (m, .) and of ``b`` (n, .): (m, n)."""
    va, vb = _sketch_values(a, num_perm), _sketch_values(b, num_perm)
    return (va[:, None, :] == vb[None, :, :]).sum(axis=2) / num_perm


def rebuild_document(title: str, source: str, line: int, text: str, bounds: np.ndarray) -> Document:
    """A stored document from its text and paragraph bounds (placeholder ids)."""
    paras = tuple(Paragraph(f"x:p{i + 1}", "x", i, int(s), int(e), int(ln), text[int(s):int(e)])
                  for i, (s, e, ln) in enumerate(np.asarray(bounds).reshape(-1, 3).tolist()))
    return Document("x", title, source, text, line, paras)


__all__ = ["PAR_BITS", "SKETCH_BITS", "IndexedDocument", "Prepared", "Progress", "band_keys", "compress_text",
           "decompress_text", "digest", "document_keys", "from_bytes", "make_zdict", "pack_bounds",
           "prepare_rows", "rebuild_document", "sketch", "sketch_agreement", "to_bytes", "unpack_bounds",
           "with_band_keys"]
