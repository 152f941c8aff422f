"""Paragraphs held as spans of their document's text (model.Paragraphs): the records they make,
equality with hand-built paragraphs, pickling, renumbering and the bulk accessors."""

import pickle
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.ingest.renumber import renumber
from chachong.model import Document, Paragraph, Paragraphs, paragraph_id
from chachong.stages.segment import Piece, build_documents

TEXT = "一、总体情况\n\n  今年以来，我市经济运行稳中有进。\n二、主要工作\n抓好项目建设。"


def _doc(text: str = TEXT) -> Document:
    return build_documents([(Piece("标题", text, 3, "a.txt"), "text")])[0]


def test_built_documents_hold_spans_and_make_the_records():
    d = _doc()
    assert isinstance(d.paragraphs, Paragraphs)
    assert [p.text for p in d.paragraphs] == ["一、总体情况", "今年以来，我市经济运行稳中有进。", "二、主要工作", "抓好项目建设。"]
    assert d.paragraphs[1] == Paragraph("d01:p002", "d01", 1, 10, 26, 5, "今年以来，我市经济运行稳中有进。")
    assert d.paragraphs[-1] == d.paragraphs[3] and d.paragraphs[1:3] == (d.paragraphs[1], d.paragraphs[2])
    assert d.paragraphs.ids() == [p.id for p in d.paragraphs]
    assert d.paragraphs.texts() == [d.text[p.start:p.end] for p in d.paragraphs]
    assert d.paragraphs.spans().tolist() == [[p.start, p.end, p.line] for p in d.paragraphs]
    assert d.paragraphs.text is d.text  # one copy of the text
    for bad in (4, -5):
        try:
            d.paragraphs[bad]
        except IndexError:
            pass
        else:
            raise AssertionError(f"paragraph {bad} of 4 was given")


def test_equal_to_the_same_paragraphs_given_as_a_tuple():
    d = _doc()
    by_hand = Document(d.id, d.title, d.source, d.text, d.line, tuple(d.paragraphs))
    assert by_hand == d and hash(by_hand) == hash(d)
    assert d.paragraphs == tuple(d.paragraphs) and tuple(d.paragraphs) == d.paragraphs
    assert by_hand.paragraphs.spans().tolist() == d.paragraphs.spans().tolist()


def test_hand_built_paragraphs_that_do_not_follow_from_their_spans_are_kept():
    text = "甲乙\n丙丁"
    odd = (Paragraph("x:p1", "x", 0, 0, 2, 1, "甲乙"), Paragraph("x:p2", "x", 1, 3, 5, 2, "另一段"))
    d = Document("x", "t", "s", text, 1, odd)
    assert tuple(d.paragraphs) == odd and d.paragraphs[1].text == "另一段"
    assert d.paragraphs.ids() == ["x:p1", "x:p2"] and d.paragraphs.texts() == ["甲乙", "另一段"]
    assert d.paragraphs.spans().tolist() == [[0, 2, 1], [3, 5, 2]]
    assert Document("x", "t", "s", text, 1).paragraphs == ()


