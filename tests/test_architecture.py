"""The package's shape holds: imports flow one way, no private names cross modules, modules stay small.

The layers and the absence of import cycles are import-linter contracts in pyproject.toml
(``lint-imports``); the two rules it has no contract for are checked here on the source itself.
Imports inside functions count everywhere: they are dependencies all the same.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "chachong"
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, str, int]]:
    """``(module imported from, name, line)`` of every ``from chachong... import name`` in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "chachong":
                found += [(target, a.name, node.lineno) for a in node.names]
    return found


def test_no_private_name_is_imported_across_modules():
    modules = _modules()
    private = [f"{name}:{line} imports {target}.{what}"
               for name, path in modules.items() for target, what, line in _imports(name, path)
               if what.startswith("_") and not what.startswith("__") and target != name]
    assert private == []


def test_every_module_is_under_the_size_limit():
    big = {name: n for name, path in _modules().items()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}


def test_the_checker_sees_private_imports(tmp_path):
    """The rule above can fail: a private import written into a module is found."""
    name, path = "chachong.stages.probe", tmp_path / "probe.py"
    path.write_text("def f():\n    from chachong.stages.prepare import _x\n    from .lsh import _y\n", encoding="utf-8")
    assert [(t, w) for t, w, _ in _imports(name, path)] == [("chachong.stages.prepare", "_x"),
                                                            ("chachong.stages.lsh", "_y")]


def test_import_contracts_are_kept():
    """pyproject.toml's import-linter contracts: the layers, and no cycle among siblings."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    run = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in run.stdout
