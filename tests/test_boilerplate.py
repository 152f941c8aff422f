"""Boilerplate findings: adverts and repeated lines, markers, placeholders, and the advert block
cut from the end of a compilation (boilerplate.py, split.py)."""

from __future__ import annotations

import doctest
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.stages import boilerplate
from chachong.stages.boilerplate import (
    PLACEHOLDER,
    TrailerNote,
    find_boilerplate,
    is_marker_line,
    looks_like_advert,
    trailing_block,
)
from chachong.model import Source
from chachong.stages.segment import build_documents, split_source

AD = "【某某文库】——每日更新公文范文，关注公众号获取更多资料"
BODY_A = ("甲单位全年修缮校舍三处，完成XX项改造任务，资金XX万元。\n"
          "一、主要做法\n"
          "坚持党建引领，开展安全检查x次，消除隐患。")
BODY_B = ("乙单位疏浚河道五公里，联系人某某同志负责协调，建成泵站○○座。\n"
          "二、存在问题\n"
          "个别站点巡查不到位，全年##paidbegin##整改问题若干。")
COMPILATION = (
    "工作总结汇编（2篇）\n\n目录\n甲单位2023年工作总结\t1\n乙单位2023年工作总结\t3\n\n"
    f"甲单位2023年工作总结\n{BODY_A}\n\n乙单位2023年工作总结\n{BODY_B}\n\n\n{AD}\n{AD}\n"
    "欢迎加入素材库会员群，添加客服获取资料\n\n##paidend##\n"
)


def _documents(text: str = COMPILATION):
    pieces, warnings = split_source(Source("c.txt", text, "utf-8", "text"))
    return build_documents([(p, "text") for p in pieces]), warnings


def test_doctests():
    assert doctest.testmod(boilerplate).failed == 0


@pytest.mark.parametrize("line, expected", [
    (AD, True),
    ("欢迎加入素材库会员群，添加客服获取资料", True),
    ("更多范文请访问 www.example.com 下载", True),
    ("通过政务微信公众号发布信息120条，关注群众诉求。", False),
    ("如有疑问请联系办公室，联系电话：1234567。", False),
    ("全年新增工会会员320人，组织会员参加培训。", False),
    ("一、主要做法", False),
])
def test_advert_lines(line, expected):
    assert looks_like_advert(line) is expected


@pytest.mark.parametrize("text, found", [
    ("完成XX项，资金XXX万元", ["XX", "XXX"]),
    ("开展检查x次，增长x%", ["x", "x"]),
    ("第X批试点", ["X"]),
    ("由某某同志负责，建成○○座", ["某某", "○○"]),
    ("×××同志", ["×××"]),
    # not placeholders: Latin words, numbers, URLs, formula names, one 某, the numeral 〇
    ("XML格式，3x4米，www.xxx.com，“1+3+X”产业体系，X光机，某单位，二〇二三年", []),
])
def test_placeholders(text, found):
    assert [m.group() for m in PLACEHOLDER.finditer(text)] == found


def test_marker_lines():
    assert is_marker_line("##paidend##") and is_marker_line("  ##a## ##b## ")
    assert not is_marker_line("全年##paidbegin##整改") and not is_marker_line("")


@pytest.mark.parametrize("lines, first", [
    (["正文。", "第二段。", AD, AD], 2),                       # a repeated advert line
    (["正文。", "第二段。", "", "##end##"], 3),                # a marker line alone
    (["正文。", AD, "", "欢迎加入素材库会员群，添加客服获取资料"], 1),  # two advert lines
    (["正文。", AD], None),                                    # one advert line is no evidence
    (["正文。", "联系人：王某，联系电话：1234567"], None),       # a contact line of a notice is content
    ([AD, AD, "##end##"], None),                               # nothing would be left
    (["正文。", AD, AD, "附件：统计表"], None),                 # the block must reach the end
])
def test_trailing_block(lines, first):
    assert trailing_block(lines) == first


def test_split_cuts_the_advert_block_and_says_where_it_was():
    docs, warnings = _documents()
    assert [d.title for d in docs] == ["甲单位2023年工作总结", "乙单位2023年工作总结"]
    assert docs[-1].text == BODY_B  # ends before the adverts and the end marker
    notes = [w for w in warnings if isinstance(w, TrailerNote)]
    lines = COMPILATION.split("\n")
    first, last = lines.index(AD) + 1, lines.index("##paidend##") + 1
    assert len(notes) == 1 and f"lines {first}-{last}" in notes[0] and notes[0].source == "c.txt"
    assert notes[0].lines == tuple((n, lines[n - 1]) for n in range(first, last + 1) if lines[n - 1])
    assert [t for _, t in notes[0].lines] == [AD, AD, "欢迎加入素材库会员群，添加客服获取资料", "##paidend##"]


