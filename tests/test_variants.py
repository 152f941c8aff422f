"""Matching that mechanical 降重 tricks cannot fool (issue 20): Traditional/variant characters,
invisible characters, full-width and look-alike characters, sprinkled spaces and punctuation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import opencc
import pytest
from click.testing import CliRunner

from chachong.api import audit, load_corpus
from chachong.cli import main
from chachong.config import AuditConfig, ConfigError
from chachong.index.index import Index, IndexStoreError
from chachong.stages.phrases import mine_phrases
from chachong.stages.segment import Piece, build_documents
from chachong.text.lookalike import default_ignorable, lookalike
from chachong.text.normalize import canonicalize
from chachong.text.variants import fold_han, fold_map, is_han

# text we wrote, in the style of a work report
PARAS = [
    "今年以来，我们坚持以人民为中心的发展思想，着力推进经济结构调整，全年地区生产总值增长百分之六点五，"
    "城乡居民收入稳步提高，发展质量和效益明显提升。",
    "深入实施乡村振兴战略，新建高标准农田十二万亩，粮食总产量保持稳定，农村人居环境整治三年行动圆满完成，"
    "美丽乡村建设取得新进展。",
    "持续优化营商环境，全面推行一网通办，企业开办时间压缩至一个工作日以内，新增市场主体二点三万户，"
    "民营经济发展活力不断增强。",
    "扎实做好民生保障工作，城镇新增就业三点一万人，养老、医疗、教育等公共服务水平不断提升，"
    "群众获得感、幸福感、安全感持续增强。",
]
TEXT = "\n".join(PARAS)


def _pair_ratio(original: str, copy: str, **settings) -> float:
    docs = build_documents([(Piece("原文", original, 1, "a.txt"), "text"), (Piece("副本", copy, 1, "b.txt"), "text")])
    return audit(docs, **settings).stats[docs[1].id].copy_ratio


# ----------------------------------------------------------------------------- the Han table


def test_traditional_and_variant_forms_fold_to_simplified():
    assert fold_han("爲為裏裡臺灣後來綫衞說") == "为为里里台湾後来线卫说"
    # one character for one, whatever the text
    for name in ("s2t", "s2tw", "s2hk"):
        t = opencc.OpenCC(name).convert(TEXT)
        assert len(fold_han(t)) == len(t)


def test_gb2312_characters_never_fold():
    """Simplified text (GB 2312) keeps its canonical form exactly: 著 (显著), 么 (什么), 後, 於, 乾."""
    gb = {bytes([a, b]).decode("gb2312") for a in range(0xB0, 0xF8) for b in range(0xA1, 0xFF)
          if bytes([a, b]) != b"\xd7\xfa" and _decodes(bytes([a, b]))}
    assert len(gb) > 6700
    assert fold_map(gb) == {}
    assert fold_han("显著什么以後於是乾隆") == "显著什么以後於是乾隆"


def _decodes(b: bytes) -> bool:
    try:
        b.decode("gb2312")
        return True
    except UnicodeDecodeError:
        return False


def test_table_is_opencc_t2s_character_by_character():
    """Every Han character outside GB 2312 that OpenCC's t2s changes on its own (its TSCharacters
    default) and no Taiwan/Hong Kong variant table touches folds to what t2s makes of it."""
    han = [chr(c) for c in range(0x4E00, 0xA000)]
    conv = {n: opencc.OpenCC(n).convert("\n".join(han)).split("\n") for n in ("t2s", "tw2t", "hk2t")}
    folded = fold_map(han)
    checked = 0
    for i, c in enumerate(han):
        if c.encode("gb2312", "ignore") or conv["tw2t"][i] != c or conv["hk2t"][i] != c:
            continue
        assert folded.get(c, c) == conv["t2s"][i], c
        checked += conv["t2s"][i] != c
    assert checked > 2500


@pytest.mark.skipif(not shutil.which("opencc_dict") and not (Path(opencc.__file__).parent / "clib" / "bin"
                                                              / "opencc_dict").exists(),
                    reason="the opencc package has no opencc_dict tool on this platform")
def test_table_agrees_with_opencc_dictionary_file(tmp_path):
    """The single-character entries of TSCharacters (TSCharactersExt first, as t2s chains them),
    dumped by the package's own tool: the first candidate of every key outside GB 2312 is its
    folded form (variant tables aside)."""
    tool = shutil.which("opencc_dict") or str(Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict")
    share = Path(opencc.__file__).parent / "clib" / "share" / "opencc"
    entries = {}
    for name in ("TSCharacters", "TSCharactersExt", "TWVariantsRev", "HKVariantsRev"):
        out = tmp_path / f"{name}.txt"
        subprocess.run([tool, "-i", str(share / f"{name}.ocd2"), "-o", str(out), "-f", "ocd2", "-t", "text"],
                       check=True, capture_output=True)
        entries[name] = dict(line.rstrip("\n").split("\t", 1) for line in out.read_text(encoding="utf-8").splitlines())
    variant = set(entries["TWVariantsRev"]) | set(entries["HKVariantsRev"])
    keys = [k for k in entries["TSCharacters"] if len(k) == 1 and k not in variant and not k.encode("gb2312", "ignore")]
    folded = fold_map(keys)
    assert len(keys) > 2500
    first = {k: v.split(" ")[0] for k, v in {**entries["TSCharacters"], **entries["TSCharactersExt"]}.items()}
    assert [k for k in keys if folded.get(k, k) != first[k]] == []


def test_default_ignorable_code_points_are_unicodes():
    import regex

    di = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    assert [cp for cp in range(0x110000) if bool(di.match(chr(cp))) != default_ignorable(cp)] == []


def test_is_han_covers_the_extension_blocks():
    assert is_han(ord("爲")) and is_han(0x3400) and is_han(0x2A6DF) and not is_han(ord("a"))


# ------------------------------------------------------------------------ canonical text


@pytest.mark.parametrize("mark", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f", "\U000e0101",
                                  "\u3164", "\u034f"])
def test_invisible_characters_between_characters(mark):
    assert canonicalize(mark.join("坚持以人民为中心")).text == "坚持以人民为中心"


def test_full_width_latin_and_digits():
    assert canonicalize("ＧＤＰ增长６．５％，ＰＭ２．５").text == canonicalize("GDP增长6.5%，PM2.5").text


def test_look_alike_punctuation_and_sprinkled_spaces():
    plain = canonicalize("坚持以人民为中心，推进高质量发展。").text
    for copy in ("坚持以人民为中心ꓹ推进高质量发展ꓸ", "坚 持 以 人 民 为 中 心 ， 推 进 高 质 量 发 展 。",
                 "坚·持·以人民为中心﹐推进高质量发展．", "坚持以人民为中心ǃ推进ː高质量发展", "坚\u3000持\t以人民为中心，推进高质量发展"):
        assert canonicalize(copy).text == plain, copy


def test_latin_and_cyrillic_look_alikes_in_figures_and_codes():
    plain = canonicalize("2023年通过ISO9001认证，编号GB50016").text
    assert canonicalize("2О23年通过ІЅО9001认证，编号GB5ОО16").text == plain  # Cyrillic О, І, Ѕ
    assert canonicalize("2O23年通过ISO9001认证，编号GB5OO16").text == plain  # Latin O for 0
    assert canonicalize("2023年通过ISO9OO1认证，编号GB5OO16", mask_digits=False).text == \
        canonicalize("2023年通过ISO9001认证，编号GB50016", mask_digits=False).text
    assert canonicalize("第1l5条", mask_digits=False).text == "第115条"
    assert lookalike("а") == "a" and lookalike("Т") == "t" and lookalike("З") == "3" and lookalike("ꓸ") == ""


def test_without_folding_the_canonical_form_is_the_old_one():
    assert canonicalize("爲人民服務", fold_variants=False).text == "爲人民服務"
    assert canonicalize("2О23年", fold_variants=False).text == "#о#年"
    assert canonicalize("提\ufe0f高", fold_variants=False).text == "提\ufe0f高"
    # the zero-width characters were always dropped
    assert canonicalize("提\u200b高", fold_variants=False).text == "提高"


def test_position_map_shows_the_original_characters():
    t = "爲人民服務，裏外一致"
    c = canonicalize(t)
    assert c.text == "为人民服务里外一致"
    assert "".join(t[s:e] for s, e in zip(c.starts, c.ends)) == "爲人民服務裏外一致"


# ---------------------------------------------------------------------------- audits


@pytest.mark.parametrize("name", ["s2t", "s2tw", "s2hk"])
def test_traditional_copy_is_found_copied(name):
    copy = opencc.OpenCC(name).convert(TEXT)
    assert _pair_ratio(TEXT, copy) >= 0.95
    assert _pair_ratio(TEXT, copy, fold_variants=False) < 0.5


def test_half_converted_and_invisible_copies_are_found_copied():
    conv = opencc.OpenCC("s2t")
    half = "\n".join(conv.convert(p) if i % 2 else p for i, p in enumerate(PARAS))
    assert _pair_ratio(TEXT, half) >= 0.95
    zw = "\n".join("\u200b".join(p) for p in PARAS)
    assert _pair_ratio(TEXT, zw) >= 0.95
    vs = "\n".join("\ufe0f".join(p) for p in PARAS)
    assert _pair_ratio(TEXT, vs) >= 0.95 and _pair_ratio(TEXT, vs, fold_variants=False) < 0.5


def test_report_shows_the_original_traditional_characters():
    copy = opencc.OpenCC("s2tw").convert(TEXT)
    docs = build_documents([(Piece("原文", TEXT, 1, "a.txt"), "text"), (Piece("副本", copy, 1, "b.txt"), "text")])
    r = audit(docs)
    texts = [copy[s:e] for s, e in r.stats[docs[1].id].copied[docs[0].id]]
    assert any("發展" in t for t in texts) and not any("发展" in t for t in texts)


def test_setting_is_in_the_signature_key_and_rethreshold_refuses_it():
    assert AuditConfig().signature_key()["fold_variants"] is True
    docs = build_documents([(Piece("原文", TEXT, 1, "a.txt"), "text"),
                            (Piece("副本", opencc.OpenCC("s2t").convert(TEXT), 1, "b.txt"), "text")])
    r = audit(docs)
    with pytest.raises(ConfigError, match="fold_variants"):
        r.rethreshold(fold_variants=False)


def test_cli_option(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(opencc.OpenCC("s2tw").convert(TEXT), encoding="big5")
    for flag, copied in (("--fold-variants", True), ("--no-fold-variants", False)):
        out = tmp_path / flag
        r = CliRunner().invoke(main, ["audit", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "-o", str(out), flag])
        assert r.exit_code == 0, r.output
        rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
        assert rep["settings"]["fold_variants"] is copied
        assert (rep["documents"][1]["copy_ratio"] >= 0.95) is copied


# ----------------------------------------------------------------------------- the index


def _old_index(uri: Path, docs: list[str]) -> None:
    """An index as chachong made it before fold_variants existed: no record of the setting."""
    import sqlite3

    Index.build(uri, docs, AuditConfig(fold_variants=False))
    with sqlite3.connect(uri) as db:
        (row,) = db.execute("SELECT value FROM meta WHERE name = 'index'").fetchall()
        meta = json.loads(row[0])
        del meta["layout"]["fold_variants"], meta["config"]["fold_variants"]
        db.execute("UPDATE meta SET value = ? WHERE name = 'index'", (json.dumps(meta, sort_keys=True),))


def test_index_records_the_setting_and_refuses_the_other(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text(TEXT, encoding="utf-8")
    uri = tmp_path / "i.db"
    Index.build(uri, [str(a)])
    with Index.open(uri) as idx:
        assert idx.meta["layout"]["fold_variants"] is True and idx.config.fold_variants is True
    with pytest.raises(IndexStoreError, match=r"fold_variants=True \(--fold-variants/--no-fold-variants\), this run False"):
        Index.open(uri, settings={"fold_variants": False})


def test_index_without_the_setting_was_built_without_folding(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text(TEXT, encoding="utf-8")
    uri = tmp_path / "old.db"
    try:
        _old_index(uri, [str(a)])
    except Exception as exc:  # the store's layout is not what this test knows
        pytest.fail(f"cannot make an old-style index: {exc}")
    with Index.open(uri) as idx:  # its own settings: folding off, as it was built
        assert idx.config.fold_variants is False
    with pytest.raises(IndexStoreError, match=r"fold_variants=False .*this run True.*rebuild it"):
        Index.open(uri, AuditConfig())
    # chachong check uses the index's own settings: the copy is found as before the setting existed
    b = tmp_path / "b.txt"
    b.write_text(TEXT, encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(b), "--index", str(uri), "--format", "json"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["check", str(b), "--index", str(uri), "--fold-variants"])
    assert r.exit_code == 2 and "--no-fold-variants" in r.output and r.output.count("\n") == 1


# --------------------------------------------------------------- compilations and phrases


def _traditional_compilation() -> str:
    conv = opencc.OpenCC("s2tw")  # Taiwan forms: Big5 has 為, not OpenCC's standard 爲
    titles = ("甲单位2023年工作总结", "乙单位2023年工作报告", "丙单位2023年工作计划")
    body = "\n\n".join(f"{t}\n" + "\n".join(PARAS[i:] + PARAS[:i]) for i, t in enumerate(titles))
    return conv.convert("2023年度工作总结汇编\n\n目录\n甲单位2023年工作总结\t1\n乙单位2023年工作报告\t3\n"
                        "丙单位2023年工作计划\t5\n\n" + body + "\n")


@pytest.mark.parametrize("codec", ["big5", "utf-8"])
def test_traditional_compilation_splits_by_its_table_of_contents(tmp_path, codec):
    text = _traditional_compilation()
    assert "目錄" in text and "工作總結" in text
    path = tmp_path / "彙編.txt"
    path.write_bytes(text.encode(codec))
    corpus = load_corpus([path], AuditConfig(split="toc"))
    assert [d.title for d in corpus.documents] == ["甲單位2023年工作總結", "乙單位2023年工作報告", "丙單位2023年工作計劃"]


def test_traditional_compilation_without_toc_splits_by_headings(tmp_path):
    text = _traditional_compilation()
    text = text[text.index("甲單位2023年工作總結\n") :]
    path = tmp_path / "彙編.txt"
    path.write_bytes(text.encode("big5"))
    corpus = load_corpus([path])
    assert len(corpus.documents) == 3


def test_stock_phrases_of_traditional_and_simplified_documents_count_together():
    conv = opencc.OpenCC("s2t")
    lead = ["今年我们", "全年坚持", "我局深入", "镇里认真", "本年度", "我们始终"]
    tail = ["工作", "整改", "创建", "治理", "服务", "管理"]
    texts = [f"{w}学习贯彻党的二十大精神，{t}取得了一定成效。" for w, t in zip(lead, tail)]
    texts = [conv.convert(t) if i % 2 else t for i, t in enumerate(texts)]  # three of six in Traditional
    cfg = AuditConfig(phrase_min_documents=6)
    found = {p.key: p.documents for p in mine_phrases(texts, config=cfg)}
    assert found.get("学习贯彻党的二十大精神") == 6
    unfolded = {p.key for p in mine_phrases(texts, config=cfg.replace(fold_variants=False))}
    assert "学习贯彻党的二十大精神" not in unfolded and "取得了一定成效" in unfolded  # the same in both scripts


def test_folded_array_matches_folding_each_character():
    t = "爲人民服務Оо年\ufe0f" + "".join(chr(c) for c in range(0x6F00, 0x7000))
    c = canonicalize(t, mask_digits=False, mask_placeholders=False)
    alone = "".join(canonicalize(ch, mask_digits=False, mask_placeholders=False).text for ch in t)
    assert len(c.text) == len(alone) and np.all(np.asarray(c.ends) - np.asarray(c.starts) == 1)


def test_missing_opencc_is_a_one_line_error(tmp_path, monkeypatch):
    import sys

    from chachong.text import variants

    monkeypatch.setitem(sys.modules, "opencc", None)  # import opencc fails
    variants._converter.cache_clear()
    try:
        path = tmp_path / "a.txt"
        path.write_text("从未见过的字：" + "".join(chr(c) for c in range(0x30100, 0x30140)), encoding="utf-8")
        r = CliRunner().invoke(main, ["audit", str(path), "-o", str(tmp_path / "out")])
        assert r.exit_code == 2 and "Traceback" not in r.output
        assert "install the opencc package" in r.output and "--no-fold-variants" in r.output
    finally:
        variants._converter.cache_clear()
