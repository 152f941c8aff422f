"""``report.json``: the machine-readable contract (design.md §4), schema ``chachong.audit/1``.

Deterministic: lists are sorted, floats rounded to 4 places, keys in a fixed order, so the
same input and settings give byte-identical output.

The file is exactly ``json.dumps(report, ensure_ascii=False, indent=1) + "\n"``, produced faster:
with ``indent`` the standard library falls back to its pure-Python encoder (a generator call per
value, 1.9 s for the 25 MB report of a 100 000-paragraph corpus), so :func:`report_bytes` encodes
compactly with the C encoder and inserts the line breaks and indentation with numpy (1 s in all).
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from chachong.runtime.gcpause import paused_gc
from chachong.model import outlines, text_lengths
from chachong.result import AuditRecord

SCHEMA = "chachong.audit/1"

FORMULAS = {
    "passage": "a copied passage: text of one document aligned with text of another on the canonical text "
               "(NFKC, punctuation and white space dropped, digit runs and placeholders masked), across "
               "paragraph boundaries. Seeds are shared {seed_k}-grams; exact blocks are chained when at most "
               "{max_gap} characters apart on each side (an edit); a passage counts when >= min_span of its "
               "characters match exactly, masked figures not counted. Edits: replace, insert (only in b), "
               "delete (only in a), figure (digits or placeholder differ), place (one place name for another); "
               "kind exact (no edits), template (only figures and place names differ) or edited",
    "candidates": "documents are aligned when their paragraphs pair (LSH, containment) or they share a winnowed "
                  "fingerprint ({fp_k}-grams, window min_span - {fp_k} + 1, so any exact match of min_span "
                  "characters shares one) whose match extends to min_span characters or has a second shared "
                  "fingerprint nearby; a fingerprint found in stock_min_documents (default max(5, 3 % of "
                  "independent documents)) independent documents, or at more than {max_occ} places, is stock "
                  "phrasing and proposes nothing, so text shared only as such phrasing is counted only next to "
                  "real copying or inside a verified paragraph pair",
    "copy_ratio": "copied_chars / chars, where copied_chars counts the characters of a document covered by "
                  "passages matched in any other document (punctuation and line breaks between two copied "
                  "passages count as copied; edits inside a passage count as copied); identical documents 1.0",
    "top_source": "the other document covering the most characters of this one (单篇最大); "
                  "ratio = those characters / chars",
    "sources": "every other document with passages in this one; ratio = characters it covers / chars",
    "copied_share": "characters of a paragraph covered by passages / characters of the paragraph",
    "a_in_b": "characters of a covered by passages matched in b / characters of a (b_in_a likewise)",
    "shared_chars": "characters of a covered by passages matched in b",
    "jaccard": "exact Jaccard of the two shingle sets (character k-grams of the canonical text); for document "
               "pairs linked by passages only, the MinHash estimate (num_perm permutations)",
    "containment": "|A ∩ B| / min(|A|, |B|) on the shingle sets of the two paragraphs",
    "paragraph_pair": "kind identical / near-duplicate / contained from pairing (exact Jaccard >= threshold, "
                      "containment >= containment); partial when a passage's exact matches cover >= containment "
                      "of the shorter paragraph (>= min_paragraph_chars). spans: [a_start, a_end, b_start, b_end] in "
                      "document offsets, the pieces of passages inside the two paragraphs; span_kinds and "
                      "span_passages: the kind and id of the passage each span belongs to",
    "copy_ratio_excluding_stock": "copied characters not covered by stock phrases / chars",
    "stock_ratio": "characters covered by stock phrases / chars",
}


def _formulas() -> dict[str, str]:
    from chachong.stages.align import MAX_GAP, SEED_K
    from chachong.stages.fingerprints import FP_K, MAX_OCCURRENCES

    from chachong.report.attribution import FORMULAS as BY_CLASS

    return {k: v.format(seed_k=SEED_K, max_gap=MAX_GAP, fp_k=FP_K, max_occ=MAX_OCCURRENCES)
            for k, v in FORMULAS.items()} | BY_CLASS


def _passages(result: AuditRecord) -> list[Any]:
    return list(result.passage_records)


def _passage_dict(p: Any) -> dict[str, Any]:
    return {"id": p.id, "a": p.a, "b": p.b, "a_start": p.a_start, "a_end": p.a_end, "b_start": p.b_start,
            "b_end": p.b_end, "a_chars": p.a_end - p.a_start, "b_chars": p.b_end - p.b_start, "matched": p.matched,
            "kind": p.kind, "edits": [list(e) for e in p.edits], "a_paragraphs": list(p.a_paragraphs),
            "b_paragraphs": list(p.b_paragraphs)}


def _span_passages(result: AuditRecord) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
    """For each span of each paragraph pair: the kind and id of the passage it is a piece of."""
    by_docs: dict[tuple[str, str], list[Any]] = {}
    for p in _passages(result):
        by_docs.setdefault((p.a, p.b), []).append(p)
    out = {}
    for pp in result.paragraph_pair_records:
        cands = by_docs.get((pp.a.split(":")[0], pp.b.split(":")[0]), [])
        spans = []
        for a0, a1, b0, b1 in pp.spans:
            owner = next((p for p in cands if p.a_start <= a0 and a1 <= p.a_end and p.b_start <= b0
                          and b1 <= p.b_end), None)
            spans.append((owner.kind if owner else "identical", owner.id if owner else None))
        out[(pp.a, pp.b)] = spans
    return out


def _paragraph_copied(result: AuditRecord, doc: Any, spans: list[list[int]]) -> list[int]:
    """Copied characters of each paragraph of ``doc`` (``spans``: their (start, end, line)): one
    sweep over its merged copied intervals."""
    merged: list[list[int]] = []
    for s, e in sorted(iv for ivs in result.stats[doc.id].copied.values() for iv in ivs):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    if not merged:
        return [0] * len(doc.paragraphs)
    out = []
    j, n = 0, len(merged)
    # paragraphs come in text order and do not overlap, so an interval ending before one
    # paragraph's start ends before every later one's too
    for start, end, _line in spans:
        while j < n and merged[j][1] <= start:
            j += 1
        total, k = 0, j
        while k < n and merged[k][0] < end:
            total += min(merged[k][1], end) - max(merged[k][0], start)
            k += 1
        out.append(total)
    return out


def _r(x: float) -> float:
    return round(float(x), 4)


no_gc = paused_gc  # the name writer.py uses


def report_dict(result: AuditRecord, rendered: bool = False) -> dict[str, Any]:
    """The report as plain dicts and lists, in the order and form report.json holds them.

    ``rendered``: the ``paragraphs`` list (one entry per paragraph of the corpus, half of a
    large report) is held as its finished text in report.json (:class:`Rendered`), which
    :func:`report_bytes` writes as it is; for the writers, which read every other entry only.
    """
    with no_gc():
        return _report_dict(result, rendered)


class Rendered:
    """A top-level value of the report already in its report.json form (UTF-8, indented as it
    stands after its key), for :func:`report_bytes`; ``value()`` gives it as plain lists and
    dicts."""

    __slots__ = ("data", "_value")

    def __init__(self, data: bytes, value: Any) -> None:
        self.data = data
        self._value = value

    def value(self) -> Any:
        return self._value()


# one paragraph of the report's "paragraphs" list, as json.dumps(indent=1) writes it at depth 2
_PARAGRAPH = (
    '  {\n   "id": %s,\n   "start": %d,\n   "end": %d,\n   "line": %d,\n   "copied_chars": %d,\n'
    '   "copied_share": %r\n  }'
)
_PLAIN_ID = re.compile(r'[^"\\\x00-\x1f]*')  # nothing json.dumps(ensure_ascii=False) would escape


def _paragraph_rows(result: AuditRecord) -> Iterator[tuple[str, int, int, int, int]]:
    """(id, start, end, line, copied characters) of every paragraph, from the documents' spans
    (without making a record per paragraph)."""
    for d in outlines(result.document_records):
        spans = d.paragraphs.spans().tolist()
        for pid, (start, end, line), c in zip(d.paragraphs.ids(), spans, _paragraph_copied(result, d, spans)):
            yield pid, start, end, line, c


def _paragraph_dicts(result: AuditRecord) -> list[dict[str, Any]]:
    return [{"id": pid, "start": s, "end": e, "line": line, "copied_chars": c,
             "copied_share": round(c / max(e - s, 1), 4)} for pid, s, e, line, c in _paragraph_rows(result)]


def _paragraphs_rendered(result: AuditRecord) -> Rendered:
    """The "paragraphs" list as report.json holds it, formatted directly: building 600 000 dicts,
    encoding them and indenting the 75 MB that makes took 3 s of the writing of a large report.
    Equal to the dicts' encoding (tested), which :meth:`Rendered.value` gives."""
    rows = list(_paragraph_rows(result))
    if not rows:
        return Rendered(b"[]", lambda: [])
    ids = [r[0] for r in rows]
    if _PLAIN_ID.fullmatch("".join(ids)):
        quoted = [f'"{i}"' for i in ids]
    else:
        quoted = [json.dumps(i, ensure_ascii=False) for i in ids]
    text = ",\n".join([_PARAGRAPH % (q, s, e, line, c, round(c / max(e - s, 1), 4))
                        for q, (_, s, e, line, c) in zip(quoted, rows)])
    return Rendered(("[\n" + text + "\n ]").encode("utf-8"), lambda: _paragraph_dicts(result))


