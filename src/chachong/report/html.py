"""``report.html``: one self-contained page a reader can open offline and send on.

The page holds an overview (counts, settings, formulas), a sortable documents table, an
N x N similarity matrix ordered so duplicate groups sit together, side-by-side pair views
(twin passages in one colour, click to jump, differing characters marked), document views
(copied text red with its source on hover, stock phrasing yellow, boilerplate grey), the
stock-phrase and boilerplate tables and a histogram of paragraph-pair similarities.

CSS and JavaScript are inline (templates/ beside this module) and a Content-Security-Policy
forbids every request and every script but the page's own, so the file works from a USB
stick and an e-mail attachment. Document data travels as one JSON block that the script
reads with ``JSON.parse`` and writes with ``textContent`` only; markup written here passes
every piece of document text, title and file name through :func:`html.escape`.

Big corpora stay usable: side-by-side views exist for the top ``pair_limit`` document
pairs, document texts are embedded up to ``text_budget`` characters (documents with
findings first, identical texts once), the table lists at most ``table_limit`` documents
(paged in the browser) and the matrix at most ``matrix_limit``. Each limit is printed in
the page. Output is deterministic: no timestamps, no random ids.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from html import escape
from importlib import resources
from typing import Any

from chachong.result import AuditRecord

PAIR_LIMIT = 200
TEXT_BUDGET = 800_000  # characters; about 2.4 MB of Chinese text in UTF-8
TABLE_LIMIT = 10_000
MATRIX_LIMIT = 300
ROW_LIMIT = 200  # rows of the stock-phrase, boilerplate and pair tables
SOURCE_LIMIT = 50  # sources listed per document
DIFF_LIMIT = 20_000  # longest copied passage (characters) given a character diff

KIND_ZH = {"identical": "完全相同", "near-duplicate": "近似重复", "partial": "部分复制",
           "contained": "包含", "repeated-line": "重复行", "marker": "标记", "placeholder": "占位符"}

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")
_SLOT = re.compile(r"\{\{(\w+)\}\}")


def script_json(data: Any) -> str:
    r"""JSON that is safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped.

    No ``</script>`` or ``<!--`` can survive, so document text cannot end the data block.

    >>> script_json({"t": "</script><b>&"})
    '{"t":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'
    >>> json.loads(script_json(["a\u2028b<"])) == ["a\u2028b<"]
    True
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def pair_score(pair: dict[str, Any]) -> float:
    """How much of the more-copied document of a pair is found in the other one.

    >>> pair_score({"a_in_b": 0.2, "b_in_a": 0.9})
    0.9
    """
    return max(pair["a_in_b"], pair["b_in_a"])


