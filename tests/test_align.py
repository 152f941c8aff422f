"""The passage aligner (align.py) and the fingerprint index (passages.py), on hand-written texts."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chachong.stages.align import MAX_GAP, align, blocks, extend
from chachong.stages.describe import place_names, place_substitution
from chachong.stages.fingerprints import winnow

# canonical texts (no punctuation; # is a masked figure)
S1 = "为深入推进基层治理现代化本街道建立了网格化管理机制将辖区划分为四十个网格每个网格配备专职网格员"
S2 = "在安全生产方面开展了为期三个月的专项整治行动检查企业一百二十家发现并整改隐患三百余处"
OWN = "今年以来我们认真学习先进经验这一做法得到了群众的广泛认可"
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=0, max_size=40)


def spans(a: str, b: str, min_span: int = 13) -> list[tuple[int, int, int, int]]:
    return [m.span for m in align(a, b, min_span)]


def test_copied_sentence_inside_longer_text():
    b = OWN[:14] + S1 + OWN[14:]
    (m,) = align(S1, b)
    assert m.span == (0, len(S1), 14, 14 + len(S1)) and m.edits == () and m.matched == len(S1)


def test_substitution_insertion_deletion_are_one_passage_with_edits_marked():
    b = S1[:10] + "某" + S1[11:20] + "新增" + S1[20:30] + S1[31:]
    (m,) = align(S1, b)
    assert m.span == (0, len(S1), 0, len(b))
    assert m.edits == ((10, 11, 10, 11), (20, 20, 20, 22), (30, 31, 32, 32))
    assert m.matched == len(S1) - 2


def test_ten_percent_edits_stay_one_passage():
    text = (S1 + S2)[:83]
    b = "".join("改" if i % 10 == 5 else ch for i, ch in enumerate(text))
    (m,) = align(text, b)
    assert m.span == (0, 83, 0, 83)
    assert m.edits == tuple((i, i + 1, i, i + 1) for i in range(5, 83, 10))


def test_inserted_clause_longer_than_a_gap_splits_the_passage():
    b = S1 + OWN + S2
    assert spans(S1 + S2, b) == [(0, len(S1), 0, len(S1)), (len(S1), len(S1 + S2), len(S1 + OWN), len(b))]


def test_shorter_than_min_span_is_not_a_passage():
    assert spans("高度重视扎实推进各项工作", "我们高度重视扎实推进各项工作落实") == []  # 12 shared characters
    assert spans("高度重视扎实推进各项工作开展", "我们高度重视扎实推进各项工作开展") == [(0, 14, 2, 16)]


def test_masked_figures_are_no_evidence():
    # 12 characters and masked figures between them: a figure matches any figure, it does not count
    a = b = "#年#月#日召开全区工作会议部"
    assert spans(a, b) == []
    assert spans(a + "署", b + "署") == [(0, 16, 0, 16)]


def test_repeated_phrase_in_copied_text_gives_no_extra_passage():
    text = S1 + "基层治理现代化网格员队伍" + S2 + "基层治理现代化网格员队伍"
    assert spans(text, text) == [(0, len(text), 0, len(text))]


def test_map_between_the_two_sides():
    b = "天地" + S1[:10] + "新" + S1[10:]
    (m,) = align(S1, b)
    assert m.to_b(np.array([0, 5, 9, 11, len(S1)])).tolist() == [2, 7, 11, 14, len(S1) + 3]
    assert m.to_a(np.array([2, 13, len(b)])).tolist() == [0, 10, len(S1)]
    part = m.clip(12, 30)
    assert part is not None and part.span == (12, 30, 15, 33) and part.edits == ()


def test_extend_to_paragraph_edges_over_a_changed_first_word():
    a, b = "阳光" + S1, "星河" + S1
    (m,) = align(a, b)
    assert m.span == (2, len(a), 2, len(b))
    assert extend(a, b, m, 0, 0, len(a), len(b), 4).span == (0, len(a), 0, len(b))
    # a longer unrelated start is not carried over
    c, d = "我局党组书记带队" + S1, "街道办事处全体干部" + S1
    (m,) = align(c, d)
    assert extend(c, d, m, 0, 0, len(c), len(d), 4) is m


def test_blocks_are_runs_of_shared_kgrams():
    assert blocks("甲乙丙丁戊己庚", "乙丙丁戊己子", 3) == [[1, 6, 0, 5]]
    assert blocks("甲乙丙丁", "子丑寅卯", 3) == []


def test_place_substitutions():
    assert place_substitution("在张庄镇开展", 1, 3, "在李集镇开展", 1, 3)  # administrative suffix
    assert place_substitution("位于江西省", 2, 3, "位于广西省", 2, 3)  # widened over the shared 西
    assert not place_substitution("开展检查工作", 2, 4, "开展调研工作", 2, 4)


def _reference_place_substitution(ta, a0, a1, tb, b0, b1):
    """The rule as first written: every widening by up to two shared characters, each side a place."""
    import re

    def is_place(s):
        return bool(re.fullmatch("[\u4e00-\u9fff]{2,8}", s)) and (
            s in place_names() or (len(s) >= 3 and s.endswith(("自治区", "自治州", "自治县", "街道", "社区", "省", "市",
                                                              "区", "县", "镇", "乡", "村", "州", "盟", "旗"))))

    if a1 <= a0 or b1 <= b0 or a1 - a0 > 8 or b1 - b0 > 8:
        return False
    if not re.fullmatch("[\u4e00-\u9fff]+", ta[a0:a1]) or not re.fullmatch("[\u4e00-\u9fff]+", tb[b0:b1]):
        return False
    return any(is_place(ta[a0 - left:a1 + right]) and is_place(tb[b0 - left:b1 + right])
               for left in range(3) if a0 - left >= 0 and b0 - left >= 0 and ta[a0 - left:a0] == tb[b0 - left:b0]
               for right in range(3) if a1 + right <= len(ta) and ta[a1:a1 + right] == tb[b1:b1 + right])


# place names and their pieces, administrative suffixes, other CJK, digits and punctuation
_PLACE_TEXT = st.lists(st.sampled_from(["江西", "广西", "北京", "张庄", "李集", "阳光", "星河", "镇", "区", "省", "街道",
                                        "自治县", "开展", "检查", "在", "西", "1", "，", "a"]), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(_PLACE_TEXT, _PLACE_TEXT, _PLACE_TEXT, _PLACE_TEXT, _PLACE_TEXT, st.data())
def test_place_substitution_is_the_rule_as_first_written(left, core_a, core_b, right, tail, data):
    ta, tb = left + core_a + right + tail, data.draw(st.sampled_from([left, left[1:], "在" + left])) + core_b + right
    b0 = len(tb) - len(core_b) - len(right)
    a0 = len(left)
    a1 = a0 + data.draw(st.integers(0, len(core_a) + 1))
    b1 = b0 + data.draw(st.integers(0, len(core_b) + 1))
    assert place_substitution(ta, a0, a1, tb, b0, b1) == _reference_place_substitution(ta, a0, a1, tb, b0, b1)


def test_winnow_matches_brute_force_minima():
    rng = np.random.default_rng(7)
    for _ in range(100):
        n, w = int(rng.integers(1, 50)), int(rng.integers(1, 8))
        v = rng.integers(0, 15, n).astype(np.uint64)
        valid = rng.random(n) > 0.2
        big = np.where(valid, v, np.iinfo(np.uint64).max)
        ww = min(w, n)
        expected = sorted({s + int(np.argmin(big[s:s + ww])) for s in range(n - ww + 1)})
        assert winnow(v, valid, w).tolist() == [p for p in expected if valid[p]]


@settings(max_examples=60, deadline=None)
@given(CJK, CJK, CJK, CJK, st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
                                    min_size=13, max_size=80))
def test_planted_copy_is_found_exactly(pre_a, post_a, pre_b, post_b, copy):
    # a k-gram repeated so often that it would seed count_a * count_b > MAX_SEED_PAIRS places seeds
    # nothing (一一一一一…): such text is left out here
    grams = [copy[i:i + 5] for i in range(len(copy) - 4)]
    assume(all(grams.count(g) <= 3 for g in grams))
    # the characters next to the copy differ, so the copy's extent is known exactly
    a = pre_a + "甲" + copy + "乙" + post_a
    b = pre_b + "丙" + copy + "丁" + post_b
    found = align(a, b)
    start_a, start_b = len(pre_a) + 1, len(pre_b) + 1
    assert any(m.a_start <= start_a and start_a + len(copy) <= m.a_end
               and m.b_start <= start_b and start_b + len(copy) <= m.b_end for m in found)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="甲乙丙丁戊己#", max_size=60), st.text(alphabet="甲乙丙丁戊己#", max_size=60))
def test_every_passage_is_consistent(a, b):
    """Blocks are equal text in order, edits sit between them, and each passage has the evidence."""
    for m in align(a, b, 13):
        ends_a, ends_b = m.a_start, m.b_start
        for x, y, n in m.blocks:
            assert a[x:x + n] == b[y:y + n] and x >= ends_a and y >= ends_b
            ends_a, ends_b = x + n, y + n
        assert (ends_a, ends_b) == (m.a_end, m.b_end)
        assert m.matched == sum(n for _, _, n in m.blocks)
        assert m.matched - sum(a[x:x + n].count("#") for x, _, n in m.blocks) >= 13
        for e0, e1, f0, f1 in m.edits:
            assert m.a_start <= e0 <= e1 <= m.a_end and m.b_start <= f0 <= f1 <= m.b_end
            assert e1 - e0 <= 2 * MAX_GAP and f1 - f0 <= 2 * MAX_GAP
