"""chachong modules as they were at another git revision, loaded beside the current ones.

Benchmarks compare the code on disk against a baseline revision in the same run. Each module named
is read with ``git show REV:src/chachong/NAME.py`` and executed as a private module
(``_chachong_base_NAME``); its imports of the other named modules are pointed at their private
copies, everything else comes from the current package.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_revision(rev: str, names: list[str]) -> dict[str, types.ModuleType]:
    """``{name: module}`` for chachong modules ``names`` (in import order) at revision ``rev``."""
    private = {name: f"_chachong_base_{name}" for name in names}
    mods = {}
    for name in names:
        src = subprocess.run(["git", "show", f"{rev}:src/chachong/{name}.py"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        for other, alias in private.items():
            src = src.replace(f"from chachong.{other} import", f"from {alias} import")
        mod = types.ModuleType(private[name])
        sys.modules[private[name]] = mod
        exec(compile(src, f"{rev[:8]}:{name}.py", "exec"), mod.__dict__)
        mods[name] = mod
    return mods