def rank_pairs(pairs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Document pairs, most copied first (then most shared characters, then ids)."""
    return sorted(pairs, key=lambda p: (-pair_score(p), -p["shared_chars"], -p["jaccard"], p["a"], p["b"]))


def seriate(ids: Sequence[str], pairs: Iterable[tuple[str, str, float]]) -> list[str]:
    """Order documents so that documents copying each other sit next to each other.

    Single-linkage merging from the strongest pair down: every group is a chain, two
    chains join end to end at the documents of the linking pair where those are chain
    ends, so each group is contiguous and its closest members are neighbours. Groups
    keep the source order of their first member; unlinked documents stay in source order.

    >>> seriate(["d1", "d2", "d3", "d4"], [("d1", "d3", 0.9), ("d2", "d4", 0.5)])
    ['d1', 'd3', 'd2', 'd4']
    >>> seriate(["d1", "d2", "d3"], [("d1", "d3", 0.4), ("d2", "d3", 1.0)])
    ['d1', 'd3', 'd2']
    """
    pos = {d: i for i, d in enumerate(ids)}
    chains = {d: [d] for d in ids}
    owner = {d: d for d in ids}
    links = sorted((p for p in pairs if p[0] in pos and p[1] in pos and p[2] > 0),
                   key=lambda p: (-p[2], pos[p[0]], pos[p[1]]))
    for a, b, _ in links:
        ra, rb = owner[a], owner[b]
        if ra == rb:
            continue
        ca, cb = chains.pop(ra), chains.pop(rb)
        if ca[0] == a and ca[-1] != a:
            ca.reverse()
        if cb[-1] == b and cb[0] != b:
            cb.reverse()
        merged = ca + cb
        rep = min(ra, rb, key=pos.__getitem__)
        chains[rep] = merged
        for d in merged:
            owner[d] = rep
    heads = sorted(chains, key=lambda r: min(pos[d] for d in chains[r]))
    return [d for r in heads for d in chains[r]]


def char_diff(a: str, b: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character runs that differ between two twin passages, as (start, end) in each.

    A run that touches a figure grows to the whole figure:

    >>> char_diff("新增1247户，增长12.4%", "新增1389户，增长9.8%")
    ([(2, 6), (10, 14)], [(2, 6), (10, 13)])
    >>> char_diff("坚持不懈", "坚持不渝")
    ([(3, 4)], [(3, 4)])
    >>> char_diff("相同", "相同")
    ([], [])
    """
    if a == b:
        return [], []
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    da = [(i1, i2) for op, i1, i2, _, _ in ops if op != "equal" and i2 > i1]
    db = [(j1, j2) for op, _, _, j1, j2 in ops if op != "equal" and j2 > j1]
    return _widen(a, da), _widen(b, db)


def _numeric(text: str, i: int) -> bool:
    c = text[i]
    return c.isdigit() or (c in ".．" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())


def _widen(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Grow a differing run that touches a figure to the whole figure: a reader compares
    3862 with 4105, not 862 with 105 after a shared leading digit."""
    out: list[list[int]] = []
    for s, e in runs:
        if any(text[i].isdigit() for i in range(s, e)):
            while s > 0 and _numeric(text, s - 1):
                s -= 1
            while e < len(text) and _numeric(text, e):
                e += 1
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def duplicate_groups(report: dict[str, Any], kinds: Sequence[str]) -> list[list[str]]:
    """Groups of documents linked by pairs of the given kinds, in source order.

    >>> rep = {"documents": [{"id": "d1"}, {"id": "d2"}, {"id": "d3"}],
    ...        "document_pairs": [{"a": "d1", "b": "d3", "kind": "identical"}]}
    >>> duplicate_groups(rep, ["identical"])
    [['d1', 'd3']]
    """
    order = {d["id"]: i for i, d in enumerate(report["documents"])}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in report["document_pairs"]:
        if p["kind"] in kinds:
            ra, rb = find(p["a"]), find(p["b"])
            if ra != rb:
                parent[max(ra, rb, key=order.__getitem__)] = min(ra, rb, key=order.__getitem__)
    members: dict[str, list[str]] = defaultdict(list)
    for d in sorted(parent, key=order.__getitem__):
        members[find(d)].append(d)
    return sorted((m for m in members.values() if len(m) > 1), key=lambda m: order[m[0]])


def _merge(intervals: Iterable[Sequence[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for s, e in sorted((int(iv[0]), int(iv[1])) for iv in intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def pack(intervals: Iterable[Sequence[int]]) -> list[int]:
    """Merged intervals as one flat list of (gap from the previous end, length) pairs.

    Stock phrasing can mark tens of thousands of short intervals; small deltas keep the
    page small (the script unpacks them).

    >>> pack([(5, 9), (12, 20), (7, 10)])
    [5, 5, 2, 8]
    """
    out: list[int] = []
    end = 0
    for s, e in _merge(intervals):
        out += [s - end, e - s]
        end = e
    return out


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _brief(value: Any, limit: int = 3) -> str:
    """A short plain-text rendering of a field whose shape another stage owns."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_brief(v)}" for k, v in value.items() if not isinstance(v, (dict, list)))
    if isinstance(value, (list, tuple)):
        more = f" … (+{len(value) - limit})" if len(value) > limit else ""
        return "; ".join(_brief(v) for v in value[:limit]) + more
    return "" if value is None else str(value)


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


class _Page:
    """Everything the page needs, chosen once under the size limits."""

    def __init__(self, result: AuditRecord, report: dict[str, Any], pair_limit: int, text_budget: int,
                 table_limit: int, matrix_limit: int) -> None:
        self.result = result
        self.report = report
        self.docs = report["documents"]
        self.index = {d["id"]: i for i, d in enumerate(self.docs)}
        self.by_id = {d["id"]: d for d in self.docs}
        self.text_of = {d.id: d.text for d in result.document_records}
        self.pair_limit, self.text_budget = pair_limit, text_budget
        self.table_limit, self.matrix_limit = table_limit, matrix_limit
        self.ranked = rank_pairs(report["document_pairs"])
        self.view_pairs = self.ranked[:pair_limit]
        self.viewed = {(p["a"], p["b"]) for p in self.view_pairs}
        self.matrix_ids = self._matrix_ids()
        self.listed = self._listed()
        self.texts, self.text_index, self.text_chars = self._choose_texts()

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
            text = self.text_of[doc_id]
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
                "copy_x": d["copy_ratio_excluding_stock"], "stock": d["stock_ratio"],
                "placeholders": d["placeholders"],
                "top": [top["document"], top["ratio"]] if top else None,
                "sources": [[s["document"], s["ratio"]] for s in sources[:SOURCE_LIMIT]],
                "sources_cut": max(0, len(sources) - SOURCE_LIMIT),
                "text": self.text_index.get(doc_id),
            })
        marks: dict[str, Any] = {}
        for doc_id in self.listed:
            if doc_id not in self.text_index:
                continue
            st = stats[doc_id]
            entry: dict[str, Any] = {}
            if st.copied:
                entry["copied"] = [[src, pack(ivs)] for src, ivs in sorted(st.copied.items())]
            if st.stock:
                entry["stock"] = pack(st.stock)
            if st.boilerplate:
                entry["boiler"] = [[int(s), int(e), str(k)] for s, e, k in sorted(st.boilerplate)]
            if entry:
                marks[doc_id] = entry
        in_matrix = set(self.matrix_ids)
        shown = {(p["a"], p["b"]) for p in self.view_pairs}
        pairs = [[p["a"], p["b"], p["a_in_b"], p["b_in_a"], p["jaccard"], p["kind"]]
                 for p in self.report["document_pairs"]
                 if (p["a"] in in_matrix and p["b"] in in_matrix) or (p["a"], p["b"]) in shown]
        return {
            "docs": docs, "texts": self.texts, "marks": marks, "pairs": pairs, "views": self._views(),
            "order": self.matrix_ids,
            "limits": {"pair_limit": self.pair_limit, "text_note": self.text_note()},
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
                ta, tb = self.text_of[a], self.text_of[b]
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


def _doc_link(page: _Page, doc_id: str) -> str:
    title = page.by_id[doc_id]["title"] if doc_id in page.by_id else ""
    return f'<a href="#doc={escape(doc_id)}">{escape(doc_id)} {escape(title)}</a>'


def _pair_link(page: _Page, a: str, b: str, text: str = "对照 side by side") -> str:
    a, b = min(a, b, key=page.index.__getitem__), max(a, b, key=page.index.__getitem__)
    if (a, b) not in page.viewed:
        return ""
    return f' <a href="#pair={escape(a)}~{escape(b)}">{escape(text)}</a>'


def _card(value: str, label: str, alert: bool = False) -> str:
    return f'<div class="card{" alert" if alert else ""}"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _overview(page: _Page) -> str:
    rep, stats = page.report, page.result.stats
    corpus = rep["corpus"]
    total = max(corpus["chars"], 1)
    identical = duplicate_groups(rep, ["identical"])
    near = duplicate_groups(rep, ["identical", "near-duplicate"])
    copied = sum(d["copied_chars"] for d in page.docs)
    stock = sum(sum(e - s for s, e in _merge(st.stock)) for st in stats.values())
    placeholders = sum(d["placeholders"] for d in page.docs)
    n_ident = sum(len(g) for g in identical)
    out = ['<section id="overview">\n<h2>概览 <small>Overview</small></h2>\n<div class="cards">',
           _card(f"{corpus['documents']:,}", f"篇文档 documents · {corpus['paragraphs']:,} 段 paragraphs"),
           _card(f"{corpus['chars']:,}", "字 characters"),
           _card(f"{n_ident}", f"完全相同的文档 identical documents ({len(identical)} 组 groups)", bool(n_ident)),
           _card(f"{len(near)}", "近似重复组 near-duplicate groups", bool(near)),
           _card(f"{copied:,}", f"复制字数 copied characters ({_pct(copied / total)})", bool(copied)),
           _card(_pct(stock / total), f"套话占比 stock-phrase share ({len(rep['stock_phrases'])} 条 phrases)"),
           _card(f"{len(rep['boilerplate'])}", f"模板残留 boilerplate findings · {placeholders} 占位符 placeholders",
                 bool(rep["boilerplate"] or placeholders)),
           "</div>"]
    out.append('<h3>完全相同与近似重复的文档 <small>Identical and near-duplicate documents</small></h3>')
    if near:
        out.append('<ul class="groups" id="duplicate-groups">')
        group_of = {d: i for i, g in enumerate(near) for d in g}
        links_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for p in rep["document_pairs"]:  # already sorted by (a, b)
            if p["kind"] in ("identical", "near-duplicate") and p["a"] in group_of:
                links_of[group_of[p["a"]]].append(p)
        for gi, group in enumerate(near):
            same = any(set(group) == set(g) for g in identical)
            kind = "identical" if same else "near-duplicate"
            head = f'<span class="kind-{kind}">{KIND_ZH[kind]} {kind}</span> '
            if same:
                body = " = ".join(_doc_link(page, d) for d in group)
                body += "".join(_pair_link(page, group[0], d, f"对照 {group[0]}↔{d}") for d in group[1:])
            else:
                links = []
                for p in links_of[gi]:
                    sym = "=" if p["kind"] == "identical" else "≈"
                    links.append(f"{_doc_link(page, p['a'])} {sym} {_doc_link(page, p['b'])} "
                                 f"(Jaccard {p['jaccard']:.3f}){_pair_link(page, p['a'], p['b'])}")
                body = "; ".join(links[:10]) + (f" … (+{len(links) - 10})" if len(links) > 10 else "")
            out.append(f"<li>{head}{body}</li>")
        out.append("</ul>")
    else:
        out.append('<p class="note">未发现 none found.</p>')
    out.append(page.limits_html())
    if rep.get("skipped"):
        out.append(f"<details><summary>未能读取的文件 Skipped files ({len(rep['skipped'])})</summary><ul>")
        out += [f"<li>{escape(s['path'])}: {escape(s['reason'])}</li>" for s in rep["skipped"]]
        out.append("</ul></details>")
    if rep.get("warnings"):
        out.append(f"<details><summary>提示 Warnings ({len(rep['warnings'])})</summary><ul>")
        out += [f"<li>{escape(str(w))}</li>" for w in rep["warnings"][:ROW_LIMIT]]
        out.append("</ul></details>")
    out.append(_settings(rep))
    out.append("</section>\n")
    return "\n".join(out)


def _settings(rep: dict[str, Any]) -> str:
    settings = rep["settings"]
    key = ["k", "shingle", "threshold", "containment", "document_threshold", "min_span", "mask_digits",
           "mask_placeholders", "min_paragraph_chars"]
    brief = " · ".join(f"{k} = {escape(json.dumps(settings[k], ensure_ascii=False))}" for k in key if k in settings)
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(json.dumps(v, ensure_ascii=False))}</td></tr>"
                   for k, v in settings.items())
    formulas = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
                       for k, v in rep.get("formulas", {}).items())
    return (f'<h3 id="settings">设置与公式 <small>Settings and formulas</small></h3>\n<p>{brief}</p>\n'
            f'<details open><summary>全部设置 All settings</summary><table id="settings-table">{rows}</table></details>\n'
            f'<details open><summary>公式 How each figure is computed</summary><table id="formulas">{formulas}</table>'
            "</details>")


