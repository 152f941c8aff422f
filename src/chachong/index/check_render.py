"""The output of ``chachong check``: its result as text, Markdown, JSON records and JUnit XML.

Functions of the result's plain fields (:class:`chachong.index.check.CheckResult` and the records
in it), so that the check itself stays one idea.
"""

from __future__ import annotations

from typing import Any

SNIPPET = 60  # characters of a copied passage shown in text and Markdown output


def _class(m: Any) -> str:
    """A match's class when it is not plain copying (reference, quoted, own)."""
    return f" [{m.cls}]" if getattr(m, "cls", "copied") != "copied" else ""


def ratio_label(ratio: str) -> str:
    """How the ratio a limit applies to (``check --ratio``) is named in the output.

    >>> ratio_label("total"), ratio_label("excluding-quotes")
    ('copy ratio', 'copy ratio excluding quotes')
    """
    return "copy ratio" if ratio == "total" else "net copy ratio" if ratio == "net" else \
        "copy ratio " + ratio.replace("-", " ")


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def snippet(text: str, s: int, e: int) -> str:
    piece = " ".join(text[s:e].split())
    return piece if len(piece) <= SNIPPET else piece[:SNIPPET - 1] + "…"


def match_dict(m: Any) -> dict[str, Any]:
    return {"document": m.document, "title": m.title, "new": m.new, "ratio": m.ratio, "kind": m.kind,
            "jaccard": m.jaccard, "paragraph_pairs": m.paragraphs, "similarity": m.similarity,
            "accepted": m.accepted, "passages": [list(p) for p in m.passages], "class": m.cls}


def doc_dict(d: Any) -> dict[str, Any]:
    top = d.top_source
    return {"document": d.document, "title": d.title, "source": d.source, "chars": d.chars, "passed": d.passed,
            "copy_ratio": d.copy_ratio, **d.ratios, "checked_copy_ratio": d.checked_ratio,
            "top_source": {"document": top.document, "ratio": top.ratio} if top else None,
            "most_similar_paragraph": d.most_similar,
            "violations": [{"rule": v.rule, "value": v.value, "limit": v.limit, "source": v.source,
                            "message": v.message} for v in d.violations],
            "matches": [match_dict(m) for m in d.matches]}


def text(r: Any) -> str:
    lines = []
    for d in r.documents:
        top = d.top_source
        head = f"{'PASS' if d.passed else 'FAIL'}  {d.document}  {d.title}  {ratio_label(r.limits.ratio)} {pct(d.checked_ratio)}"
        if top is not None:
            head += f", top source {top.document} {pct(top.ratio)}"
        lines.append(head)
        for v in d.violations:
            lines.append(f"      - {v.message}")
        for m in d.matches[:5]:
            mark = (" (accepted)" if m.accepted else "") + _class(m)
            line = f"      {pct(m.ratio):>6} {m.kind:<14} {m.document}{mark}"
            if m.passages:
                s, e = m.passages[0][:2]
                line += f'  "{snippet(d.text, s, e)}"'
            lines.append(line)
        if len(d.matches) > 5:
            lines.append(f"      ... {len(d.matches) - 5} more matches (--format json lists them all)")
    lines.append(r.summary())
    if r.added:
        lines.append(f"added to the index: {', '.join(r.added)}")
    if r.baseline_written:
        lines.append(f"baseline written: {r.baseline_written} (every current match accepted)")
    return "\n".join(lines) + "\n"


def _md_cell(s: str) -> str:
    from chachong.report.markdown import md_escape  # the one Markdown escape of every report

    return md_escape(s, limit=None)


def markdown(r: Any) -> str:
    failed = sum(not d.passed for d in r.documents)
    head = (f"## chachong check: {failed} of {len(r.documents)} documents failed" if failed
            else f"## chachong check: all {len(r.documents)} documents passed")
    lines = [head, "", _md_cell(r.summary()), "",
             "| result | document | copy ratio | top source | reason |", "| --- | --- | ---: | --- | --- |"]
    for d in r.documents:
        top = d.top_source
        src = f"{_md_cell(top.document)} ({pct(top.ratio)})" if top else "–"
        reason = "; ".join(_md_cell(v.message) for v in d.violations) or "–"
        lines.append(f"| {'✅ pass' if d.passed else '❌ fail'} | {_md_cell(d.document)}<br>{_md_cell(d.title)} | "
                     f"{pct(d.checked_ratio)} | {src} | {reason} |")
    for d in r.documents:
        shown = [m for m in d.matches if m.passages][:3]
        if not shown or d.passed:
            continue
        lines += ["", f"### {_md_cell(d.document)}", ""]
        for m in shown:
            s, e = m.passages[0][:2]
            lines.append(f"- {pct(m.ratio)} {m.kind}{_class(m)} {_md_cell(m.document)}: "
                         f"“{_md_cell(snippet(d.text, s, e))}”")
    return "\n".join(lines) + "\n"


def _xml_text(s: str) -> str:
    # XML 1.0 forbids most control characters even as references; a title may hold them
    return "".join(c for c in s if c in "\t\n\r" or (ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF
                                                    and c not in "\ufffe\uffff"))


def junit(r: Any) -> str:
    import xml.etree.ElementTree as ET

    failed = sum(not d.passed for d in r.documents)
    suites = ET.Element("testsuites", name="chachong check", tests=str(len(r.documents)), failures=str(failed))
    suite = ET.SubElement(suites, "testsuite", name="chachong check", tests=str(len(r.documents)),
                          failures=str(failed), errors="0", skipped="0")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="reference", value=_xml_text(r.reference))
    ET.SubElement(props, "property", name="limits", value=r.limits.describe())
    for d in r.documents:
        case = ET.SubElement(suite, "testcase", classname="chachong.check", name=_xml_text(d.document),
                             time="0")
        body = [f"{d.title}: {ratio_label(r.limits.ratio)} {pct(d.checked_ratio)}"]
        body += [f"{pct(m.ratio)} {m.kind}{_class(m)} {m.document}{' (accepted)' if m.accepted else ''}"
                 for m in d.matches]
        if not d.passed:
            fail = ET.SubElement(case, "failure", message=_xml_text("; ".join(v.message for v in d.violations)),
                                 type=d.violations[0].rule)
            fail.text = _xml_text("\n".join(body))
        else:
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(body))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


__all__ = ["ratio_label", "doc_dict", "junit", "markdown", "match_dict", "pct", "snippet", "text"]
