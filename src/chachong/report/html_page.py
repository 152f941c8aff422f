"""What report.html holds, chosen once under its size limits: :class:`Page`.

Side-by-side views exist for the top ``pair_limit`` document pairs, document texts are embedded
up to ``text_budget`` characters (documents with findings first, identical texts once), the
table lists at most ``table_limit`` documents and the matrix at most ``matrix_limit``. The page
also builds the data its script reads (documents, texts, marks, pairs and the twin passages of
each view with their differences) and the note that prints every limit.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from chachong.report.chardiff import char_diff
from chachong.report.html_data import pack
from chachong.report.ranking import pair_score, rank_pairs, seriate
from chachong.report.sheet import fragments
from chachong.result import AuditRecord

ROW_LIMIT = 200  # rows of the stock-phrase, boilerplate and pair tables
SOURCE_LIMIT = 50  # sources listed per document
DIFF_LIMIT = 20_000  # longest copied passage (characters) given a character diff


class Page:
    """Everything the page needs, chosen once under the size limits."""

    def __init__(self, result: AuditRecord, report: dict[str, Any], pair_limit: int, text_budget: int,
                 table_limit: int, matrix_limit: int) -> None:
        self.result = result
        self.report = report
        self.docs = report["documents"]
        self.index = {d["id"]: i for i, d in enumerate(self.docs)}
        self.by_id = {d["id"]: d for d in self.docs}
        self.pair_limit, self.text_budget = pair_limit, text_budget
        self.table_limit, self.matrix_limit = table_limit, matrix_limit
        self.ranked = rank_pairs(report["document_pairs"])
        self.view_pairs = self.ranked[:pair_limit]
        self.viewed = {(p["a"], p["b"]) for p in self.view_pairs}
        self.matrix_ids = self._matrix_ids()
        self.listed = self._listed()
        self.texts, self.text_index, self.text_chars = self._choose_texts()

    def text_of(self, doc_id: str) -> str:
        """A document's text (read when asked: the record's texts may wait in a file)."""
        return self.result.record(doc_id).text

    def _matrix_ids(self) -> list[str]:
        ids = [d["id"] for d in self.docs]
        if len(ids) > self.matrix_limit:
            best: dict[str, float] = {}
            for p in self.ranked:
                for d in (p["a"], p["b"]):
                    best.setdefault(d, pair_score(p))
            chosen = sorted(best, key=lambda d: (-best[d], self.index[d]))[: self.matrix_limit]
            ids = sorted(chosen, key=self.index.__getitem__)
        chosen_set = set(ids)
        return seriate(ids, [(p["a"], p["b"], pair_score(p)) for p in self.ranked
                             if p["a"] in chosen_set and p["b"] in chosen_set])

    def _listed(self) -> list[str]:
        if len(self.docs) <= self.table_limit:
            return [d["id"] for d in self.docs]
        top = sorted(self.docs, key=lambda d: (-d["copy_ratio"], -d["placeholders"], self.index[d["id"]]))
        keep = {d["id"] for d in top[: self.table_limit]} | set(self.matrix_ids)
        keep.update(x for p in self.view_pairs for x in (p["a"], p["b"]))
        return sorted(keep, key=self.index.__getitem__)

    def _choose_texts(self) -> tuple[list[str], dict[str, int], int]:
        """Embed texts by priority until the budget is spent; identical texts are stored once."""
        stats = self.result.stats
        listed = self.listed
        order = [x for p in self.view_pairs for x in (p["a"], p["b"])]
        order += sorted((i for i in listed if stats[i].copied_chars),
                        key=lambda i: (-self.by_id[i]["copy_ratio"], self.index[i]))
        order += [i for i in listed if stats[i].boilerplate or stats[i].placeholders]
        order += sorted((i for i in listed if stats[i].stock), key=lambda i: (-self.by_id[i]["stock_ratio"], self.index[i]))
        order += listed
        texts: list[str] = []
        slot: dict[str, int] = {}
        where: dict[str, int] = {}
        used = 0
        for doc_id in order:
            if doc_id in where:
                continue
            text = self.text_of(doc_id)
            if text not in slot:
                if used + len(text) > self.text_budget:
                    continue
                slot[text] = len(texts)
                texts.append(text)
                used += len(text)
            where[doc_id] = slot[text]
        return texts, where, used

    # ---------------------------------------------------------------- data for the script
    def data(self) -> dict[str, Any]:
        stats = self.result.stats
        docs = []
        for doc_id in self.listed:
            d = self.by_id[doc_id]
            top = d["top_source"]
            sources = d["sources"]
            docs.append({
                "id": doc_id, "title": d["title"], "source": d["source"], "line": d["line"],
                "chars": d["chars"], "paragraphs": d["paragraphs"], "copy": d["copy_ratio"],
                "copied_chars": d["copied_chars"],
                "copy_x": d["copy_ratio_excluding_stock"], "stock": d["stock_ratio"],
                "placeholders": d["placeholders"],
                "copy_q": d["copy_ratio_excluding_quotes"], "copy_o": d["copy_ratio_excluding_own"],
                "copy_n": d["copy_ratio_net"], "own": d["own_ratio"], "unit": d["unit"], "year": d["year"],
                "top_cls": top.get("class") if top else None,
                "top": [top["document"], top["ratio"]] if top else None,
                "sources": [[s["document"], s["ratio"]] for s in sources[:SOURCE_LIMIT]],
                "sources_cut": max(0, len(sources) - SOURCE_LIMIT),
                "text": self.text_index.get(doc_id),
            })
            if d.get("ocr"):  # read by OCR: its mean recognition confidence, marked in the views
                docs[-1]["ocr"] = d["ocr_confidence"]
        marks: dict[str, Any] = {}
        for doc_id in self.listed:
            if doc_id not in self.text_index:
                continue
            st = stats[doc_id]
            entry: dict[str, Any] = {}
            if st.copied:
                entry["copied"] = [[src, pack(ivs)] for src, ivs in sorted(st.copied.items())]
                d = self.by_id[doc_id]
                entry["frag"] = [[f.start, f.end, f.line, list(f.sources)] for f in fragments(
                    st.copied, self.text_of(doc_id), d["line"], [x["document"] for x in d["sources"]])]
            classed = [[c, pack(st.classes[c])] for c in ("reference", "quoted", "own") if st.classes.get(c)]
            if classed:
                entry["classes"] = classed
            if st.stock:
                entry["stock"] = pack(st.stock)
            if st.boilerplate:
                entry["boiler"] = [[int(s), int(e), str(k)] for s, e, k in sorted(st.boilerplate)]
            if entry:
                marks[doc_id] = entry
        tool = self.report.get("tool", {})
        in_matrix = set(self.matrix_ids)
        shown = {(p["a"], p["b"]) for p in self.view_pairs}
        pairs = [[p["a"], p["b"], p["a_in_b"], p["b_in_a"], p["jaccard"], p["kind"]]
                 for p in self.report["document_pairs"]
                 if (p["a"] in in_matrix and p["b"] in in_matrix) or (p["a"], p["b"]) in shown]
        return {
            "docs": docs, "texts": self.texts, "marks": marks, "pairs": pairs, "views": self._views(),
            "order": self.matrix_ids,
            "limits": {"pair_limit": self.pair_limit, "text_note": self.text_note()},
            "min_span": self.report["settings"].get("min_span"),
            "generator": f"{tool.get('name', 'chachong')} {tool.get('version', '')}".strip(),
        }

    def _views(self) -> dict[str, Any]:
        """Twin passages and their differences for each pair shown side by side.

        Document-level passages (``result.passage_records``, with their edits) are used where the
        audit has them; otherwise the paragraph pairs' spans, differences found by
        :func:`char_diff`. Diff entries are ``[start, end, what]``.
        """
        wanted = {(p["a"], p["b"]) for p in self.view_pairs}
        passages: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for ps in self.result.passage_records:
            if (ps.a, ps.b) in wanted:
                passages[(ps.a, ps.b)].append(ps)
        spans: dict[tuple[str, str], set[tuple[int, int, int, int]]] = defaultdict(set)
        for pp in self.result.paragraph_pair_records:
            da, db = pp.a.rpartition(":")[0], pp.b.rpartition(":")[0]
            if (da, db) in wanted and (da, db) not in passages:
                spans[(da, db)].update(tuple(int(x) for x in s[:4]) for s in pp.spans)  # type: ignore[misc]
            elif (db, da) in wanted and (db, da) not in passages:
                spans[(db, da)].update((int(s[2]), int(s[3]), int(s[0]), int(s[1])) for s in pp.spans)
        views = {}
        for p in self.view_pairs:
            a, b = p["a"], p["b"]
            diff_a: list[list[Any]] = []
            diff_b: list[list[Any]] = []
            if (a, b) in passages:
                found = sorted(passages[(a, b)], key=lambda x: (x.a_start, x.b_start, x.a_end, x.b_end))
                rows: list[list[Any]] = [[x.a_start, x.a_end, x.b_start, x.b_end, x.kind] for x in found]
                for x in found:
                    for a0, a1, b0, b1, op in x.edits:
                        if a1 > a0:
                            diff_a.append([int(a0), int(a1), str(op)])
                        if b1 > b0:
                            diff_b.append([int(b0), int(b1), str(op)])
            else:
                ta, tb = self.text_of(a), self.text_of(b)
                rows = [list(x) for x in sorted(spans.get((a, b), ()))]
                for a0, a1, b0, b1 in rows:
                    if max(a1 - a0, b1 - b0) > DIFF_LIMIT:
                        continue
                    xa, xb = char_diff(ta[a0:a1], tb[b0:b1])
                    diff_a += [[a0 + s, a0 + e, "changed"] for s, e in xa]
                    diff_b += [[b0 + s, b0 + e, "changed"] for s, e in xb]
            views[f"{a}~{b}"] = {"spans": rows, "da": sorted(diff_a), "db": sorted(diff_b)}
        return views

    # ---------------------------------------------------------------- limits, said in the page
    def text_note(self) -> str:
        n, k = len(self.docs), len(self.text_index)
        total = sum(d["chars"] for d in self.docs)
        if k == n:
            return f"all {n} document texts are embedded ({total:,} characters)."
        return (f"document texts are embedded up to {self.text_budget:,} characters, documents with findings "
                f"first: {k} of {n} documents ({self.text_chars:,} of {total:,} characters); the others show "
                f"their figures only. Their full text is in the source files and in the CSV/JSON reports' offsets.")

    def limits_html(self) -> str:
        n = len(self.docs)
        m = len(self.report["document_pairs"])
        items = [
            f"对照视图 Side-by-side views: the top {min(self.pair_limit, m)} of {m} document pairs "
            f"(limit {self.pair_limit}, ranked by max(a_in_b, b_in_a)).",
            f"全文 Texts: {self.text_note()}",
            f"文档表 Documents table: {len(self.listed)} of {n} documents (limit {self.table_limit:,}; "
            "beyond it the documents with the highest copy ratio), 100 rows a page.",
            f"矩阵 Matrix: {len(self.matrix_ids)} of {n} documents (limit {self.matrix_limit}; "
            "beyond it the documents with the strongest pairs).",
            f"套话、模板残留、文档对表 Phrase, boilerplate and pair tables: the first {ROW_LIMIT} rows each; "
            "every row is in report.json.",
        ]
        return '<div class="limits"><b>本页的限制 Limits of this page</b><ul>' + "".join(
            f"<li>{escape(s)}</li>" for s in items) + "</ul></div>\n"


__all__ = ["DIFF_LIMIT", "Page", "ROW_LIMIT", "SOURCE_LIMIT"]