def _documents_section(page: _Page) -> str:
    n = len(page.docs)
    return ('<section id="documents">\n<h2>文档 <small>Documents</small></h2>\n'
            f'<p class="note">{len(page.listed)} of {n} documents. 点击表头排序 click a header to sort; '
            "点击一行查看全文 click a row to read the document with its copied passages marked.</p>\n"
            '<div id="doc-table"></div>\n</section>\n')


def _matrix_section(page: _Page) -> str:
    out = ['<section id="matrix">\n<h2>相似度矩阵 <small>Document similarity matrix</small></h2>',
           '<p class="note">格子（行，列）= 行文档的字符中能在列文档里找到的比例 cell (row, column) = a_in_b, the share '
           "of the row document's characters covered by passages found in the column document. 排序：单链聚类排列，"
           "相互复制的文档相邻 ordered by single-linkage seriation of max(a_in_b, b_in_a), so duplicate groups sit "
           "together. 悬停看数值，点击打开对照 hover for values, click for the side-by-side view.</p>",
           '<div class="legend"><span><i class="scale"></i>0% → 100% (square-root scale)</span><span><i style="background:#adb5bd">'
           "</i>对角线 diagonal</span></div>",
           '<div class="matrix-wrap"><canvas id="matrix-canvas" width="10" height="10"></canvas>'
           '<div id="matrix-tip" hidden></div></div>',
           '<h3>相似文档对 <small>Top document pairs</small></h3>']
    pairs = page.ranked[:ROW_LIMIT]
    if not pairs:
        out.append('<p class="note">未发现 none found.</p>')
    else:
        out.append('<table id="pairs-table"><thead><tr><th>A</th><th>B</th><th>类型 kind</th>'
                   '<th class="num">A 在 B 中 a_in_b</th><th class="num">B 在 A 中 b_in_a</th>'
                   '<th class="num">Jaccard</th><th class="num">共同段落 shared paragraphs</th><th></th></tr></thead><tbody>')
        for p in pairs:
            out.append(f"<tr><td>{_doc_link(page, p['a'])}</td><td>{_doc_link(page, p['b'])}</td>"
                       f'<td class="kind-{escape(p["kind"])}">{escape(KIND_ZH.get(p["kind"], ""))} {escape(p["kind"])}</td>'
                       f'<td class="num">{_pct(p["a_in_b"])}</td><td class="num">{_pct(p["b_in_a"])}</td>'
                       f'<td class="num">{p["jaccard"]:.3f}</td><td class="num">{p["shared_paragraphs"]}</td>'
                       f"<td>{_pair_link(page, p['a'], p['b'])}</td></tr>")
        out.append("</tbody></table>")
        if len(page.ranked) > ROW_LIMIT:
            out.append(f'<p class="note">{len(page.ranked) - ROW_LIMIT} more pairs in report.json and document_pairs.csv.</p>')
    out.append("</section>\n")
    return "\n".join(out)


