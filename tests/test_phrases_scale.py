"""Stock-phrase mining at corpus scale (phrases.py): the text is hashed piece by piece, counted
in hash buckets before it is counted exactly, and read from the prepared corpus; none of
that may change a phrase, a count or a location."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.stages import phrases as phrases_module
from chachong.api import audit
from chachong.config import AuditConfig
from chachong.stages.phrases import Phrase, coverage, independent_groups, merge, mine_phrases

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"
WORDS = ["发展", "改革", "推进", "工作", "落实", "责任", "群众", "服务", "建设", "提升", "质量", "安全"]
OWN = ["城东街道修缮老旧小区屋面四处", "县水利局疏浚河道加固堤防", "市图书馆举办读书月活动",
       "区卫健委组织专家下乡义诊", "镇政府扶持特色种植合作社", "开发区引进新材料企业"]
GROUPS = [0, 1, 2, 3, 4, 5, 0]  # the last text is a copy of the first


def corpus() -> list[str]:
    """Six documents sharing two formulas, one of them written with a figure, and a copy."""
    docs = [f"{own}。今年以来{i + 3}次学习贯彻党的二十大精神，\n{own[:2]}取得了一定成效，办结事项{i * 7}件。"
            for i, own in enumerate(OWN)]
    return docs + [docs[0]]


def _with_piece(monkeypatch, size: int, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(phrases_module, "_PIECE", size)
        return mine_phrases(*args, **kwargs)


@pytest.mark.parametrize("piece", [1, 7, 64, 333])
def test_pieces_of_any_size_give_the_same_phrases(monkeypatch, piece):
    texts = corpus()
    hide = [[(3, 9)] if i % 3 == 0 else [] for i in range(len(texts))]
    whole = mine_phrases(texts, GROUPS, exclude=hide)
    assert whole  # the test corpus has formulas
    assert _with_piece(monkeypatch, piece, texts, GROUPS, exclude=hide) == whole


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS + ["，", "。", " ", "\n", "12", "XX"]), min_size=3, max_size=60),
                min_size=3, max_size=8),
       st.integers(1, 50))
def test_pieces_property(docs, piece):
    texts = ["".join(d) for d in docs]
    config = AuditConfig(phrase_min_documents=2)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(phrases_module, "_PIECE", piece)
        small = mine_phrases(texts, config=config)
    assert small == mine_phrases(texts, config=config)


def test_a_long_text_counts_once_per_phrase():
    # a text far longer than the others (counted per hash bucket once, not per occurrence)
    # repeats a formula 400 times and a sentence of its own 400 times
    formula = "坚持以人民为中心的发展思想"
    own = "本馆古籍修复室全年修补善本"
    short = [f"{w}{formula}，其余工作按计划推进。" for w in ("今年", "全年", "我局")]
    long_text = "。".join([f"第{i}条{formula}" for i in range(400)] + [own] * 400)
    got = {p.text: p for p in mine_phrases([*short, long_text])}
    p = got[formula]
    assert (p.documents, p.occurrences) == (4, 403)
    assert sorted({d for d, _s, _e in p.locations}) == [0, 1, 2, 3]
    assert not any(own in t or t in own for t in got)  # one document, however often


def test_the_prepared_corpus_gives_the_same_phrases():
    result = audit([EXAMPLE])
    texts = [d.text for d in result.document_records]
    groups = independent_groups([d.id for d in result.document_records], result.document_pair_records)
    alone = mine_phrases(texts, groups, result.config)
    assert alone
    assert mine_phrases(texts, groups, result.config, corpus=result.corpus) == alone
    # a corpus prepared under other masking is not used: the texts are normalised again
    other = result.config.replace(mask_digits=False)
    assert mine_phrases(texts, groups, other, corpus=result.corpus) == mine_phrases(texts, groups, other)


def test_spaces_inside_a_phrase_do_not_cut_it_but_punctuation_does():
    texts = [f"{w}全面 推进 乡村振兴战略，{t}" for w, t in (("今年", "成效明显"), ("全年", "群众满意"),
                                                        ("本局", "稳步推进"), ("本镇", "初见成效"))]
    got = {p.key: p for p in mine_phrases(texts)}
    assert "全面推进乡村振兴战略" in got
    assert all(re.search("[，。]", p.text) is None for p in got.values())


_loc = st.tuples(st.integers(0, 4), st.integers(0, 60), st.integers(1, 15)).map(lambda t: (t[0], t[1], t[1] + t[2]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_loc, min_size=1, max_size=12), max_size=6))
def test_coverage_merges_like_merge(per_phrase):
    phrases = [Phrase("甲乙丙丁", "甲乙丙丁", ("甲乙丙丁",), 3, len(locs), "甲乙丙丁", tuple(locs)) for locs in per_phrase]
    expected = [merge([(s, e) for locs in per_phrase for d, s, e in locs if d == doc]) for doc in range(5)]
    assert coverage(phrases, 5) == expected


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)), max_size=8), st.integers(-5, 70), st.integers(-5, 70))
@settings(max_examples=300, deadline=None)
def test_overlap_counts_the_clipped_lengths(pieces, start, end):
    from chachong.stages.phrases import overlap

    intervals = merge([(s, s + n) for s, n in pieces])
    want = sum(max(0, min(e, end) - max(s, start)) for s, e in intervals if s < end and e > start)
    assert overlap(intervals, start, end) == want


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)), max_size=10))
@settings(max_examples=300, deadline=None)
def test_merge_joins_overlapping_and_touching_intervals(pieces):
    intervals = [(s, s + n) for s, n in pieces]
    want: list[list[int]] = []
    for s, e in sorted(intervals):
        if want and s <= want[-1][1]:
            want[-1][1] = max(want[-1][1], e)
        else:
            want.append([s, e])
    assert merge(intervals) == [tuple(x) for x in want]
