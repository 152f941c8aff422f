"""A small corpus written at test time for attribution tests: a law, two units, two years."""

from __future__ import annotations

from pathlib import Path

LAW = ("安全生产工作坚持中国共产党的领导，坚持以人民为中心，坚持人民至上、生命至上，把保护人民生命安全摆在首位，"
       "树牢安全发展理念，坚持安全第一、预防为主、综合治理的方针，从源头上防范化解重大安全风险。")
OWN = "本年度我局围绕城市更新中心任务，完成老旧小区改造四十个，新增停车位两千余个，群众满意度明显提升，为明年工作打下坚实基础。"
PATTERN = r"(?P<unit>[^_]+)_(?P<year>\d{4})"


def write_corpus(root: Path) -> tuple[Path, Path]:
    refs, docs = root / "refs", root / "docs"
    refs.mkdir()
    docs.mkdir()
    (refs / "law.txt").write_text("中华人民共和国安全生产法\n\n第三条 " + LAW + "\n", encoding="utf-8")
    (docs / "甲局_2025.txt").write_text(
        "甲局2025年工作总结\n\n" + OWN + "\n\n我们认真学习了相关法律，“" + LAW + "”并据此开展了执法检查工作。\n", encoding="utf-8")
    (docs / "甲局_2026.txt").write_text(
        "甲局2026年工作总结\n\n" + OWN + "\n\n今年我们重点推进了河道治理，完成清淤三十公里，新建污水管网十五公里，水质稳定达标。\n",
        encoding="utf-8")
    (docs / "乙局_2026.txt").write_text(
        "乙局2026年工作总结\n\n乙局全年" + LAW + "\n\n另外乙局开展了大量宣传活动，发放材料一万余份，覆盖群众五万余人次。\n", encoding="utf-8")
    return refs, docs