def _report_dict(result: AuditRecord, rendered: bool = False) -> dict[str, Any]:
    from chachong.version import __version__

    from chachong.report.attribution import document_fields, passage_class, reference_dicts

    docs = outlines(result.document_records)  # no text is needed: the lengths are
    lengths = text_lengths(result.document_records)
    owners = _span_passages(result)
    corpus = {
        "documents": len(docs),
        "paragraphs": sum(len(d.paragraphs) for d in docs),
        "chars": sum(lengths),
    }
    documents = []
    for d, chars in zip(docs, lengths):
        st = result.stats[d.id]
        entry = {
            "id": d.id,
            "title": d.title,
            "source": d.source,
            "line": d.line,
            "paragraphs": len(d.paragraphs),
            "chars": chars,
            "copied_chars": st.copied_chars,
            "copy_ratio": _r(st.copy_ratio),
            "copy_ratio_excluding_stock": _r(st.copy_ratio_excluding_stock),
            **document_fields(st),
            "stock_ratio": _r(st.stock_ratio),
            "top_source": st.top_source,
            "sources": st.sources,
            "placeholders": st.placeholders,
        }
        if d.ocr_confidence is not None:  # only documents read by OCR have these keys
            entry["ocr"] = True
            entry["ocr_confidence"] = _r(d.ocr_confidence)
        documents.append(entry)
    return {
        "schema": SCHEMA,
        "tool": {"name": "chachong", "version": __version__},
        "settings": result.config.to_dict(),
        "formulas": _formulas(),
        "corpus": corpus,
        "references": reference_dicts(result),
        "documents": documents,
        "year_over_year": result.year_over_year,
        "paragraphs": _paragraphs_rendered(result) if rendered else _paragraph_dicts(result),
        "document_pairs": [
            {"a": p.a, "b": p.b, "jaccard": _r(p.jaccard), "a_in_b": _r(p.a_in_b), "b_in_a": _r(p.b_in_a),
             "shared_paragraphs": p.shared_paragraphs, "shared_chars": p.shared_chars, "kind": p.kind}
            for p in sorted(result.document_pair_records, key=lambda p: (p.a, p.b))
        ],
        "paragraph_pairs": [
            {"a": p.a, "b": p.b, "jaccard": _r(p.jaccard), "containment": _r(p.containment), "kind": p.kind,
             "spans": [list(s) for s in p.spans], "span_kinds": [k for k, _ in owners[(p.a, p.b)]],
             "span_passages": [i for _, i in owners[(p.a, p.b)]]}
            for p in sorted(result.paragraph_pair_records, key=lambda p: (p.a, p.b))
        ],
        "passages": [_passage_dict(p) | {"class": passage_class(result, p.id)}
                     for p in sorted(_passages(result), key=lambda p: p.id)],
        "clusters": [{"id": c.id, "source": c.source, "members": list(c.members)} for c in result.cluster_records],
        "stock_phrases": result.stock_phrase_records,
        "stock_paragraphs": result.stock_paragraphs,
        "boilerplate": result.boilerplate_records,
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "warnings": list(result.warnings),
    }