def test_split_keeps_text_without_an_advert_block():
    text = COMPILATION[:COMPILATION.index(AD)]
    docs, warnings = _documents(text)
    assert docs[-1].text == BODY_B and not any(isinstance(w, TrailerNote) for w in warnings)


def test_findings_kinds_counts_and_locations():
    docs, warnings = _documents()
    found = find_boilerplate(docs, [w for w in warnings if isinstance(w, TrailerNote)])
    by = {(f["kind"], f["text"]): f for f in found.findings}
    lines = COMPILATION.split("\n")
    first = lines.index(AD) + 1
    ad = by[("repeated-line", AD)]
    assert ad["occurrences"] == 2
    assert [(x["document"], x["line"]) for x in ad["locations"]] == [(None, first), (None, first + 1)]
    assert by[("advert", "欢迎加入素材库会员群，添加客服获取资料")]["occurrences"] == 1
    inline = by[("marker", "##paidbegin##")]["locations"][0]
    assert inline["document"] == "d02" and docs[1].text[inline["start"]:inline["end"]] == "##paidbegin##"
    assert COMPILATION.split("\n")[inline["line"] - 1].endswith("全年##paidbegin##整改问题若干。")
    assert by[("marker", "##paidend##")]["locations"] == [
        {"document": None, "source": "c.txt", "line": len(lines) - 1, "start": None, "end": None}]
    assert found.placeholders == [3, 2]  # XX, XX, x | 某某, ○○
    assert by[("placeholder", "XX")]["occurrences"] == 2
    # findings are ordered: kind, then most frequent first
    kinds = [f["kind"] for f in found.findings]
    assert kinds == sorted(kinds, key=boilerplate.KINDS.index)


def test_lines_repeated_within_a_document_are_page_furniture():
    header = "某市人民政府办公室文件汇编专用"
    body = "\n".join(f"第{n}部分的正文内容各不相同，讲述第{n}项工作。\n{header}" for n in "一二三")
    docs = build_documents([(p, "text") for p in split_source(Source("w.txt", body, "utf-8", "text"))[0]])
    found = find_boilerplate(docs)
    assert [(f["kind"], f["text"], f["occurrences"]) for f in found.findings] == [("repeated-line", header, 3)]


def _intervals_ok(text: str, ivs: list[tuple[int, int, str]]) -> None:
    assert ivs == sorted(ivs)
    for (s0, e0, _), (s1, _e1, _) in itertools.pairwise(ivs):
        assert e0 <= s1
    for s, e, kind in ivs:
        assert 0 <= s < e <= len(text) and kind in boilerplate.KINDS


def test_intervals_are_sorted_non_overlapping_document_offsets():
    docs, warnings = _documents()
    found = find_boilerplate(docs, [w for w in warnings if isinstance(w, TrailerNote)])
    for doc, ivs in zip(docs, found.intervals):
        _intervals_ok(doc.text, ivs)
    assert [doc.text[s:e] for s, e, _ in found.intervals[1]] == ["某某", "○○", "##paidbegin##"]


PIECES = ["正文", "工作", "XX", "x次", "某某", "##m##", "，", "。", "○○", "advert", "X", "ab"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12), min_size=1, max_size=6))
def test_intervals_property(lines):
    text = "\n".join("".join(x).replace("advert", AD) for x in lines)
    docs = build_documents([(p, "text") for p in split_source(Source("p.txt", text, "utf-8", "text"), "none")[0]])
    if not docs:
        return
    found = find_boilerplate(docs)
    doc = docs[0]
    _intervals_ok(doc.text, found.intervals[0])
    assert found.placeholders[0] == len(list(PLACEHOLDER.finditer(doc.text)))
    # every character marked is inside a match of its kind (lines: inside an advert line)
    spans = {"placeholder": PLACEHOLDER, "marker": boilerplate.MARKER}
    for s, e, kind in found.intervals[0]:
        if kind in spans:
            cover = {i for m in spans[kind].finditer(doc.text) for i in range(m.start(), m.end())}
            assert set(range(s, e)) <= cover
        else:
            # an advert, or a line repeated three times or more in the document (page header, watermark)
            lines = [x.strip() for x in doc.text.split("\n")]
            assert AD in doc.text[s:e] or lines.count(doc.text[s:e].strip()) >= 3


