"""Static HTML views of one document or one document pair, for Jupyter (``_repr_html_``).

:class:`DocumentView` and :class:`PairView` are what ``result.document(id)`` and
``result.pair(a, b)`` return; :func:`document_html` and :func:`pair_html` render them.

The markup uses the classes of report.html (``cp`` copied, ``sk`` stock, ``bp`` boilerplate,
``df`` differing characters inside a copied passage, ``pv`` the side-by-side grid), so a
notebook shows what the report shows; the CSS is inlined and scoped under ``.chachong``.
Every piece of document text is escaped. Twin passages link to each other by anchor.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable

from chachong.model import Document, DocumentStats, document_ids
from chachong.result import AuditRecord

_CSS = """
.chachong { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
  line-height: 1.8; color: #212529; }
.chachong .doctext { white-space: pre-wrap; word-wrap: break-word; border: 1px solid #dee2e6;
  border-radius: 6px; padding: 10px 14px; max-height: 480px; overflow: auto; }
.chachong .pv { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.chachong .meta { color: #6c757d; margin: 0 0 6px; }
.chachong .cp { background: #ffc9c9; color: #a61e1e; text-decoration: none; }
.chachong .cp.c1 { background: #fcc2d7; } .chachong .cp.c2 { background: #eebefa; }
.chachong .cp.c3 { background: #d0bfff; } .chachong .cp.c4 { background: #ffa8a8; }
.chachong .cp.c5 { background: #f3d9fa; }
.chachong .sk { background: #fff3bf; }
.chachong .cp.sk { box-shadow: inset 0 -3px #f59f00; }
.chachong .df { background: #74c0fc; color: #0b3d91; font-weight: 700; }
.chachong .bp { background: #dee2e6; color: #495057; text-decoration: line-through; }
"""


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _wrap(body: str) -> str:
    return f'<div class="chachong"><style>{_CSS}</style>{body}</div>'


def marked_text(text: str, layers: Iterable[tuple[int, int, str, str]]) -> str:
    """``text`` escaped, with each ``(start, end, class, title)`` layer as a span (classes combine).

    >>> marked_text("甲乙<丙>丁", [(1, 4, "cp", "from d02")])
    '甲<span class="cp" title="from d02">乙&lt;丙</span>&gt;丁'
    """
    layers = [(max(0, s), min(len(text), e), c, t) for s, e, c, t in layers if e > s]
    cuts = sorted({0, len(text), *(s for s, _, _, _ in layers), *(e for _, e, _, _ in layers)})
    out = []
    for lo, hi in zip(cuts, cuts[1:]):
        active = [(c, t) for s, e, c, t in layers if s <= lo and hi <= e]
        piece = _e(text[lo:hi])
        if active:
            classes = " ".join(dict.fromkeys(c for c, _ in active))
            titles = "; ".join(dict.fromkeys(t for _, t in active if t))
            attr = f' title="{_e(titles)}"' if titles else ""
            out.append(f'<span class="{classes}"{attr}>{piece}</span>')
        else:
            out.append(piece)
    return "".join(out)


def _common(result: AuditRecord, doc_id: str) -> list[tuple[int, int, str, str]]:
    st = result.stats[doc_id]
    layers = [(s, e, "sk", "stock phrasing 套话") for s, e in st.stock]
    layers += [(s, e, "bp", kind) for s, e, kind in st.boilerplate]
    return layers


def document_html(result: AuditRecord, doc_id: str) -> str:
    """One document: copied spans (red, source on hover), stock (yellow), boilerplate (grey)."""
    doc = result.record(doc_id)
    st = result.stats[doc_id]
    known = set(document_ids(result.document_records))  # documents' titles, not references'
    titles = {x: result.record(x, text=False).title for x in [*st.copied, *(s["document"] for s in st.sources)] if x in known}
    layers = _common(result, doc_id)
    for src, ivs in st.copied.items():
        layers += [(s, e, "cp", f"copied: {src} {titles.get(src, '')}") for s, e in ivs]
    sources = "".join(f"<li>{_e(s['document'])} {_e(titles.get(s['document'], ''))}: {s['ratio']:.1%}</li>"
                      for s in st.sources) or "<li>none</li>"
    body = (f"<h3>{_e(doc.id)} {_e(doc.title)}</h3>"
            f'<p class="meta">{_e(doc.source)} · {len(doc.text)} chars · copy ratio {st.copy_ratio:.1%} · '
            f"without stock phrasing {st.copy_ratio_excluding_stock:.1%} · stock {st.stock_ratio:.1%}</p>"
            f"<ol>{sources}</ol><div class=\"doctext\">{marked_text(doc.text, layers)}</div>")
    return _wrap(body)


def _anchor(prefix: str, text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]", "_", f"{prefix}-{text}")


def pair_html(result: AuditRecord, a: str, b: str) -> str:
    """Two documents side by side; each passage in one colour on both sides, linked to its twin."""
    if a > b:
        a, b = b, a
    da, db = result.record(a), result.record(b)
    passages = [p for p in result.passage_records if (p.a, p.b) == (a, b)]
    la, lb = _common(result, a), _common(result, b)
    links_a, links_b = [], []
    for n, p in enumerate(sorted(passages, key=lambda p: (p.a_start, p.b_start))):
        cls = f"cp c{n % 6}"
        la.append((p.a_start, p.a_end, cls, f"{p.id} {p.kind}: {b}"))
        lb.append((p.b_start, p.b_end, cls, f"{p.id} {p.kind}: {a}"))
        for a0, a1, b0, b1, op in p.edits:
            la.append((a0, a1, "df", op))
            lb.append((b0, b1, "df", op))
        links_a.append((p.a_start, p.a_end, p.id))
        links_b.append((p.b_start, p.b_end, p.id))
    prefix = _anchor("cc", f"{a}-{b}")

    def column(doc, layers, links, own, twin):
        text = marked_text(doc.text, layers)
        # anchors at passage starts, in order, so a click on the link jumps to the twin
        heads = "".join(f'<a id="{prefix}-{own}-{pid}" href="#{prefix}-{twin}-{pid}" class="cp">{_e(pid)}</a> '
                        for _, _, pid in links)
        st = result.stats[doc.id]
        return (f"<div><h3>{_e(doc.id)} {_e(doc.title)}</h3>"
                f'<p class="meta">copy ratio {st.copy_ratio:.1%} · passages: {heads or "none"}</p>'
                f'<div class="doctext">{text}</div></div>')

    dp = next((p for p in result.document_pair_records if (p.a, p.b) == (a, b)), None)
    head = (f"<p class=\"meta\">{_e(a)} ↔ {_e(b)}: {dp.kind}, jaccard {dp.jaccard:.3f}, "
            f"a_in_b {dp.a_in_b:.1%}, b_in_a {dp.b_in_a:.1%}, {len(passages)} passage(s)</p>") if dp else \
        f"<p class=\"meta\">{_e(a)} ↔ {_e(b)}: no copied passage found</p>"
    return _wrap(head + '<div class="pv">' + column(da, la, links_a, "a", "b") + column(db, lb, links_b, "b", "a")
                 + "</div>")


class DocumentView:
    """A document of an audit; attributes are the Document's, ``_repr_html_`` the report's view."""

    def __init__(self, result: AuditRecord, document: Document) -> None:
        self._result = result
        self.document = document

    def __getattr__(self, name: str) -> Any:
        return getattr(self.document, name)

    @property
    def stats(self) -> DocumentStats:
        return self._result.stats[self.document.id]

    def _repr_html_(self) -> str:
        return document_html(self._result, self.document.id)

    def __repr__(self) -> str:
        return f"<{self.document.id} {self.document.title!r}: copy ratio {self.stats.copy_ratio:.1%}>"


class PairView:
    """Two documents of an audit side by side (``_repr_html_``), with their passages."""

    def __init__(self, result: AuditRecord, a: str, b: str) -> None:
        self._result = result
        self.a, self.b = sorted((a, b))

    @property
    def passages(self) -> list[Any]:
        return [p for p in self._result.passage_records if (p.a, p.b) == (self.a, self.b)]

    def _repr_html_(self) -> str:
        return pair_html(self._result, self.a, self.b)

    def __repr__(self) -> str:
        return f"<pair {self.a} {self.b}: {len(self.passages)} passage(s)>"
