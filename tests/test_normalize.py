from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.text.normalize import MASK, canonicalize


def test_full_width_and_case_fold():
    assert canonicalize("ＡＢＣ文本").text == "abc文本"


def test_punctuation_and_whitespace_removed():
    assert canonicalize("一、 工作，开展\n情况。").text == "一工作开展情况"


def test_digit_runs_masked_to_one_symbol():
    assert canonicalize("完成15次，投入3.5万元").text == f"完成{MASK}次投入{MASK}万元"
    assert canonicalize("完成15次", mask_digits=False).text == "完成15次"


def test_placeholders_masked_but_not_latin_words():
    assert canonicalize("XX区完成x次").text == f"{MASK}区完成{MASK}次"
    assert canonicalize("某某同志").text == f"{MASK}同志"
    assert canonicalize("○○乡").text == f"{MASK}乡"
    # x inside a Latin word is not a placeholder; one 某 is an ordinary word
    assert canonicalize("xbox某些").text == "xbox某些"
    assert canonicalize("XX区", mask_placeholders=False).text == "xx区"


def test_changed_figures_match():
    a = canonicalize("2023年共完成检查15次，整改问题8个。")
    b = canonicalize("2024年共完成检查230次，整改问题12个。")
    assert a.text == b.text


def test_position_map_points_at_original():
    text = "二〇二三年，ＸＸ区完成１５次检查。"
    c = canonicalize(text)
    for i, ch in enumerate(c.text):
        orig = text[c.starts[i]:c.ends[i]]
        if ch != MASK:
            assert len(orig) == 1
    assert text[c.starts[-1]:c.ends[-1]] == "查"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_offsets_always_inside_original(text):
    c = canonicalize(text)
    assert len(c.starts) == len(c.ends) == len(c.text)
    prev_end = 0
    for s, e in zip(c.starts, c.ends):
        assert 0 <= s < e <= len(text)
        assert s >= prev_end  # increasing, non-overlapping
        prev_end = e