def test_example_compilation_boilerplate():
    from chachong.api import audit

    r = audit(["examples/compilation.txt"])
    by = {(f["kind"], f["text"]): f for f in r.boilerplate_records}
    ad = by[("repeated-line", "【笔杆子素材网】——每日更新公文范文，关注公众号获取更多资料")]
    assert [x["line"] for x in ad["locations"]] == [132, 133] and all(x["document"] is None for x in ad["locations"])
    assert [(x["document"], x["line"]) for x in by[("marker", "##vipbegin##")]["locations"]] == [("d09", 115)]
    assert [(x["document"], x["line"]) for x in by[("marker", "##vipend##")]["locations"]] == [(None, 135)]
    assert {d.id: r.stats[d.id].placeholders for d in r.document_records if r.stats[d.id].placeholders} == {"d04": 5, "d09": 3}
    last = r.document_records[-1]
    assert "笔杆子" not in last.text and "##vipend##" not in last.text
    assert last.text.endswith("努力办好人民满意的教育。")


@pytest.mark.corpus
def test_seed_adverts_and_markers(seed_path, seed_result):
    r = seed_result
    by = {(f["kind"], f["text"][:8]): f for f in r.boilerplate_records}
    # the advert text is read from the shared file, never copied into the repository
    lines = seed_path.read_text(encoding="utf-8").split("\n")
    advert = lines[425][:8]
    assert lines[426][:8] == advert
    assert [x["line"] for x in by[("repeated-line", advert)]["locations"]] == [426, 427]
    assert all(x["document"] is None for f in r.boilerplate_records if f["kind"] != "placeholder"
               and f["text"] != "##paidbegin##" for x in f["locations"])
    cut = sorted(x["line"] for f in r.boilerplate_records if f["kind"] in ("repeated-line", "advert") for x in f["locations"])
    assert cut == [426, 427, 428, 429]
    (begin,) = by[("marker", "##paidbe")]["locations"]
    assert begin["document"] is not None and begin["line"] == 155
    assert [(x["document"], x["line"]) for x in by[("marker", "##paiden")]["locations"]] == [(None, 432)]
    last = r.document_records[-1]
    assert advert[1:3] not in last.text and "##" not in last.text and last.text.endswith("运行状况。")


@pytest.mark.corpus
def test_seed_placeholders_per_document(seed_result):
    r = seed_result
    counts = {d.id: r.stats[d.id].placeholders for d in r.document_records}
    title = {d.title: d.id for d in r.document_records}
    soe = counts[title["国有企业2023年工作总结"]]
    assert soe >= 50 and soe == max(counts.values())
    assert counts[title["2023年清廉机关建设工作总结"]] == 0
    assert sum(f["occurrences"] for f in r.boilerplate_records if f["kind"] == "placeholder") == sum(counts.values())
    x = next(f for f in r.boilerplate_records if f["kind"] == "placeholder" and f["text"] == "x")
    assert {loc["document"] for loc in x["locations"]} == {title["国有企业2023年工作总结"]}


# ---------------------------------------------------------------- speed-ups checked against plain forms

_KIND_PRIORITY = {"repeated-line": 0, "advert": 0, "marker": 1, "placeholder": 2}


def _flatten_reference(raw):
    """Character by character: the first interval covering it in (priority, start, end, index)
    order gives its kind; touching characters of one kind form one interval."""
    kinds = {}
    for x in range(max((e for _s, e, _k in raw), default=0)):
        cover = [(_KIND_PRIORITY[k], s, e, i, k) for i, (s, e, k) in enumerate(raw) if s <= x < e]
        if cover:
            kinds[x] = min(cover)[4]
    out = []
    for x in sorted(kinds):
        if out and out[-1][1] == x and out[-1][2] == kinds[x]:
            out[-1] = (out[-1][0], x + 1, kinds[x])
        else:
            out.append((x, x + 1, kinds[x]))
    return out


_interval = st.tuples(st.integers(0, 40), st.integers(1, 12), st.sampled_from(boilerplate.KINDS)).map(
    lambda t: (t[0], t[0] + t[1], t[2]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_interval, max_size=25))
def test_flatten_matches_the_per_character_reference(raw):
    assert boilerplate._flatten(raw) == _flatten_reference(raw)


