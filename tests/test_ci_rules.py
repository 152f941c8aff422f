"""The test run's own rules (tests/conftest.py): it installs the missing system packages through the
project's set-up script, and under CI=true a skipped test fails the run. Each case runs pytest on a
small project of its own that carries this conftest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TESTS = '''
import pytest

def test_runs():
    pass

def test_skips():
    pytest.skip("needs the moon")
'''
FAKE_SETUP = '''#!/usr/bin/env bash
set -euo pipefail
need=()
[ -e "$(dirname "$0")/installed" ] || need+=(moon-tools)
if [ ${#need[@]} -gt 0 ]; then
  if [ "${1:-}" = "--missing" ]; then printf '%s\\n' "${need[@]}"; exit 0; fi
  touch "$(dirname "$0")/installed"
fi
'''


def project(tmp_path: Path, tests: str = TESTS, setup: str | None = None) -> Path:
    (tmp_path / "tests").mkdir()
    shutil.copy(HERE / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "test_it.py").write_text(tests, encoding="utf-8")
    if setup is not None:
        (tmp_path / ".ci").mkdir()
        (tmp_path / ".ci" / "setup.sh").write_text(setup, encoding="utf-8")
    return tmp_path


def pytest_in(root: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "CHACHONG_SYSTEM_SETUP", "PYTEST_ADDOPTS")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=root,
                          env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_a_skip_passes_on_a_desk_and_fails_under_ci(tmp_path):
    root = project(tmp_path)
    desk = pytest_in(root)
    assert desk.returncode == 0 and "1 passed, 1 skipped" in desk.stdout
    ci = pytest_in(root, CI="true")
    assert ci.returncode == 1, ci.stdout
    assert "skipped under CI=true, where every test must run: Skipped: needs the moon" in ci.stdout
    assert "1 failed, 1 passed" in ci.stdout


def test_a_module_skipped_whole_fails_the_run_under_ci(tmp_path):
    root = project(tmp_path, "def test_runs():\n    pass\n")
    (root / "tests" / "test_module.py").write_text('import pytest\npytest.importorskip("no_such_module")\n')
    assert pytest_in(root).returncode == 0
    ci = pytest_in(root, CI="true")
    assert ci.returncode == 1 and "no_such_module" in ci.stdout.split("skipped under CI=true")[1]


@pytest.mark.skipif(os.name != "posix" or shutil.which("bash") is None, reason="the set-up script is bash")
def test_the_run_installs_what_the_set_up_script_finds_missing(tmp_path):
    root = project(tmp_path, "def test_runs():\n    pass\n", FAKE_SETUP)
    off = pytest_in(root, CHACHONG_SYSTEM_SETUP="0")
    assert off.returncode == 0 and not (root / ".ci" / "installed").exists()
    first = pytest_in(root, CI="true")  # CI (or root) installs
    assert first.returncode == 0, first.stdout
    assert "installing the system packages the tests need: moon-tools (bash .ci/setup.sh" in first.stdout
    assert "installed: moon-tools" in first.stdout and (root / ".ci" / "installed").exists()
    again = pytest_in(root, CI="true")  # idempotent: nothing missing, nothing said
    assert again.returncode == 0 and "moon-tools" not in again.stdout


@pytest.mark.skipif(os.name != "posix", reason="POSIX users")
def test_the_projects_set_up_script_lists_what_it_would_install():
    proc = subprocess.run(["bash", str(HERE.parent / ".ci" / "setup.sh"), "--missing"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    for name in proc.stdout.split():  # whatever is listed is a Debian package name, installing nothing
        assert name.replace("-", "").replace(".", "").isalnum()
