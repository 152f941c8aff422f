"""The audit pipeline end to end: hand-written cases and the seed compilation."""

from __future__ import annotations

import json

import pytest

from chachong.api import audit

from chachong.stages.load import documents_from_sources
from chachong.config import AuditConfig
from chachong.model import Source

P1 = "为深入推进基层治理现代化，本街道建立了网格化管理机制，将辖区划分为四十个网格，每个网格配备专职网格员，实现了问题发现、上报、处置的闭环管理。"
P2 = "在安全生产方面，开展了为期三个月的专项整治行动，检查企业一百二十家，发现并整改隐患三百余处，全年未发生较大以上安全事故。"
P3 = "下一步，我们将继续完善工作机制，强化督促检查，确保各项任务落到实处，为经济社会高质量发展提供坚强保障和良好环境。"
Q1 = "本局围绕优化营商环境目标，推行一窗受理和集成服务改革，企业开办时间压缩至一个工作日以内，群众满意度明显提升，获得上级通报表扬。"
Q2 = "在法治建设方面，组织执法人员参加业务培训六期，开展行政执法案卷评查，规范执法程序，行政复议纠错率同比下降。"


def make(*docs: tuple[str, list[str]], config: AuditConfig | None = None):
    cfg = config or AuditConfig()
    sources = [Source(f"{i:02d}.txt", title + "\n" + "\n".join(paras) + "\n", "utf-8", "text")
               for i, (title, paras) in enumerate(docs)]
    documents, _, _ = documents_from_sources(sources, cfg)
    return audit(documents, cfg)


def test_identical_documents():
    r = make(("甲街道工作总结", ["一、主要工作", P1, P2, P3]), ("乙局工作总结", [Q1, Q2]),
             ("甲街道工作总结", ["一、主要工作", P1, P2, P3]))
    d = r.to_dict()
    assert [(p["a"], p["b"], p["kind"], p["jaccard"]) for p in d["document_pairs"]] == [("d01", "d03", "identical", 1.0)]
    pairs = {(p["a"], p["b"]) for p in d["paragraph_pairs"]}
    # every paragraph paired with its twin, the short heading too
    assert pairs == {("d01:p001", "d03:p001"), ("d01:p002", "d03:p002"), ("d01:p003", "d03:p003"),
                     ("d01:p004", "d03:p004")}
    docs = {x["id"]: x for x in d["documents"]}
    assert docs["d01"]["copy_ratio"] == 1.0 and docs["d03"]["copy_ratio"] == 1.0
    assert docs["d01"]["top_source"] == {"document": "d03", "ratio": 1.0, "class": "copied"}
    assert docs["d02"]["copy_ratio"] == 0.0 and docs["d02"]["top_source"] is None
    assert d["clusters"][0]["source"] == "d01:p002"


def test_figures_changed_copy_is_identical_after_masking():
    changed = P2.replace("三个月", "3个月")  # Chinese numerals are not digits: stays a near-duplicate
    r = make(("甲", [P1.replace("四十", "40")]), ("乙", [P1.replace("四十", "55"), Q1]), ("丙", [changed]))
    d = r.to_dict()
    kinds = {(p["a"], p["b"]): p["kind"] for p in d["paragraph_pairs"]}
    assert kinds[("d01:p001", "d02:p001")] == "identical"


def test_paragraph_contained_in_longer_paragraph():
    longer = "今年以来，我们认真学习先进经验。" + P1 + "这一做法得到了群众的广泛认可，并在全区推广。"
    r = make(("甲", [P1, P2]), ("乙", [longer, Q2]))
    d = r.to_dict()
    assert len(d["paragraph_pairs"]) == 1
    pair = d["paragraph_pairs"][0]
    assert (pair["a"], pair["b"], pair["kind"]) == ("d01:p001", "d02:p001", "contained")
    assert pair["containment"] == 1.0
    a0, a1, b0, b1 = pair["spans"][0]
    doc2 = r.document("d02")
    assert doc2.text[b0:b1].startswith("为深入推进基层治理现代化") and doc2.text[b0:b1].endswith("闭环管理")


