import json

from click.testing import CliRunner

from chachong.cli import main

DOC_A = "甲单位工作总结\n为深入推进基层治理现代化，本街道建立了网格化管理机制，将辖区划分为四十个网格，每个网格配备专职网格员，实现闭环管理。\n"
DOC_B = "乙单位工作总结\n本局围绕优化营商环境目标，推行一窗受理和集成服务改革，企业开办时间压缩至一个工作日以内，群众满意度明显提升。\n"


def test_audit_writes_reports_and_summary(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(DOC_A, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(DOC_A, encoding="utf-8")
    (tmp_path / "in" / "c.txt").write_text(DOC_B, encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "in"), "-o", str(out), "--format", "json,csv"])
    assert res.exit_code == 0, res.output
    assert "identical documents" in res.stdout and "d1 = d2" not in res.stdout
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [d["title"] for d in data["documents"]] == ["甲单位工作总结", "甲单位工作总结", "乙单位工作总结"]
    assert data["document_pairs"][0]["kind"] == "identical"
    for name in ("documents", "paragraph_pairs", "document_pairs", "clusters"):
        assert (out / f"{name}.csv").read_text(encoding="utf-8").count("\n") >= 2


def test_settings_from_pyproject_and_options(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.chachong]\nk = 4\nmin-span = 20\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(DOC_A, encoding="utf-8")
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as fs:
        import os
        import shutil

        shutil.copy(tmp_path / "pyproject.toml", fs)
        res = runner.invoke(main, ["audit", str(tmp_path / "a.txt"), "-o", "out", "--format", "json", "--k", "6"])
        assert res.exit_code == 0, res.output
        settings = json.loads(open(os.path.join(fs, "out", "report.json"), encoding="utf-8").read())["settings"]
    assert settings["k"] == 6 and settings["min_span"] == 20


def test_bad_setting_is_a_usage_error(tmp_path):
    (tmp_path / "a.txt").write_text(DOC_A, encoding="utf-8")
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "a.txt"), "--threshold", "1.5", "-o", str(tmp_path)])
    assert res.exit_code == 2
    assert "threshold must be in (0, 1]" in res.output


def test_missing_path_skipped_and_nothing_read_exits_2(tmp_path):
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "nope.txt" in res.output
    assert "Traceback" not in res.output


def test_missing_path_among_good_files_is_listed(tmp_path):
    (tmp_path / "a.txt").write_text(DOC_A, encoding="utf-8")
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "a.txt"), str(tmp_path / "nope.txt"),
                                    "-o", str(tmp_path / "o"), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert [s["path"] for s in data["skipped"]] == [str(tmp_path / "nope.txt")]
    assert "skipped: " in res.stderr


def test_split_command_writes_safe_names(tmp_path):
    comp = ("汇编\n\n目录\n../../etc/passwd\t1\nCON\t2\n\n../../etc/passwd\n第一篇正文内容。\nCON\n第二篇正文内容。\n")
    src = tmp_path / "comp.txt"
    src.write_text(comp, encoding="utf-8")
    out = tmp_path / "split"
    res = CliRunner().invoke(main, ["split", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2
    assert all("/" not in f and "\\" not in f and f not in (".", "..") for f in files)
    assert not (tmp_path / "etc").exists()
    assert (out / files[0]).read_text(encoding="utf-8").endswith("第一篇正文内容。\n")


def test_console_entry_ends_quickly_with_the_same_output_and_exit_codes(tmp_path):
    # `python -m chachong` runs cli.entry, which keeps the audit's result and ends the process
    # without freeing it; what it prints, writes and returns is what the command does
    import subprocess
    import sys

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(DOC_A, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(DOC_A, encoding="utf-8")
    args = ["audit", str(tmp_path / "in"), "--format", "json,csv"]
    proc = subprocess.run([sys.executable, "-m", "chachong", *args, "-o", str(tmp_path / "p")],
                          capture_output=True, text=True, timeout=300)
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "r")])
    assert proc.returncode == 0 == res.exit_code, proc.stderr
    # the same words, each naming its own output folder
    assert proc.stdout.replace(str(tmp_path / "p"), "OUT") == res.stdout.replace(str(tmp_path / "r"), "OUT")
    assert "identical documents" in proc.stdout and f"open {tmp_path / 'p' / 'report.json'}" in proc.stdout
    assert "reports:" in proc.stderr.splitlines()[-1]
    for name in ("report.json", "documents.csv", "passages.csv"):
        assert (tmp_path / "p" / name).read_bytes() == (tmp_path / "r" / name).read_bytes()
    bad = subprocess.run([sys.executable, "-m", "chachong", "audit", str(tmp_path / "missing"), "-o",
                          str(tmp_path / "q")], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "nothing could be read" in bad.stderr and not (tmp_path / "q" / "report.json").exists()


def test_help_shows_every_settings_default_from_auditconfig():
    from chachong.cli import _SETTINGS
    from chachong.config import AuditConfig

    defaults = AuditConfig()
    for command in (["audit"], ["phrases"], ["index", "build"]):
        res = CliRunner().invoke(main, [*command, "--help"], terminal_width=200)
        assert res.exit_code == 0, res.output
        lines: dict[str, str] = {}  # each option's entry, its continuation lines joined
        entry = ""
        for line in res.output.split("Options:")[1].splitlines():
            if line.startswith("  -"):
                entry = line.split()[0]
                lines[entry] = ""
            if entry:
                lines[entry] = " ".join((lines[entry] + " " + line).split())
        for spec in _SETTINGS:
            name = spec.split("/")[0]
            value = getattr(defaults, name.replace("-", "_"))
            if isinstance(value, bool):
                shown = f"--{name}" if value else f"--no-{name}"
            elif value is None:
                unset = ("metadata", "meta-pattern", "unit-column", "year-column")
                shown = {"encoding": "detect", "work-dir": "the system's temporary folder",
                         "memory-limit": "the available memory"}.get(name, "none" if name in unset else "max(")
            else:
                shown = str(value)
            assert f"[default: {shown}" in lines[f"--{name}"], (command, lines[f"--{name}"])


def test_help_reads_the_default_from_the_dataclass(monkeypatch):
    import chachong.cli as cli

    monkeypatch.setattr(cli._FIELDS["min_span"], "default", 21)  # the field AuditConfig() reads too
    res = CliRunner().invoke(main, ["audit", "--help"], terminal_width=200)
    assert "Shortest copied passage, in characters. [default: 21]" in " ".join(res.output.split())


def test_check_help_leaves_the_defaults_to_the_index():
    res = CliRunner().invoke(main, ["check", "--help"], terminal_width=200)
    assert res.exit_code == 0 and "--min-span" in res.output and "[default: 13]" not in res.output


def test_summary_starts_with_what_to_open_and_what_was_skipped(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(DOC_A, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(DOC_B, encoding="utf-8")
    for name in ("empty.txt", "blank.txt"):
        (tmp_path / "in" / name).write_text("  \n", encoding="utf-8")
    (tmp_path / "in" / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "in"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    first = res.stdout.splitlines()[:2]
    assert first[0] == f"open {out / 'report.html'} in a browser (beside it: report.json, 5 CSV tables)"
    assert first[1] == ("skipped 3 files (each listed above, and in report.json): is empty (2) · "
                        "is an Office file without a Word document inside (1)")
    res = CliRunner().invoke(main, ["audit", str(tmp_path / "in" / "a.txt"), "-o", str(out), "--format", "md,json"])
    assert res.stdout.splitlines()[:2] == [f"open {out / 'report.md'} to read it (beside it: report.json)",
                                           "skipped: none"]
