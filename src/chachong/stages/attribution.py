"""Attribution: tell quotation of reference texts and a unit's reuse of its own reports from copying.

The last stage of every executor (after :func:`chachong.stages.stock.annotate_stock`).

Every copied passage gets a ``class``; where several apply the first wins:

1. ``reference``: its source is a reference text (``AuditConfig.references``, ids ``r01``...);
2. ``quoted``: at least :data:`QUOTED_SHARE` of its characters in the copying document lie inside
   quote marks 「」『』“”‘’ or in a quotation cited from a 《…》 title (《…》(第…条)规定/指出/强调/
   要求/明确 followed by ``：`` quotes to the end of the paragraph, by ``，`` or nothing to the end of
   the sentence), whatever its source. Marks pair with nesting within the whole text; an unmatched
   mark is ignored; ASCII quotes (ambiguous as openers and closers) are not marks;
3. ``own``: its source is another document of the same unit (metadata, :mod:`chachong.ingest.metadata`);
4. ``copied``: everything else.

A passage's class is that of its later document ``b`` (the copy: the earlier one is the
presumed source). A document's figures classify its copied text the same way from that
document's side: each run copied from one source (its passages merged) is quoted as a whole or not
at all, so a document copied whole stays copied, its quoted slogans included; a character copied
from several sources takes the first class that applies:

- ``copy_ratio_excluding_quotes`` = (own + copied characters) / chars
- ``copy_ratio_excluding_own`` = (reference + quoted + copied characters) / chars
- ``copy_ratio_net`` = copied characters / chars
- ``own_ratio`` = own characters / chars

Reference texts are then moved out of the documents (``AuditRecord.reference_records``): they
are never reported as documents, while the passages, pairs and sources naming them stay.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from chachong.ingest.metadata import Meta, load_metadata
from chachong.ingest.renumber import is_reference
from chachong.model import document_ids, outlines, text_lengths
from chachong.result import AuditRecord
from chachong.stages.intervals import merge, overlap, subtract

CLASSES = ("reference", "quoted", "own", "copied")  # in order of precedence
# the ratios a limit (``check --ratio``) may apply to, and the classes each leaves out
RATIO_EXCLUDES = {"total": (), "excluding-quotes": ("reference", "quoted"), "excluding-own": ("own",),
                  "net": ("reference", "quoted", "own")}
QUOTED_SHARE = 0.9  # a passage is quoted when this share of its characters lies inside quotes
PAIRS = {"「": "」", "『": "』", "“": "”", "‘": "’"}
_CLOSERS = {v: k for k, v in PAIRS.items()}
_MARKS = re.compile("[" + "".join(PAIRS) + "".join(PAIRS.values()) + "]")
# a quotation cited from a title: 《中华人民共和国安全生产法》第三条规定：……。
_CITED = re.compile(r"《[^《》\n]{1,60}》(?:第[一二三四五六七八九十百零〇\d]+[条款章节项])*"
                    r"(?:中|里)?(?:明确)?(?:规定|指出|强调|要求|提出|明确)[：:，,]?")
_SENTENCE_END = re.compile(r"[。！？\n]")


def quote_spans(text: str) -> list[tuple[int, int]]:
    r"""Sorted, merged spans of ``text`` inside quote marks (the marks included) or cited quotations.

    Marks pair with nesting; a closing mark without its opening one, or an opening one never
    closed, is ignored (and an unclosed inner mark does not stop the outer pair).

    >>> t = "他说「要『落实』」。又说」没有开头。“未闭合"
    >>> [t[s:e] for s, e in quote_spans(t)]
    ['「要『落实』」']
    >>> t = "《安全生产法》第三条规定：安全生产工作坚持领导。其次。\n其余不算。《条例》指出，这句算。这句不算。"
    >>> [t[s:e] for s, e in quote_spans(t)]
    ['安全生产工作坚持领导。其次。', '这句算。']
    """
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    # only the marks are visited (a regular expression finds them), not every character: the stage
    # reads every document of the corpus
    for mark in _MARKS.finditer(text):
        ch, i = mark.group(), mark.start()
        if ch in PAIRS:
            stack.append((ch, i))
        else:
            opener = _CLOSERS[ch]
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == opener:
                    spans.append((stack[depth][1], i + 1))
                    del stack[depth:]
                    break
    for m in _CITED.finditer(text) if "《" in text else ():
        if m.group().endswith(("：", ":")):  # 规定：… quotes to the end of the paragraph
            end = text.find("\n", m.end())
            stop = end if end >= 0 else len(text)
        else:  # 规定，… to the end of the sentence
            found = _SENTENCE_END.search(text, m.end())
            stop = found.end() if found and found.group() != "\n" else (found.start() if found else len(text))
        if stop > m.end():
            spans.append((m.end(), stop))
    return merge(spans)


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return end > start and overlap(spans, start, end) >= QUOTED_SHARE * (end - start)


def _length(ivs: Sequence[tuple[int, int]]) -> int:
    return sum(e - s for s, e in ivs)


def _same_unit(meta: dict[str, Meta], a: str, b: str) -> bool:
    ua, ub = meta.get(a), meta.get(b)
    return ua is not None and ub is not None and ua.unit is not None and ua.unit == ub.unit


def passage_class(p: Any, quotes: dict[str, list[tuple[int, int]]], meta: dict[str, Meta]) -> str:
    """The class of a copied passage, from its later document ``b``'s side."""
    if is_reference(p.a) or is_reference(p.b):
        return "reference"
    if _inside(quotes.get(p.b, []), p.b_start, p.b_end):
        return "quoted"
    return "own" if _same_unit(meta, p.a, p.b) else "copied"