def test_unrelated_documents_and_short_headings_do_not_pair():
    r = make(("甲", ["一、主要工作", P1, P2]), ("乙", ["一、主要工作", Q1, Q2]))
    d = r.to_dict()
    assert d["paragraph_pairs"] == [] and d["document_pairs"] == []


def test_same_input_same_json():
    docs = [("甲", [P1, P2, P3]), ("乙", [P1, Q1]), ("丙", [P3.replace("坚强", "有力"), Q2])]
    assert make(*docs).to_json() == make(*docs).to_json()


# ---- the seed compilation (../shared/corpus, skipped when absent) ----

def test_seed_documents_follow_the_toc(seed_path, seed_result):
    lines = seed_path.read_text(encoding="utf-8").split("\n")
    toc = [line.split("\t")[0].strip() for line in lines[:40] if "\t" in line]
    toc = [t for t in toc if t not in ("目录",) and "汇编" not in t]
    assert len(toc) == 16
    assert [d.title for d in seed_result.document_records] == toc
    assert all("目录" not in d.text[:50] for d in seed_result.document_records)


def test_seed_identical_pair(seed_result):
    d = seed_result.to_dict()
    ident = [p for p in d["document_pairs"] if p["kind"] == "identical"]
    assert len(ident) == 1
    pair = ident[0]
    titles = {x["id"]: x["title"] for x in d["documents"]}
    assert titles[pair["a"]] == titles[pair["b"]] == "市2023年基层政务公开标准化规范化工作总结"
    assert pair["jaccard"] == 1.0
    a = seed_result.document(pair["a"])
    b = seed_result.document(pair["b"])
    twins = {(p["a"], p["b"]) for p in d["paragraph_pairs"]}
    for pa, pb in zip(a.paragraphs, b.paragraphs):
        assert (pa.id, pb.id) in twins
    assert len(a.paragraphs) == len(b.paragraphs)


def test_seed_no_other_pair_is_close(seed_result):
    d = seed_result.to_dict()
    for p in d["document_pairs"]:
        if p["kind"] != "identical":
            assert p["jaccard"] < 0.3
    # no document pair rests only on short paragraphs: it rests on a paragraph pair of real
    # paragraphs, or on copied passages of at least min_span exactly matched characters
    lengths = {p.id: len(p.text) for doc in seed_result.document_records for p in doc.paragraphs}
    for dp in d["document_pairs"]:
        used = [pp for pp in d["paragraph_pairs"] if pp["a"].startswith(dp["a"] + ":") and pp["b"].startswith(dp["b"] + ":")]
        passages = [s for s in d["passages"] if (s["a"], s["b"]) == (dp["a"], dp["b"])]
        assert any(lengths[pp["a"]] >= 20 for pp in used) or (
            passages and all(s["matched"] >= 13 for s in passages))


def test_seed_report_is_deterministic(seed_path, seed_result):
    assert audit([seed_path]).to_json() == seed_result.to_json()
    data = json.loads(seed_result.to_json())
    assert data["schema"] == "chachong.audit/1"
    assert set(AuditConfig().to_dict()) <= set(data["settings"])


@pytest.mark.slow
def test_gwr_independent_reports_not_flagged(gwr_path):
    r = audit([gwr_path])
    d = r.to_dict()
    dup_docs = {x for p in d["document_pairs"] if p["kind"] in ("identical", "near-duplicate") for x in (p["a"], p["b"])}
    involved = {x for p in d["paragraph_pairs"] for x in (p["a"], p["b"])}
    outside = {x for x in involved if x.split(":")[0] not in dup_docs}
    assert len(outside) / d["corpus"]["paragraphs"] < 0.005
    # the three copies of the national report form the one identical group
    ident = [(p["a"], p["b"]) for p in d["document_pairs"] if p["kind"] == "identical"]
    assert len(ident) == 3
    # the ritual opening sentence is a stock paragraph, not copying
    assert any(sp["independent_documents"] > 100 for sp in d["stock_paragraphs"])
