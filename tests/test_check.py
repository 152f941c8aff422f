"""The CI gate (chachong.index.check, ``chachong check``): verdicts, limits, baseline, formats, exit codes.

The numbers must be the audit's: a document's copy ratio in ``check`` equals the one
``chachong audit`` reports for it among the same documents.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from chachong.api import audit
from chachong.index.check import Accepted, CheckError, Limits, baseline_text, check, load_baseline
from chachong.cli import main
from chachong.config import ConfigError
from chachong.index.index import Index

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
COMPILATION = EXAMPLES / "compilation.txt"
COPIED = EXAMPLES / "copied_submission.txt"
FRESH = EXAMPLES / "fresh_submission.txt"
_HAN = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))


def salad(seed: int, paragraphs: int = 6, length: int = 80) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(_HAN) for _ in range(length)) + "。" for _ in range(paragraphs)]


def write_doc(folder: Path, name: str, title: str, paragraphs: list[str]) -> Path:
    path = folder / name
    path.write_text(title + "\n" + "\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def examples():
    if not (COMPILATION.is_file() and COPIED.is_file() and FRESH.is_file()):
        pytest.skip("examples/ is incomplete")
    return COMPILATION, COPIED, FRESH


@pytest.fixture
def example_index(examples, tmp_path):
    db = tmp_path / "refs.db"
    Index.build(db, [examples[0]])
    return db


def run(*args: str):
    return CliRunner().invoke(main, ["check", *map(str, args)])


# --------------------------------------------------------------------------- as a new user would


def test_seed_compilation_fifteen_indexed_sixteenth_checked(seed_path, tmp_path, monkeypatch):
    """Index 15 documents of the seed compilation; the 16th (d13) fails naming its twin (d12)."""
    from chachong.report.split_files import split_to_folder

    monkeypatch.chdir(tmp_path)
    written, _ = split_to_folder(str(seed_path), "docs")
    names = [p.name for p in written]
    assert len(names) == 16
    d12, d13 = f"docs/{names[11]}", f"docs/{names[12]}"
    runner = CliRunner()
    r = runner.invoke(main, ["index", "build", "refs.db", *[f"docs/{n}" for n in names if n != names[12]]])
    assert r.exit_code == 0, r.output
    assert "15 added" in r.output
    r = runner.invoke(main, ["check", d13, "--index", "refs.db"])
    assert r.exit_code == 1, r.output
    assert r.output.startswith(f"FAIL  {d13}")
    assert f"identical to {d12}" in r.output
    if FRESH.is_file():
        fresh = FRESH
    else:
        fresh = write_doc(tmp_path, "fresh.txt", "新写的总结", salad(5))
    r = runner.invoke(main, ["check", str(fresh), "--index", "refs.db"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("PASS")


def test_check_numbers_agree_with_audit(examples, example_index):
    comp, copied, fresh = examples
    full = audit([comp, copied, fresh])
    by_source = {d.source: full.stats[d.id] for d in full.document_records}
    for result in (check([copied, fresh], index=example_index), check([copied, fresh], against=[comp])):
        got = {d.source: d for d in result.documents}
        for src in (copied.as_posix(), fresh.as_posix()):
            st = by_source[src]
            assert got[src].copy_ratio == st.copy_ratio
            top = got[src].top_source
            assert (top.ratio if top else None) == (st.top_source["ratio"] if st.top_source else None)
    r = check([copied, fresh], index=example_index)
    assert [d.passed for d in r.documents] == [False, True]
    assert r.documents[0].top_source.document.endswith("compilation.txt#10")
    assert r.documents[0].copy_ratio > 0.8 and r.documents[1].copy_ratio == 0.0
    assert 1 <= r.compared <= r.references == 10


def test_new_documents_are_checked_against_each_other(tmp_path):
    ref = write_doc(tmp_path, "ref.txt", "参照", salad(1))
    a = write_doc(tmp_path, "a.txt", "甲", salad(2))
    b = write_doc(tmp_path, "b.txt", "乙", salad(2)[:4] + salad(3, 2))
    r = check([a, b], against=[ref])
    assert [d.passed for d in r.documents] == [False, False]
    m = r.documents[1].matches[0]
    assert m.document == a.as_posix() and m.new and m.ratio > 0.6


def test_a_document_already_in_the_index_is_not_its_own_copy(examples, tmp_path):
    """A re-run of CI after --add-on-pass: the document's own earlier version is left out."""
    comp, _copied, fresh = examples
    db = tmp_path / "refs.db"
    Index.build(db, [comp, fresh])
    r = check([fresh], index=db)
    assert r.passed and r.documents[0].matches == [] and r.compared == 0


# --------------------------------------------------------------------------- limits


def test_limits(examples, example_index):
    _, copied, _ = examples
    assert run(copied, "--index", example_index).exit_code == 1
    assert run(copied, "--index", example_index, "--max-copy-ratio", "1", "--fail-on", "none").exit_code == 0
    r = run(copied, "--index", example_index, "--max-copy-ratio", "1", "--max-top-source-ratio", "0.5")
    assert r.exit_code == 1 and "copied from" in r.output
    r = run(copied, "--index", example_index, "--max-copy-ratio", "1", "--max-similarity", "0.9")
    assert r.exit_code == 1 and "similar" in r.output
    assert run(copied, "--index", example_index, "--max-copy-ratio", "0.95").exit_code == 0


