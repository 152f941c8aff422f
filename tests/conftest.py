from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