_BUILT: tuple[AuditRecord, dict[str, Any]] | None = None  # see built_report


@contextmanager
def built_report(result: AuditRecord, report: dict[str, Any]) -> Iterator[None]:
    """Within this block :func:`dumps` of ``result`` encodes ``report`` instead of building it again.

    The writer builds the report dict once for every format (building it is a third of writing
    a large report).
    """
    global _BUILT
    before, _BUILT = _BUILT, (result, report)
    try:
        yield
    finally:
        _BUILT = before


def dumps(result: AuditRecord) -> str:
    """The text of report.json for ``result``."""
    return dump_bytes(result).decode("utf-8")


def dump_bytes(result: AuditRecord) -> bytes:
    """report.json for ``result``, as UTF-8 bytes."""
    built = _BUILT
    report = built[1] if built is not None and built[0] is result else report_dict(result, rendered=True)
    return report_bytes(report)


_STRUCTURAL = np.zeros(256, dtype=bool)
_STRUCTURAL[list(b"[]{},")] = True
_DEPTH_STEP = np.zeros(256, dtype=np.int8)
_DEPTH_STEP[list(b"[{")] = 1
_DEPTH_STEP[list(b"]}")] = -1


def report_bytes(report: Any) -> bytes:
    r"""UTF-8 bytes of ``json.dumps(report, ensure_ascii=False, indent=1) + "\n"``.

    >>> doc = {"a": [1, [], {"k": "x\\\"]},", "\\": 2.5}], "b": {}, "c": "报告"}
    >>> report_bytes(doc).decode() == json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    True

    A top-level value held as :class:`Rendered` is written as it is: the bytes are those of
    its ``value()`` in its place.
    """
    if not (isinstance(report, dict) and report and any(isinstance(v, Rendered) for v in report.values())):
        compact = json.dumps(report, ensure_ascii=False, separators=(",", ": ")).encode("utf-8")
        return _indent(compact, 1) + b"\n"
    parts = []
    for key, value in report.items():
        if isinstance(value, Rendered):
            body = value.data
        else:
            body = _indent(json.dumps(value, ensure_ascii=False, separators=(",", ": ")).encode("utf-8"), 1, 1)
        parts.append(b" " + json.dumps(key, ensure_ascii=False).encode("utf-8") + b": " + body)
    return b"{\n" + b",\n".join(parts) + b"\n}\n"