def test_fail_on_identical_and_near_duplicate(tmp_path):
    paras = salad(4, 10)
    ref = write_doc(tmp_path, "ref.txt", "参照", paras)
    same = write_doc(tmp_path, "same.txt", "参照", paras)
    near = write_doc(tmp_path, "near.txt", "参照", paras[:9] + salad(5, 1))
    lax = Limits(max_copy_ratio=None, fail_on=())
    assert check([same, near], against=[ref], limits=lax).passed
    r = check([same, near], against=[ref], limits=Limits(max_copy_ratio=None))
    assert [d.passed for d in r.documents] == [False, True]
    assert r.documents[0].violations[0].message.startswith(f"identical to {ref.as_posix()}")
    r = check([same, near], against=[ref], limits=Limits(max_copy_ratio=None, fail_on=("near-duplicate",)))
    assert [d.passed for d in r.documents] == [False, False]
    with pytest.raises(ConfigError, match="fail-on"):
        Limits(fail_on=("similar",))


# --------------------------------------------------------------------------- baseline


def test_baseline_accepts_known_matches_and_catches_growth(examples, example_index, tmp_path):
    _, copied, _ = examples
    base = tmp_path / "baseline.json"
    r = run(copied, "--index", example_index, "--write-baseline", base)
    assert r.exit_code == 0 and "baseline written" in r.output
    entries = load_baseline(base)
    assert {e.document for e in entries} == {copied.as_posix()}
    assert max(e.ratio for e in entries) > 0.8
    assert run(copied, "--index", example_index, "--baseline", base).exit_code == 0
    # the accepted share grows: fails again
    grown = tmp_path / "grown.json"
    grown.write_text(baseline_text([Accepted(e.document, e.source, e.ratio - 0.1) for e in entries]),
                     encoding="utf-8")
    r = run(copied, "--index", example_index, "--baseline", grown)
    assert r.exit_code == 1
    # accepting one source leaves the others counted
    other = [e for e in entries if e.ratio < 0.5]
    if other:
        partial = tmp_path / "partial.json"
        partial.write_text(baseline_text(other), encoding="utf-8")
        res = check([copied], index=example_index, baseline=partial)
        d = res.documents[0]
        assert not d.passed and d.checked_ratio <= d.copy_ratio


def test_bad_baseline_is_an_input_error(examples, example_index, tmp_path):
    _, copied, _ = examples
    bad = tmp_path / "b.json"
    bad.write_text("{not json", encoding="utf-8")
    r = run(copied, "--index", example_index, "--baseline", bad)
    assert r.exit_code == 2 and "write it again" in r.output and r.output.count("\n") == 1
    r = run(copied, "--index", example_index, "--baseline", tmp_path / "none.json")
    assert r.exit_code == 2 and "--write-baseline" in r.output
    bad.write_text(json.dumps({"schema": "chachong.baseline/1", "accepted": [{"document": "x"}]}), encoding="utf-8")
    with pytest.raises(CheckError, match="entry 1"):
        load_baseline(bad)


# --------------------------------------------------------------------------- add on pass


def test_add_on_pass_adds_only_passing_documents(examples, example_index):
    _, copied, fresh = examples
    r = run(copied, fresh, "--index", example_index, "--add-on-pass")
    assert r.exit_code == 1 and f"added to the index: {fresh.as_posix()}" in r.output
    with Index.open(example_index) as idx:
        assert fresh.as_posix() in idx and copied.as_posix() not in idx
        assert len(idx) == 11


# --------------------------------------------------------------------------- formats


def test_formats(examples, example_index, tmp_path):
    _, copied, fresh = examples
    r = run(copied, fresh, "--index", example_index, "--format", "json")
    data = json.loads(r.output)
    assert data["schema"] == "chachong.check/1" and data["passed"] is False
    assert [d["passed"] for d in data["documents"]] == [False, True]
    doc = data["documents"][0]
    assert doc["violations"][0]["rule"] == "max-copy-ratio"
    assert doc["matches"][0]["passages"] and doc["top_source"]["document"].endswith("#10")
    # the passages point at the copied text in both documents
    s, e, s2, e2 = doc["matches"][0]["passages"][0]
    with Index.open(example_index) as idx:
        [(_, src)] = idx.fetch([idx.keys()[doc["matches"][0]["document"]]])
    text = copied.read_text(encoding="utf-8").split("\n", 1)[1]
    from difflib import SequenceMatcher

    assert e - s > 50 and SequenceMatcher(None, text[s:e], src.text[s2:e2]).ratio() > 0.8
    # deterministic
    assert run(copied, fresh, "--index", example_index, "--format", "json").output == r.output
    out = tmp_path / "junit.xml"
    r = run(copied, fresh, "--index", example_index, "--format", "junit", "-o", out)
    assert r.exit_code == 1 and r.output.startswith("FAIL")  # the text report still goes to stdout
    suite = ET.parse(out).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [copied.as_posix(), fresh.as_posix()]
    assert cases[0].find("failure") is not None and cases[1].find("failure") is None
    assert suite.get("failures") == "1" and suite.get("tests") == "2"
    md = run(copied, fresh, "--index", example_index, "--format", "md").output
    assert md.startswith("## chachong check: 1 of 2 documents failed") and "| ❌ fail |" in md