def class_intervals(doc_id: str, copied: dict[str, list[tuple[int, int]]], quotes: list[tuple[int, int]],
                    meta: dict[str, Meta]) -> dict[str, list[tuple[int, int]]]:
    """The copied text of a document split by class (disjoint, sorted, merged intervals), from its
    copied intervals per source, its quote spans and the units.

    >>> class_intervals("d02", {"r01": [(0, 10)], "d01": [(5, 40)], "d03": [(60, 70), (80, 90)]},
    ...                 [(30, 50), (79, 91)], {"d02": Meta("甲"), "d01": Meta("甲"), "d03": Meta("乙")})
    {'reference': [(0, 10)], 'quoted': [(80, 90)], 'own': [(10, 40)], 'copied': [(60, 70)]}
    """
    ref = merge([iv for s, ivs in copied.items() if is_reference(s) for iv in ivs])
    every = merge([iv for ivs in copied.values() for iv in ivs])
    # a copied run (merged per source) is quoted as a whole when (nearly) all of it lies inside
    # quotes: a document copied whole keeps its quoted slogans as copying
    quoted = subtract(merge([(s, e) for src, ivs in copied.items() if not is_reference(src) for s, e in ivs
                             if _inside(quotes, s, e)]), ref)
    taken = merge(ref + quoted)
    own = subtract(merge([iv for s, ivs in copied.items() if not is_reference(s) and _same_unit(meta, doc_id, s)
                          for iv in ivs]), taken)
    return {"reference": ref, "quoted": quoted, "own": own, "copied": subtract(every, merge(taken + own))}


def document_classes(doc_id: str, copied: dict[str, list[tuple[int, int]]], quotes: list[tuple[int, int]],
                     meta: dict[str, Meta]) -> dict[str, int]:
    """Characters of a document in each class (see the module's precedence).

    >>> document_classes("d02", {"r01": [(0, 10)], "d01": [(5, 40)], "d03": [(60, 70), (80, 90)]},
    ...                  [(30, 50), (79, 91)], {"d02": Meta("甲"), "d01": Meta("甲"), "d03": Meta("乙")})
    {'reference': 10, 'quoted': 10, 'own': 30, 'copied': 10}
    """
    return {k: _length(v) for k, v in class_intervals(doc_id, copied, quotes, meta).items()}


