"""What every test run shares: the system set-up, CI's rule that nothing is skipped, the corpora.

1. The system packages the tests need (Chromium, Redis, a CJK font, ...) are the project's set-up
   script's business, ``.ci/setup.sh`` (idempotent: it installs only what is missing). The test run
   asks it what is missing (``--missing``, which installs nothing) and, when something is and the run
   is root's or CI's, runs it before the first test, saying so on the terminal: the README's test
   command then needs nothing done first on a fresh machine. Anyone else is told the command, and
   the tests that need the package skip. ``CHACHONG_SYSTEM_SETUP=0`` turns this off.
2. Under ``CI=true`` a skipped test fails the run (a test that did not run is not a green test):
   whatever a test needs must be installed by ``.ci/setup.sh``, the ``[test]`` extra, or be there
   (the shared corpus beside the checkout).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / ".ci" / "setup.sh"
SHARED = ROOT.parent / "shared" / "corpus"
SEED = SHARED / "000_1c4df289d1e39c46.txt"
GWR = SHARED / "gwr_city_2024"
EXAMPLE = ROOT / "examples" / "compilation.txt"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    if not SEED.is_file():
        pytest.skip("../shared/corpus is absent (a user's clone has no shared corpus)")
    return SEED


@pytest.fixture(scope="session")
def gwr_path() -> Path:
    if not GWR.is_dir():
        pytest.skip("../shared/corpus/gwr_city_2024 is absent")
    return GWR


@pytest.fixture(scope="session")
def seed_result(seed_path):
    from chachong.api import audit

    return audit([seed_path])


# --------------------------------------------------------------------------- system set-up, CI rule


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _missing_system_packages() -> list[str]:
    if os.name != "posix" or not SETUP.is_file() or shutil.which("bash") is None:
        return []
    try:
        proc = subprocess.run(["bash", str(SETUP), "--missing"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return []
    return proc.stdout.split() if proc.returncode == 0 else []


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CHACHONG_SYSTEM_SETUP", "1") == "0" or hasattr(session.config, "workerinput"):
        return
    missing = _missing_system_packages()
    if not missing:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else print
    rel = SETUP.relative_to(ROOT)
    if os.geteuid() != 0 and not under_ci():
        say(f"system packages the tests need are missing: {' '.join(missing)}; the tests that need them skip. "
            f"Install them with: sudo bash {rel}")
        return
    say(f"installing the system packages the tests need: {' '.join(missing)} "
        f"(bash {rel}; CHACHONG_SYSTEM_SETUP=0 leaves them out) ...")
    try:
        proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        say(f"{rel} could not run ({exc}); the tests that need {' '.join(missing)} will not run")
        return
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        say(f"{rel} failed (exit code {proc.returncode}): {tail}")
    else:
        say(f"installed: {' '.join(missing)}")


def _as_failure(report, what: str) -> None:
    """Under CI=true, a skip becomes a failure that says why it skipped."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    report.outcome = "failed"
    report.longrepr = (f"{what} skipped under CI=true, where every test must run: {reason}\n"
                       "What a test needs comes from .ci/setup.sh (system packages) or the [test] extra of "
                       "pyproject.toml, or must be there (../shared/corpus beside the checkout, as CI lays it).")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and under_ci() and not hasattr(report, "wasxfail"):
        _as_failure(report, item.nodeid)


_SKIPPED_MODULES: list[str] = []  # under CI=true: modules skipped whole while collecting


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # a failed collection would stop the whole run before any test: the run fails at its end instead
    if report.skipped and under_ci():
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        _SKIPPED_MODULES.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter) -> None:
    if _SKIPPED_MODULES:
        terminalreporter.section("skipped under CI=true, where every test must run", red=True)
        for line in _SKIPPED_MODULES:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _SKIPPED_MODULES and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