def _table(rows: list[list[str]], head: list[str], num: set[int], table_id: str) -> str:
    """Rows are already escaped markup."""
    th = "".join(f'<th{" class=num" if i in num else ""}>{h}</th>' for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in num else ""}>{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _more(total: int) -> str:
    return f'<p class="note">{total - ROW_LIMIT} more rows in report.json.</p>' if total > ROW_LIMIT else ""


def _phrases_section(page: _Page) -> str:
    rep = page.report
    out = ['<section id="phrases">\n<h2>套话 <small>Stock phrases</small></h2>',
           '<p class="note">多个互不相关的文档共用的固定说法，单独列出，不算作复制 formulas shared by many independent '
           "documents, reported apart from copying.</p>"]
    phrases = rep.get("stock_phrases") or []
    if phrases:
        rows = []
        for ph in phrases[:ROW_LIMIT]:
            ph = ph if isinstance(ph, dict) else {"phrase": ph}
            share = ph.get("share")
            rows.append([escape(str(ph.get("phrase", ph.get("text", "")))), escape(_brief(ph.get("documents", ""))),
                         _pct(share) if isinstance(share, (int, float)) else "",
                         escape(_brief(ph.get("occurrences", ""))), escape(_brief(ph.get("family", ""))),
                         escape(_locations(ph.get("examples", []), 8))])
        out.append(_table(rows, ["套话 phrase", "文档数 documents", "占比 share", "出现次数 occurrences", "族 family",
                                 "例 examples (documents)"], {1, 2, 3}, "stock-phrases"))
        out.append(_more(len(phrases)))
    else:
        out.append('<p class="note">未发现套话 no stock phrases found.</p>')
    paras = rep.get("stock_paragraphs") or []
    out.append('<h3>套话段落 <small>Stock paragraphs (shared by many independent documents)</small></h3>')
    if paras:
        rows = [[escape(_clip(str(p.get("text", "")), 160)), escape(_brief(p.get("documents", ""))),
                 escape(_brief(p.get("independent_documents", ""))),
                 escape(_brief(p.get("members", []), 6))] for p in paras[:ROW_LIMIT]]
        out.append(_table(rows, ["段落 paragraph", "文档数 documents", "独立文档数 independent", "段落 members"],
                          {1, 2}, "stock-paragraphs"))
        out.append(_more(len(paras)))
    else:
        out.append('<p class="note">未发现 none found.</p>')
    out.append("</section>\n")
    return "\n".join(out)


def _locations(value: Any, limit: int = 12) -> str:
    """Where a phrase or a boilerplate line occurs, as document ids (or source lines outside documents)."""
    if not isinstance(value, list):
        return _brief(value)
    places: list[str] = []
    for loc in value:
        if isinstance(loc, dict):
            label = loc.get("document") or (f"line {loc['line']}" if loc.get("line") is not None else None)
        elif isinstance(loc, (list, tuple)) and loc:
            label = loc[0]
        else:
            label = loc
        if label is not None and str(label) not in places:
            places.append(str(label))
    shown = ", ".join(places[:limit]) + (f" … (+{len(places) - limit})" if len(places) > limit else "")
    return f"{len(value)} · {shown}" if places else str(len(value))


def _boilerplate_section(page: _Page) -> str:
    items = page.report.get("boilerplate") or []
    out = ['<section id="boilerplate">\n<h2>模板残留 <small>Boilerplate: repeated lines, markers, placeholders</small></h2>']
    if items:
        rows = [[escape(_clip(str(b.get("text", "")), 160)),
                 escape(f"{KIND_ZH.get(str(b.get('kind')), '')} {b.get('kind', '')}".strip()),
                 escape(_brief(b.get("occurrences", ""))), escape(_locations(b.get("locations", "")))]
                for b in items[:ROW_LIMIT]]
        out.append(_table(rows, ["内容 text", "类型 kind", "次数 occurrences", "位置 locations (documents)"], {2},
                          "boilerplate-table"))
        out.append(_more(len(items)))
    else:
        out.append('<p class="note">未发现 none found.</p>')
    out.append("</section>\n")
    return "\n".join(out)


HIST_KINDS = (("identical", "#c92a2a"), ("near-duplicate", "#f76707"), ("contained", "#1c7ed6"))


def histogram_svg(values: Iterable[tuple[float, str]], bins: int = 20) -> str:
    """An inline SVG histogram of (similarity, kind) values in [0, 1], bars stacked by kind."""
    counts = [defaultdict(int) for _ in range(bins)]
    n = 0
    for v, kind in values:
        counts[min(bins - 1, max(0, int(float(v) * bins)))][kind] += 1
        n += 1
    w, h, left, bottom, top = 640, 220, 46, 30, 10
    peak = max([sum(c.values()) for c in counts] + [1])
    bw = (w - left - 10) / bins
    parts = [f'<svg id="histogram-svg" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'viewBox="0 0 {w} {h}" role="img" aria-label="histogram of paragraph-pair Jaccard">']
    plot = h - bottom - top
    for i, c in enumerate(counts):
        y = h - bottom
        for kind, colour in HIST_KINDS + tuple((k, "#868e96") for k in sorted(c) if k not in dict(HIST_KINDS)):
            if not c.get(kind):
                continue
            bh = c[kind] / peak * plot
            y -= bh
            lo, hi = i / bins, (i + 1) / bins
            parts.append(f'<rect x="{left + i * bw + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" '
                         f'fill="{colour}"><title>{lo:.2f}–{hi:.2f}: {c[kind]} {escape(kind)}</title></rect>')
    parts.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="#495057"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#495057"/>')
    for t in range(5):
        x = left + t * (w - left - 10) / 4
        parts.append(f'<text x="{x:.1f}" y="{h - bottom + 16}" text-anchor="middle">{t / 4:.2f}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{h - bottom}" text-anchor="end">0</text>')
    parts.append(f'<text x="{(left + w) / 2:.0f}" y="{h - 2}" text-anchor="middle">Jaccard ({n} pairs)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram_section(page: _Page) -> str:
    pairs = page.report["paragraph_pairs"]
    legend = "".join(f'<span><i style="background:{c}"></i>{KIND_ZH[k]} {k}</span>' for k, c in HIST_KINDS)
    return ('<section id="histogram">\n<h2>段落相似度分布 <small>Paragraph-pair similarities</small></h2>\n'
            '<p class="note">已核实段落对的精确 Jaccard（按类型堆叠）；包含型段落对的 Jaccard 可以很低。 Exact Jaccard of '
            "every verified paragraph pair, stacked by kind; a contained pair can have a low Jaccard.</p>\n"
            f'<div class="legend">{legend}</div>\n'
            + histogram_svg((p["jaccard"], p["kind"]) for p in pairs) + "\n</section>\n")


def _header(page: _Page) -> tuple[str, str]:
    sources = list(dict.fromkeys(d["source"].split("#row")[0].strip() for d in page.docs))
    shown = ", ".join(sources[:3]) + (f" … (+{len(sources) - 3})" if len(sources) > 3 else "")
    tool = page.report.get("tool", {})
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("overview", "概览 Overview"), ("documents", "文档 Documents"), ("matrix", "矩阵 Matrix"),
        ("phrases", "套话 Stock phrases"), ("boilerplate", "模板残留 Boilerplate"),
        ("histogram", "分布 Histogram"), ("settings", "设置 Settings")))
    header = ("<h1>查重报告 <small>chachong similarity report</small></h1>\n"
              f'<p class="sub">{escape(shown)} · {escape(str(tool.get("name", "chachong")))} '
              f'{escape(str(tool.get("version", "")))} · {escape(str(page.report.get("schema", "")))}</p>\n'
              f"<nav>{nav}</nav>\n")
    return header, f"查重报告 · {shown}" if shown else "查重报告"


def _template(name: str) -> str:
    return resources.files("chachong.report").joinpath("templates", name).read_text(encoding="utf-8")


def render(result: AuditRecord, report: dict[str, Any], *, pair_limit: int = PAIR_LIMIT,
           text_budget: int = TEXT_BUDGET, table_limit: int = TABLE_LIMIT, matrix_limit: int = MATRIX_LIMIT) -> str:
    """The whole report page as one string (``report`` is :func:`chachong.report.json.report_dict`).

    The limits keep a big audit's page small; each is printed in the page.
    """
    page = _Page(result, report, pair_limit, text_budget, table_limit, matrix_limit)
    js = _template("report.js")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    # the page's own script only: an injected <script> or on* handler would be refused even if escaping failed
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    header, title = _header(page)
    body = (_overview(page) + _documents_section(page) + _matrix_section(page) + _phrases_section(page)
            + _boilerplate_section(page) + _histogram_section(page))
    tool = report.get("tool", {})
    slots = {
        "csp": escape(csp), "generator": escape(f"{tool.get('name', 'chachong')} {tool.get('version', '')}".strip()),
        "title": escape(title), "css": _template("report.css"), "header": header, "main": body,
        "data": script_json(page.data()), "js": js,
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], _template("report.html"))


__all__ = ["MATRIX_LIMIT", "PAIR_LIMIT", "TABLE_LIMIT", "TEXT_BUDGET", "char_diff", "duplicate_groups",
           "histogram_svg", "pack", "pair_score", "rank_pairs", "render", "script_json", "seriate"]