def source_class(doc_id: str, source: str, ivs: list[tuple[int, int]], quotes: list[tuple[int, int]],
                 meta: dict[str, Meta]) -> str:
    """The class of one source of a document: the passage rule applied to all it copied from it."""
    if is_reference(source) or is_reference(doc_id):
        return "reference"
    total = _length(ivs)
    if total and sum(overlap(quotes, s, e) for s, e in ivs) >= QUOTED_SHARE * total:
        return "quoted"
    return "own" if _same_unit(meta, doc_id, source) else "copied"


def annotate_attribution(result: AuditRecord, drop: bool = True,
                         spans: Mapping[str, list[tuple[int, int]]] | None = None) -> None:
    """Classes of passages and sources, the ratios by class, the year-over-year table; references
    moved out of the documents (unless not ``drop``: ``check`` reports them as matches). Without
    references or metadata only ``quoted`` and ``copied`` occur.

    ``spans``: :func:`quote_spans` of the documents by id, made where their texts are (the Dask
    engine's workers); made here from the texts otherwise.
    """
    from chachong.stages.yearly import year_over_year

    docs = result.document_records
    meta = load_metadata(outlines(docs), result.config)
    # the quote spans of the documents that copied something (most copied nothing)
    later = {p.b for p in result.passage_records}

    def wanted(doc_id: str) -> bool:
        return doc_id in later or bool(result.stats[doc_id].copied) or bool(result.stats[doc_id].sources)

    if spans is None:
        quotes = {d.id: quote_spans(d.text) for d in docs if wanted(d.id)}
    else:
        quotes = {i: spans[i] for i in document_ids(docs) if wanted(i)}
    result.passage_classes = {p.id: passage_class(p, quotes, meta) for p in result.passage_records}
    for d, chars in zip(outlines(docs), text_lengths(docs)):
        st = result.stats[d.id]
        n = max(chars, 1)
        st.classes = class_intervals(d.id, st.copied, quotes.get(d.id, []), meta)
        chars = {k: _length(v) for k, v in st.classes.items()}
        st.copy_ratio_excluding_quotes = round((chars["own"] + chars["copied"]) / n, 4)
        st.copy_ratio_excluding_own = round((chars["reference"] + chars["quoted"] + chars["copied"]) / n, 4)
        st.copy_ratio_net = round(chars["copied"] / n, 4)
        st.own_ratio = round(chars["own"] / n, 4)
        for src in st.sources:
            src["class"] = source_class(d.id, src["document"], st.copied.get(src["document"], []), quotes[d.id], meta)
        if meta.get(d.id) is not None:
            st.unit, st.year = meta[d.id].unit, meta[d.id].year
    if drop:
        drop_references(result)
    result.year_over_year = year_over_year(outlines(result.document_records), result.stats, result.config.max_own_ratio)


def drop_references(result: AuditRecord) -> None:
    """Reference texts out of every per-document output: documents, their figures, document and
    paragraph pairs. Passages, sources and clusters naming them stay."""
    docs = result.document_records
    ids = document_ids(docs)
    n = sum(map(is_reference, ids))
    if not n:
        return
    if all(map(is_reference, ids[:n])):  # they come first (stages.load.with_references): a slice
        refs, result.document_records = list(docs[:n]), docs[n:]
    else:
        refs = [d for d in docs if is_reference(d.id)]
        result.document_records = [d for d in docs if not is_reference(d.id)]
    result.reference_records = refs
    for d in refs:
        del result.stats[d.id]
    result.document_pair_records = [p for p in result.document_pair_records
                                    if not is_reference(p.a) and not is_reference(p.b)]
    result.paragraph_pair_records = [p for p in result.paragraph_pair_records
                                     if not is_reference(p.a) and not is_reference(p.b)]


__all__ = ["CLASSES", "RATIO_EXCLUDES", "class_intervals", "drop_references", "QUOTED_SHARE", "annotate_attribution", "document_classes", "passage_class", "quote_spans",
           "source_class"]