def test_markdown_and_junit_escape_document_text(tmp_path):
    ref = write_doc(tmp_path, "ref.txt", "参照", salad(1))
    evil = write_doc(tmp_path, "evil.txt", "<script>alert(1)</script>|\x01标题", salad(1))
    r = check([evil], against=[ref])
    md = r.to_markdown()
    assert "<script>" not in md and "\\<script\\>alert(1)\\</script\\>\\|" in md  # report.md's own escape
    root = ET.fromstring(r.to_junit().split("\n", 1)[1])  # parses: control characters removed
    assert root.find("testsuite/testcase/failure") is not None


# --------------------------------------------------------------------------- errors and start-up


@pytest.mark.parametrize("args, words", [
    (["missing.txt", "--against", "x.txt"], "missing.txt: no such file"),
    (["{ok}"], "--index URI or --against"),
    (["{ok}", "--index", "{db}", "--against", "{ok}"], "not both"),
    (["{ok}", "--against", "{ok2}", "--add-on-pass"], "--add-on-pass"),
    (["{ok}", "--index", "{nodb}"], "no index here"),
])
def test_usage_and_input_errors_exit_2(tmp_path, args, words):
    ok = write_doc(tmp_path, "ok.txt", "甲", salad(1))
    ok2 = write_doc(tmp_path, "ok2.txt", "乙", salad(2))
    db = tmp_path / "refs.db"
    Index.build(db, [ok2])
    args = [a.format(ok=ok, ok2=ok2, db=db, nodb=tmp_path / "none.db") for a in args]
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert words in r.output and "Traceback" not in r.output


def test_check_path_imports_neither_pandas_nor_jieba(examples, example_index):
    _, copied, _ = examples
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "chachong", "check", str(copied),
                           "--index", str(example_index)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "numpy" in imported and "sqlite3" in imported  # the trace is real
    assert not imported & {"pandas", "jieba"}


def test_lazy_normalisation_table_equals_the_full_table():
    """normalize.py fills its code point table lazily for start-up speed; outputs are unchanged."""
    from chachong.text import normalize

    table, digit = normalize._table()
    everything = np.arange(0x110000, dtype=np.uint32)
    lazy, lazy_digit = normalize._lookup(everything)
    assert np.array_equal(lazy, table) and np.array_equal(lazy_digit[everything], digit)


# --------------------------------------------------------------------------- integration files


def _command(tokens: list[str]):
    """The click command a ``chachong ...`` invocation names, and the rest of its tokens."""
    import click

    cmd: click.Command = main
    rest = tokens[1:]
    while isinstance(cmd, click.Group) and rest and rest[0] in cmd.commands:
        cmd, rest = cmd.commands[rest[0]], rest[1:]
    return cmd, rest


def _options(cmd) -> set[str]:
    return {o for p in cmd.params for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))}


def test_pre_commit_hook_runs_the_gate(examples, tmp_path, monkeypatch):
    yaml = pytest.importorskip("yaml")
    _, copied, fresh = examples
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    tokens = hook["entry"].split() + hook["args"]
    cmd, rest = _command(tokens)
    assert cmd.name == "check" and {t for t in rest if t.startswith("-")} <= _options(cmd)
    import re

    assert re.search(hook["files"], "docs/a.docx") and not re.search(hook["files"], "a.png")
    # in a repository whose index sits where the hook looks for it
    monkeypatch.chdir(tmp_path)
    index = rest[rest.index("--index") + 1]
    Path(index).parent.mkdir(parents=True, exist_ok=True)
    Index.build(index, [examples[0]])
    runner = CliRunner()
    assert runner.invoke(main, [*tokens[1:], str(fresh)]).exit_code == 0
    assert runner.invoke(main, [*tokens[1:], str(copied), str(fresh)]).exit_code == 1


def test_example_workflow_uses_real_commands_and_options():
    yaml = pytest.importorskip("yaml")
    flow = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text(encoding="utf-8"))
    scripts = [step["run"] for job in flow["jobs"].values() for step in job["steps"] if "run" in step]
    calls = []
    for script in scripts:
        for line in script.replace("\\\n", " ").splitlines():
            line = line.split("#")[0]
            for part in line.split("chachong ")[1:]:
                calls.append(["chachong", *part.split("|")[0].split(")")[0].split()])
    used = set()
    for tokens in calls:
        if tokens[1] in ("audit", "check", "index", "split", "phrases"):
            cmd, rest = _command(tokens)
            used.add(cmd.name)
            for t in rest:
                if t.startswith("-"):
                    assert t in _options(cmd), f"{cmd.name} has no option {t}"
    assert {"check", "build", "add", "info"} <= used
