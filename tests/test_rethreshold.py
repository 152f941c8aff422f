"""Re-thresholding reuses the audit's own work and still gives the fresh audit's answer."""

import importlib
from pathlib import Path

import pytest

import chachong
from chachong.stages import passages as passages_module
from chachong.config import ConfigError

audit_module = importlib.import_module("chachong.engine.local")  # the module, not the function chachong.engine.local
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "compilation.txt"


@pytest.fixture(scope="module")
def loaded():
    return chachong.load_corpus([EXAMPLE])


@pytest.fixture(scope="module")
def example(loaded):
    return chachong.audit(loaded)


@pytest.mark.parametrize("settings", [
    {"threshold": 0.9},
    {"threshold": 0.7, "containment": 0.95},
    {"min_span": 20},
    {"min_span": 9},
    {"document_threshold": 0.5},
    {"stock_min_documents": 2},
    {"phrase_min_documents": 2, "phrase_closure": 0.8},
    {"min_paragraph_chars": 40},
])
def test_rethreshold_equals_a_fresh_audit(loaded, example, settings):
    again = example.rethreshold(**settings)
    fresh = chachong.audit(loaded, **settings)
    assert again.to_json() == fresh.to_json()
    # and back: the cache keeps the first answers
    assert again.rethreshold(**{k: getattr(example.config, k) for k in settings}).to_json() == example.to_json()


def test_stricter_pairing_refilters_without_pairing_or_aligning_again(example, monkeypatch):
    def fail(*_args, **_kwargs):
        raise AssertionError("should have come from the cache")

    example.rethreshold(threshold=0.95, containment=0.99)  # fills the cache for these settings
    monkeypatch.setattr(audit_module, "pair_candidates", fail)
    monkeypatch.setattr(audit_module, "mine_phrases", fail, raising=False)
    monkeypatch.setattr("chachong.stages.phrases.mine_phrases", fail)
    monkeypatch.setattr(audit_module, "find_boilerplate", fail, raising=False)
    monkeypatch.setattr("chachong.stages.boilerplate.find_boilerplate", fail)
    strict = example.rethreshold(threshold=0.95, containment=0.99)
    assert len(strict.paragraph_pair_records) <= len(example.paragraph_pair_records)
    assert {(p.a, p.b) for p in strict.paragraph_pair_records} <= {(p.a, p.b) for p in example.paragraph_pair_records}


def test_only_document_pairs_whose_inputs_changed_are_aligned_again(example, monkeypatch):
    calls = []
    real = passages_module.find_passages

    def counting(corpus, hits, regions=()):
        calls.append((len(hits), len(regions)))
        return real(corpus, hits, regions)

    monkeypatch.setattr(audit_module, "find_passages", counting)
    example.rethreshold()  # the same settings: everything from the cache
    assert calls == []
    example.rethreshold(threshold=0.99)  # fewer verified regions: only their document pairs again
    total_regions = len(example.paragraph_pair_records)
    assert all(r < total_regions for _, r in calls)


def test_lowering_the_threshold_below_the_first_audit_pairs_again(example, monkeypatch):
    calls = []
    real = audit_module.pair_candidates
    monkeypatch.setattr(audit_module, "pair_candidates", lambda corpus: calls.append(1) or real(corpus))
    low = example.rethreshold(threshold=0.3)
    assert calls == [1]
    assert len(low.paragraph_pair_records) >= len(example.paragraph_pair_records)


def test_released_signatures_are_computed_again_for_a_lower_threshold(loaded, monkeypatch):
    """A large corpus frees its paragraph signatures after pairing; pairing again computes them anew."""
    full = chachong.audit(loaded)
    assert "signatures" in vars(full.corpus)  # the example is small: kept
    monkeypatch.setattr(audit_module, "_RELEASE_MIN_CHARS", 0)
    lean = chachong.audit(loaded)
    assert "signatures" not in vars(lean.corpus)
    assert lean.to_json() == full.to_json()
    low = lean.rethreshold(threshold=0.3)
    assert "signatures" in vars(lean.corpus) or "signatures" in vars(low.corpus)
    assert low.to_json() == chachong.audit(loaded, threshold=0.3).to_json()


def test_rethreshold_refuses_shingle_settings(example):
    with pytest.raises(ConfigError, match="cannot change num_perm"):
        example.rethreshold(num_perm=64)
