"""The bundled example: its committed report regenerates byte for byte, and every plant is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chachong.cli import main

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "reports" / "example"
FILES = ["report.json", "documents.csv", "paragraph_pairs.csv", "document_pairs.csv", "clusters.csv",
         "passages.csv"]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        res = runner.invoke(main, ["audit", "examples/compilation.txt", "-o", str(out), "--format", "json,csv"])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("name", FILES)
def test_committed_example_report_regenerates_byte_identically(regenerated, name):
    assert (regenerated / name).read_bytes() == (COMMITTED / name).read_bytes(), (
        f"reports/example/{name} is stale; regenerate with "
        "`chachong audit examples/compilation.txt -o reports/example` and commit it")


@pytest.fixture(scope="module")
def report(regenerated):
    return json.loads((regenerated / "report.json").read_text(encoding="utf-8"))


def test_example_identical_pair(report):
    kinds = {(p["a"], p["b"]): p["kind"] for p in report["document_pairs"]}
    assert kinds[("d06", "d07")] == "identical"
    docs = {d["id"]: d for d in report["documents"]}
    assert docs["d06"]["copy_ratio"] == docs["d07"]["copy_ratio"] == 1.0
    assert docs["d07"]["top_source"]["document"] == "d06"


def test_example_template_copy(report):
    kinds = {(p["a"], p["b"]): p["kind"] for p in report["document_pairs"]}
    assert kinds[("d01", "d05")] == "near-duplicate"
    passage = next(p for p in report["passages"] if (p["a"], p["b"]) == ("d01", "d05"))
    assert passage["kind"] == "template"
    ops = {e[4] for e in passage["edits"]}
    assert ops <= {"figure", "place"} and "figure" in ops and "place" in ops


def test_example_copied_paragraph_inside_longer_one(report):
    pp = next(p for p in report["paragraph_pairs"] if (p["a"], p["b"]) == ("d02:p007", "d08:p005"))
    assert pp["kind"] == "contained" and pp["containment"] == 1.0
    p = next(x for x in report["passages"] if (x["a"], x["b"]) == ("d02", "d08"))
    assert p["kind"] == "exact" and p["a_chars"] == 118


def test_example_lightly_edited_sentences(report):
    found = [p for p in report["passages"] if (p["a"], p["b"]) == ("d03", "d10")]
    assert len(found) == 3
    assert all(p["kind"] == "edited" and p["edits"] for p in found)


def test_example_stock_phrases_and_boilerplate(report):
    phrases = {p["phrase"] for p in report["stock_phrases"]}
    assert {"学习贯彻党的二十大精神", "下一步工作计划", "存在的问题和不足"} <= phrases
    kinds = {b["kind"] for b in report["boilerplate"]}
    assert {"repeated-line", "marker", "placeholder"} <= kinds
    docs = {d["id"]: d for d in report["documents"]}
    assert docs["d04"]["placeholders"] >= 5 and docs["d09"]["placeholders"] >= 3
    assert docs["d03"]["placeholders"] == 0