def test_flatten_many_repeated_intervals():
    # a file repeating one summary thousands of times: every line an interval, markers and
    # placeholders inside them (quadratic before: 475 s for 4,000 repeats)
    raw = []
    for r in range(4000):
        base = r * 100
        raw += [(base, base + 60, "repeated-line"), (base + 10, base + 20, "marker"),
                (base + 50, base + 70, "placeholder"), (base + 80, base + 82, "placeholder")]
    got = boilerplate._flatten(raw)
    assert len(got) == 12000
    assert got[:3] == [(0, 60, "repeated-line"), (60, 70, "placeholder"), (80, 82, "placeholder")]
    assert got[-1] == (399980, 399982, "placeholder")


# the readable forms of the two regexes (boilerplate.py rewrites them so the regex engine
# scans fast); both must find exactly the same
_NOT_X = boilerplate._NOT_X
_PLAIN_PLACEHOLDER = re.compile(
    rf"(?<![{_NOT_X}])[XxＸｘ]{{2,}}(?![{_NOT_X}])"
    rf"|(?<![{_NOT_X}])[XxＸｘ](?=[{boilerplate._UNIT}])|(?<=第)[XxＸｘ](?![{_NOT_X}])"
    r"|某某+|[○◯]{2,}|[×✕]{2,}"
)
_PLAIN_STRONG = re.compile(
    r"客服|素材库|素材网|代笔|加微信|微信号|[Qq]{2}群|svip|vip会员|会员群|有意加入|请联系|关注公众号|"
    r"获取更多|每日更新|每天更新|一键下载|谨防假冒|原创高质量|https?://|www\."
)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="XxＸｘ某○◯×✕第次万元年aZ1９._/@+＋-中文\n Qq群客服www.", max_size=16))
def test_fast_regexes_find_what_the_readable_ones_do(text):
    def spans(rx, p=0):
        return [(m.start(), m.end()) for m in rx.finditer(text, p)]

    assert spans(PLACEHOLDER) == spans(_PLAIN_PLACEHOLDER)
    assert spans(boilerplate._STRONG) == spans(_PLAIN_STRONG)
    # find_boilerplate starts at the first placeholder character: nothing is found before it
    first = min((text.find(ch) for ch in boilerplate._PLACEHOLDER_CHARS if ch in text), default=len(text))
    assert spans(PLACEHOLDER, first) == spans(_PLAIN_PLACEHOLDER)


def _same(a, b) -> bool:
    return (a.findings, a.intervals, a.placeholders) == (b.findings, b.intervals, b.placeholders)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.lists(st.sampled_from(PIECES + ["advert", "页眉页眉页眉页眉"]), min_size=1, max_size=8),
                         min_size=1, max_size=6), min_size=2, max_size=6), st.data())
def test_batches_merge_to_the_findings_of_the_whole(doc_lines, data):
    """Boilerplate found per batch of documents (a Dask partition) and merged is the boilerplate of
    all of them: an advert line once in each of two batches is a repeated line."""
    docs = []
    for i, lines in enumerate(doc_lines):
        text = "\n".join("".join(x).replace("advert", AD) for x in lines)
        docs += build_documents([(p, "text") for p in split_source(Source(f"s{i}.txt", text, "utf-8", "text"), "none")[0]])
    if len(docs) < 2:
        return
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(docs) - 1), max_size=3))))
    bounds = list(itertools.pairwise([0, *cuts, len(docs)]))
    _d, warnings = _documents()
    trailers = [w for w in warnings if isinstance(w, TrailerNote)]
    merged = boilerplate.merge_boilerplate([boilerplate.boilerplate_batch(docs[a:b]) for a, b in bounds], trailers)
    assert _same(merged, find_boilerplate(docs, trailers))


def test_an_advert_in_two_batches_is_a_repeated_line():
    docs = build_documents([(p, "text") for p in split_source(
        Source("a.txt", f"甲单位全年修缮校舍三处。\n{AD}", "utf-8", "text"), "none")[0]]
        + [(p, "text") for p in split_source(Source("b.txt", f"乙单位疏浚河道五公里。\n{AD}", "utf-8", "text"),
                                             "none")[0]])
    halves = [boilerplate.boilerplate_batch(docs[:1]), boilerplate.boilerplate_batch(docs[1:])]
    assert [f["kind"] for f in boilerplate.merge_boilerplate(halves[:1]).findings if f["text"] == AD] == ["advert"]
    merged = boilerplate.merge_boilerplate(halves)
    assert [(f["kind"], f["occurrences"]) for f in merged.findings if f["text"] == AD] == [("repeated-line", 2)]
    assert _same(merged, find_boilerplate(docs))