def _indent(compact: bytes, indent: int, base: int = 0) -> bytes:
    """Line breaks and indentation of ``json.dumps(indent=indent)`` for compact JSON bytes.

    Compact output has ``,`` between items and ``": "`` after keys, exactly as the indented
    form; the indented form only adds a line break and ``depth * indent`` spaces after each
    ``,``, after each ``[``/``{`` and before each ``]``/``}``, except inside ``[]`` and ``{}``.
    ``base``: the depth of the value in a larger document (added to every line's).
    Brackets and commas count only outside string literals: a string starts and ends at a
    quote not escaped by an odd run of backslashes. Multi-byte UTF-8 sequences never contain
    ASCII bytes, so scanning bytes is safe.
    """
    b = np.frombuffer(compact, dtype=np.uint8)
    n = b.size
    # byte-wide passes go a piece at a time: the same few MB of temporaries serve every piece
    # (a 150 MB report took 1 GB of them at once)
    pieces = range(0, n, _PIECE)
    idx = np.int32 if n < 2**31 - 1 else np.int64
    quotes = _positions(b, pieces, lambda x: x == ord('"'), idx)
    slashes = _positions(b, pieces, lambda x: x == ord("\\"), idx)
    if slashes.size:
        first = np.ones(slashes.size, dtype=bool)
        first[1:] = slashes[1:] != slashes[:-1] + 1
        run_starts = np.flatnonzero(first)
        run_lengths = np.diff(np.append(run_starts, slashes.size))
        escaped = (slashes[run_starts] + run_lengths)[(run_lengths & 1) == 1]
        quotes = quotes[~np.isin(quotes, escaped)]
    pos = _positions(b, pieces, lambda x: _STRUCTURAL[x], idx)
    pos = pos[(np.searchsorted(quotes, pos) & 1) == 0]  # an even number of quotes before: outside strings
    del quotes
    if not pos.size:
        return compact
    step = _DEPTH_STEP[b[pos]]
    depth = np.cumsum(step, dtype=np.int64)
    opens, closes = step == 1, step == -1
    # a closing bracket right after its opening one: an empty container, written "[]" / "{}"
    closes_empty = np.zeros(pos.size, dtype=bool)
    closes_empty[1:] = (pos[1:] == pos[:-1] + 1) & opens[:-1] & closes[1:]
    opens_empty = np.append(closes_empty[1:], False)
    breaks = ~(opens_empty | closes_empty)
    # a break goes after an opening bracket or comma, before a closing bracket; at most one per gap
    after = np.where(closes, pos - 1, pos)[breaks]
    length = (1 + (depth[breaks] + base) * indent).astype(np.int64)
    del pos, step, depth, opens, closes, closes_empty, opens_empty, breaks
    before = np.zeros(length.size + 1, dtype=np.int64)  # bytes inserted before each break
    np.cumsum(length, out=before[1:])
    out = np.empty(n + int(before[-1]), dtype=np.uint8)
    lo = 0
    for p0 in pieces:
        p1 = min(p0 + _PIECE, n)
        hi = int(np.searchsorted(after, p1, side="left"))  # breaks after a byte of this piece
        o0 = p0 + int(before[lo])
        size = p1 - p0 + int(before[hi] - before[lo])
        start = after[lo:hi] - p0 + 1 + (before[lo:hi] - before[lo])  # in this piece's output
        mark = np.zeros(size + 1, dtype=np.int8)
        mark[start] = 1
        mark[start + length[lo:hi]] = -1
        inserted = np.cumsum(mark[:-1], dtype=np.int8).view(bool)
        chunk = out[o0:o0 + size]
        chunk[~inserted] = b[p0:p1]
        chunk[inserted] = ord(" ")
        chunk[start] = ord("\n")
        lo = hi
    return out.tobytes()


_PIECE = 1 << 23  # bytes of compact JSON per pass


def _positions(b: np.ndarray, pieces: range, test, idx: type) -> np.ndarray:
    """Sorted positions in ``b`` where ``test`` holds, found a piece at a time."""
    found = [np.flatnonzero(test(b[p:p + _PIECE])).astype(idx) + idx(p) for p in pieces]
    return np.concatenate(found) if found else np.zeros(0, dtype=idx)