def test_pickled_documents_share_their_text_and_stay_equal():
    docs = [_doc(), _doc(TEXT + "\n第三段。")]
    back = pickle.loads(pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == docs
    assert all(b.paragraphs.text is b.text for b in back)
    hand = Document("x", "t", "s", "甲乙", 1, (Paragraph("x:p1", "x", 0, 0, 2, 1, "甲乙"),))
    assert pickle.loads(pickle.dumps(hand)) == hand


def test_renumbered_documents_name_their_paragraphs_anew():
    d = _doc()
    hand = Document("x", "t", "s", "甲乙", 1, (Paragraph("x:p1", "x", 0, 0, 2, 1, "甲乙"),))
    a, b = renumber([d, hand], 4, 1200)
    assert a.paragraphs.ids() == ["d0005:p001", "d0005:p002", "d0005:p003", "d0005:p004"]
    assert [(p.document, p.start, p.text) for p in a.paragraphs] == [("d0005", p.start, p.text) for p in d.paragraphs]
    assert list(b.paragraphs) == [Paragraph("d0006:p001", "d0006", 0, 0, 2, 1, "甲乙")]


lines = st.lists(st.text(alphabet="甲乙丙丁。， \t", max_size=12), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(lines, min_size=1, max_size=4), st.integers(1, 50))
def test_every_paragraph_is_its_span_of_the_text(docs, first_line):
    texts = ["\n".join(ls) for ls in docs]
    built = build_documents([(Piece("t", t, first_line, "a.txt"), "text") for t in texts])
    for d, text in zip(built, texts):
        ps = list(d.paragraphs)
        assert len(ps) == len(d.paragraphs) == len(d.paragraphs.ids())
        for k, p in enumerate(ps):
            assert p == d.paragraphs[k] == d.paragraphs[k - len(ps)]
            assert p.id == paragraph_id(d.id, k, len(ps)) and p.document == d.id and p.index == k
            assert p.text == text[p.start:p.end] == p.text.strip() != ""
            assert p.line == first_line + text.count("\n", 0, p.start)


def test_ids_are_zero_padded_to_the_paragraph_count_and_any_document_id_is_kept():
    assert [paragraph_id("d07", n, c) for n, c in ((0, 9), (41, 999), (41, 1000))] == \
        ["d07:p001", "d07:p042", "d07:p0042"]
    odd = Document("a%d", "t", "s", "甲\n乙", 1, (Paragraph("a%d:p001", "a%d", 0, 0, 1, 1, "甲"),
                                                   Paragraph("a%d:p002", "a%d", 1, 2, 3, 2, "乙")))
    assert odd.paragraphs.ids() == ["a%d:p001", "a%d:p002"] and odd.paragraphs[1].id == "a%d:p002"


def test_outline_keeps_ids_offsets_and_lines_without_texts():
    text = "第一段文字。\n\n第二段，另一行。\n第三段"
    plain = Paragraphs("d07", text, array("q", [0, 6, 1, 8, 16, 3, 17, 20, 4]))
    odd = Paragraphs.of("d07", text, [Paragraph("x1", "d07", 0, 0, 6, 1, "改过的文字")])  # kept as given
    for ps in (plain, odd):
        out = ps.outline()
        assert out.text == "" and [p.text for p in out] == [""] * len(ps)
        assert [(p.id, p.document, p.index, p.start, p.end, p.line) for p in out] == \
            [(p.id, p.document, p.index, p.start, p.end, p.line) for p in ps]


@given(st.integers(1, 1200), st.sampled_from(["d01", "r02", "a:b", "x%y"]), st.data())
@settings(max_examples=60, deadline=None)
def test_ids_positions_and_ends_without_the_records(n, did, data):
    spans = array("q", [x for k in range(n) for x in (2 * k, 2 * k + 1, k + 1)])
    held = Paragraphs(did, "甲\n" * n, spans)
    odd = tuple(Paragraph(f"{did}:q{k}" if k % 3 == 0 else paragraph_id(did, k, n), did, k, 2 * k, 2 * k + 1, k + 1,
                          "另" if k % 3 == 0 else "甲") for k in range(n))
    kept = Paragraphs.of(did, "甲\n" * n, odd)  # ids of another form: held as records
    for ps in (held, kept):
        k = data.draw(st.integers(-n, n - 1))
        assert ps.id_at(k) == ps[k].id and ps.end(k) == ps[k].end
        assert ps.index_of(ps[k].id) == k % n
    for pid in (f"{did}:p{n + 1:03d}", f"{did}:p0", f"{did}:p{n}", "zz:p001", f"{did}:p{1:03d}x", f"{did}:p²",
                f"{did}:p-1", f"{did}:p"):
        want = next((k for k, p in enumerate(held) if p.id == pid), None)
        assert held.index_of(pid) == want
    for bad in (n, -n - 1):
        for call in (held.id_at, held.end, kept.id_at, kept.end):
            try:
                call(bad)
            except IndexError:
                pass
            else:
                raise AssertionError(f"paragraph {bad} of {n} was given")
