"""The notebook runs clean from top to bottom, and the CLI and the API give the same report."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

import chachong
from chachong.cli import main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


def test_explore_notebook_runs_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, "the heat map was not drawn"
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "text/html" in o.get("data", {}) and 'class="pv"' in o["data"]["text/html"]]
    assert html, "the pair view did not render"


def test_committed_notebook_has_outputs_and_no_errors():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.output_type == "error"]


def test_cli_report_equals_api_to_json(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", "examples/compilation.txt", "-o", str(out), "--format", "json",
                                    "--min-span", "15"])
    assert res.exit_code == 0, res.output
    api = chachong.audit(["examples/compilation.txt"], chachong.AuditConfig(min_span=15)).to_json()
    assert (out / "report.json").read_text(encoding="utf-8") == api
    assert json.loads(api)["settings"]["min_span"] == 15


@pytest.mark.parametrize("name", ["load_documents", "audit", "write_report", "AuditConfig"])
def test_public_api_exported(name):
    assert name in chachong.__all__ and hasattr(chachong, name)


def _font_cell() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code" and "def cjk_font" in c.source)


def test_notebook_font_comes_from_the_test_extra():
    import matplotlib

    matplotlib.use("Agg")
    scope: dict = {}
    exec(_font_cell(), scope)  # the committed cell, as the kernel runs it
    assert scope["CJK"] == "Noto Sans SC"  # pylopdf-fonts-zh-cn, a dependency of the [test] extra


def test_notebook_falls_back_with_a_warning_when_no_cjk_font(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    monkeypatch.setitem(__import__("sys").modules, "pylopdf_fonts_zh_cn", None)  # import fails
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])  # and no font of the system
    scope: dict = {}
    with pytest.warns(UserWarning, match="no CJK font"):
        exec(_font_cell(), scope)
    assert scope["CJK"] is None and scope["zh"]("中文", "English") == "English"
